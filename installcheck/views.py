"""The installation page: domain status table, check job, readiness, verification log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from security.display import readiness_cards
from security.vocabulary import PLATFORM_CHOICES
from workspaces.access import can, workspace_for
from workspaces.refusals import Refused

from . import queries
from .actions import start_check
from .models import Job

TABLE_PAGE_SIZE = 25
LOG_PAGE_SIZE = 25


def _is_htmx(request):
    return request.headers.get("HX-Request") == "true"


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


def _table_context(request, workspace, version):
    params = {name: request.GET.get(name, "") for name in ("status", "platform", "sort")}
    page_number = request.GET.get("page") or ""
    error = None
    while True:
        try:
            rows = queries.installations(workspace, **params)
            break
        except queries.BadFilter as exc:
            # Show the first mistake, drop every bad value.
            error = error or exc
            params[exc.field] = ""
    page = Paginator(rows, TABLE_PAGE_SIZE).get_page(page_number)
    return {
        "columns": _columns(params),
        # What the table's poll asks again (installcheck/_domain_table.html).
        "poll_query": urlencode({**params, "page": page_number, "v": version}),
        "filter_query": urlencode(params),
        "page": page,
        "filters": params,
        "filter_error": error,
        "statuses": queries.STATUSES,
        "platforms": PLATFORM_CHOICES,
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


@login_required
@require_GET
def installations(request, app_id):
    workspace = workspace_for(request.user, app_id, "view")
    version = queries.live_version(workspace)
    if queries.unchanged(request, version):
        return HttpResponse(status=204)
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
            "may_check": can(workspace.role, "run_check"),
            "job": job,
            "live_version": version,
            "readiness": readiness_cards(workspace),
            **_table_context(request, workspace, version),
            **_log_context(request, workspace),
        },
    )


@login_required
@require_GET
def domain_rows(request, app_id):
    """htmx: the domain status table alone (sorting, filtering, paging, its poll)."""
    workspace = workspace_for(request.user, app_id, "view")
    version = queries.live_version(workspace)
    if queries.unchanged(request, version):
        return HttpResponse(status=204)
    context = {"workspace": workspace, **_table_context(request, workspace, version)}
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
    workspace = workspace_for(request.user, app_id, "run_check")
    url = reverse("installcheck:installations", kwargs={"app_id": app_id})
    try:
        job = start_check(workspace, actor=request.user)
    except Refused as refusal:
        if _is_htmx(request):
            return render(
                request,
                "installcheck/_job.html",
                {"workspace": workspace, "queue_error": refusal.message},
            )
        messages.error(request, refusal.message)
        return redirect(url)
    if _is_htmx(request):
        return render(request, "installcheck/_job.html", {"workspace": workspace, "job": job})
    return redirect(f"{url}?job={job.pk}")
