"""Read-side queries of the installation page and API: the table and the log, filtered."""

import zlib

from django.db.models import Case, CharField, Count, F, Max, Sum, Value, When

from security.vocabulary import PLATFORMS

from .models import Installation, InstallationStatus, VerificationFailure
from .recompute import window_start

SORTS = {
    "platform": ("platform", "name"),
    "name": ("name", "platform"),
    "first_seen": ("first_seen", "id"),
    "last_seen": ("last_seen", "id"),
    "identified": ("identified", "id"),
    "failed": ("failed", "id"),
    "status": ("shown_status", "platform", "name"),
}
DEFAULT_SORT = "platform"
STATUSES = InstallationStatus.values


class BadFilter(ValueError):
    """A query parameter with a value we do not know; ``field`` names it."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def installations(workspace, *, status="", platform="", sort="", now=None):
    """The workspace's installations with ``shown_status`` (inactive once nothing came in
    for the window, whatever the cached status says), filtered and sorted."""
    start = window_start(now)
    qs = Installation.objects.filter(workspace=workspace).annotate(
        shown_status=Case(
            When(last_seen__date__lt=start, then=Value(InstallationStatus.INACTIVE)),
            default=F("status"),
            output_field=CharField(),
        ),
        failed=F("identified") - F("verified"),
    )
    if status:
        if status not in STATUSES:
            raise BadFilter("status", f"status must be one of {', '.join(STATUSES)}.")
        qs = qs.filter(shown_status=status)
    if platform:
        if platform not in PLATFORMS:
            raise BadFilter("platform", f"platform must be one of {', '.join(PLATFORMS)}.")
        qs = qs.filter(platform=platform)
    descending = sort.startswith("-")
    key = (sort[1:] if descending else sort) or DEFAULT_SORT
    if key not in SORTS:
        raise BadFilter("sort", f"sort must be one of {', '.join(SORTS)} (prefix - to reverse).")
    order = SORTS[key]
    if descending:
        order = tuple("-" + name for name in order)
    return qs.order_by(*order)


def failures(workspace, *, code="", request_id=""):
    """The workspace's verification log, newest first, by reason and/or request id."""
    qs = VerificationFailure.objects.filter(workspace=workspace)
    if code:
        qs = qs.filter(code=code)
    if request_id:
        qs = qs.filter(request_id__icontains=request_id.strip()[:32])
    return qs.order_by("-created_at", "-id")


def failure_codes(workspace):
    """The distinct reasons present in the workspace's log (for the filter menu)."""
    return list(
        VerificationFailure.objects.filter(workspace=workspace)
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
    )


def live_version(workspace):
    """A short fingerprint of what the installation pages show (installations, their
    counts, the readiness summaries): the pages poll with it and get 204 No Content while
    it has not changed, so nothing is swapped (nor a focused link lost) for nothing."""
    totals = Installation.objects.filter(workspace=workspace).aggregate(
        n=Count("id"), identified=Sum("identified"), verified=Sum("verified"), last=Max("last_seen")
    )
    computed = sorted(
        (row.get("computed_at") or "")
        for row in workspace.platforms.values_list("readiness", flat=True)
        if isinstance(row, dict)
    )
    last = totals["last"].timestamp() if totals["last"] else 0
    parts = (totals["n"], totals["identified"] or 0, totals["verified"] or 0, f"{last:.3f}")
    readiness = zlib.crc32("|".join(computed).encode())
    return "-".join(str(p) for p in (*parts, readiness))


def unchanged(request, version):
    """Whether an htmx poll (``?v=``) already shows ``version``."""
    return request.headers.get("HX-Request") == "true" and request.GET.get("v") == version
