"""The installation page: domain status table, check job, readiness, verification log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from security.models import Platform, PlatformSettings
from workspaces.access import workspace_for

from . import queries
from .jobs import QueueUnavailable, start_check
from .models import Job

TABLE_PAGE_SIZE = 25
LOG_PAGE_SIZE = 25
# Running the check: admins and developers (viewers read the results).
CHECK_ROLES = {"admin", "developer"}


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def may_check(workspace):
    return workspace.role in CHECK_ROLES


COLUMNS = (
    ("Platform", "platform"),
    ("Domain / app", "name"),
    ("First seen", "first_seen"),
    ("Last seen", "last_seen"),
    ("Identified", "identified"),
    ("Verified", None),
    ("Missing hash", None),
    ("Invalid", None),
    ("Status", "status"),
)


def _columns(params):
    """Table headers with the query that sorts by them (a second click reverses)."""
    current = params["sort"] or queries.DEFAULT_SORT
    columns = []
    for label, key in COLUMNS:
        if key is None:
            columns.append({"label": label})
            continue
        sort = f"-{key}" if current == key else key
        arrow = "▲" if current == key else "▼" if current == f"-{key}" else ""
        query = urlencode({**params, "sort": sort})
        columns.append({"label": label, "query": query, "arrow": arrow})
    return columns


def _table_context(request, workspace):
    params = {name: request.GET.get(name, "") for name in ("status", "platform", "sort")}
    error = None
    while True:
        try:
            rows = queries.installations(workspace, **params)
            break
        except queries.BadFilter as exc:
            # Show the first mistake, drop every bad value.
            error = error or exc
            params[exc.field] = ""
    page = Paginator(rows, TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "columns": _columns(params),
        "filter_query": urlencode(params),
        "page": page,
        "filters": params,
        "filter_error": error,
        "statuses": queries.STATUSES,
        "platforms": Platform.choices,
        "sorts": queries.SORTS,
        "has_any": page.paginator.count > 0 or any(params.values()),
    }


def _log_context(request, workspace):
    code = request.GET.get("code", "")[:40]
    request_id = request.GET.get("request_id", "")[:64]
    entries = queries.failures(workspace, code=code, request_id=request_id)
    page = Paginator(entries, LOG_PAGE_SIZE).get_page(request.GET.get("log_page"))
    return {
        "log_page": page,
        "log_code": code,
        "log_request_id": request_id,
        "log_codes": queries.failure_codes(workspace),
    }


def _card(platform, readiness):
    readiness = readiness or {}
    failed = readiness.get("identified", 0) - readiness.get("verified", 0)
    return {
        "platform": platform,
        "label": dict(Platform.choices)[platform],
        "r": readiness,
        "failed": failed,
    }


def _readiness_cards(workspace):
    rows = PlatformSettings.objects.filter(workspace=workspace).order_by("platform")
    return [_card(row.platform, row.readiness) for row in rows]


@login_required
@require_GET
def installations(request, app_id):
    workspace = workspace_for(request.user, app_id, "view")
    job_id = request.GET.get("job", "")
    job = None
    if job_id.isdigit():
        job = Job.objects.filter(pk=job_id, workspace=workspace).first()
    if job is None:
        job = Job.objects.filter(workspace=workspace).first()
    return render(
        request,
        "installcheck/installations.html",
        {
            "workspace": workspace,
            "may_check": may_check(workspace),
            "job": job,
            "readiness": _readiness_cards(workspace),
            **_table_context(request, workspace),
            **_log_context(request, workspace),
        },
    )


@login_required
@require_GET
def domain_rows(request, app_id):
    """htmx: the domain status table alone (sorting, filtering, paging)."""
    workspace = workspace_for(request.user, app_id, "view")
    context = {"workspace": workspace, **_table_context(request, workspace)}
    return render(request, "installcheck/_domain_table.html", context)


@login_required
@require_GET
def log_rows(request, app_id):
    """htmx: the verification log alone (filter by reason, search by request id)."""
    workspace = workspace_for(request.user, app_id, "view")
    context = {"workspace": workspace, **_log_context(request, workspace)}
    return render(request, "installcheck/_log.html", context)


@login_required
@require_POST
def check(request, app_id):
    """Start an installation check (admins and developers)."""
    workspace = workspace_for(request.user, app_id, "view")
    if not may_check(workspace):
        raise PermissionDenied("Only admins and developers can run the installation check.")
    url = reverse("installations", kwargs={"app_id": app_id})
    try:
        job = start_check(workspace, actor=request.user)
    except QueueUnavailable as exc:
        if _is_htmx(request):
            return render(
                request,
                "installcheck/_job.html",
                {"workspace": workspace, "queue_error": exc.message},
            )
        messages.error(request, exc.message)
        return redirect(url)
    if _is_htmx(request):
        return render(request, "installcheck/_job.html", {"workspace": workspace, "job": job})
    return redirect(f"{url}?job={job.pk}")


@login_required
@require_GET
def readiness_partial(request, app_id, platform):
    """htmx: one platform's readiness (loaded by the security overview)."""
    workspace = workspace_for(request.user, app_id, "view")
    if platform not in Platform.values:
        raise Http404("No such platform.")
    row = PlatformSettings.objects.filter(workspace=workspace, platform=platform).first()
    card = _card(platform, row.readiness if row else {})
    return render(request, "installcheck/_readiness.html", {"workspace": workspace, "card": card})
