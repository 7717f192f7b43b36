"""The audit log page."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..audit import audit_events_for, filter_events, safe_changes

PAGE_SIZE = 25


@login_required
@require_GET
def audit_log(request, app_id):
    workspace, events = audit_events_for(request.user, app_id)
    action = request.GET.get("action", "")[:64]
    actor = request.GET.get("actor", "")[:150]
    page = Paginator(
        filter_events(events, action=action, actor=actor).select_related("actor"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for event in page:
        event.safe_before = safe_changes(event.before)
        event.safe_after = safe_changes(event.after)
    query = urlencode({k: v for k, v in (("action", action), ("actor", actor)) if v})
    return render(
        request,
        "workspaces/audit_log.html",
        {
            "workspace": workspace,
            "page": page,
            "action": action,
            "actor": actor,
            "actions": events.order_by("action").values_list("action", flat=True).distinct(),
            "actors": events.order_by("actor_label")
            .values_list("actor_label", flat=True)
            .distinct(),
            "query": query,
        },
    )
