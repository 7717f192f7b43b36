"""Recomputing cached installation statuses and the readiness summaries from DailyCount."""

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from security.actions.platforms import record_readiness
from security.models import IdentitySecret, MessengerKey
from security.vocabulary import PLATFORMS
from workspaces.actions import record_origins_seen

from . import readiness
from .models import DailyCount, Installation
from .status import WINDOW_DAYS, Tally, status_of

STATUS_FIELDS = ["status", "top_reason", "identified", "verified", "missing", "invalid", "visitors"]


def window_start(now=None):
    """The first day of the 7-day window that ends today (UTC)."""
    now = now or timezone.now()
    return now.date() - timedelta(days=WINDOW_DAYS - 1)


def window_rows(workspace_id, platform, now=None):
    """The platform's counts over the window, summed per dimension."""
    return (
        DailyCount.objects.filter(
            workspace_id=workspace_id, platform=platform, day__gte=window_start(now)
        )
        .values("installation_id", "installation__name", "outcome", "code", "proof", "app_version")
        .annotate(count=Sum("count"))
        .order_by()
    )


def _last_used(workspace_id, platform):
    """When each proof of ``platform`` last verified: its own secrets and the workspace's
    JWT keys (another platform's secret never proves anything here)."""
    used = {}
    for secret in IdentitySecret.objects.filter(workspace_id=workspace_id, platform=platform):
        used[secret.reference] = secret.last_used_at
    for key in MessengerKey.objects.filter(workspace_id=workspace_id):
        used[key.reference] = key.last_used_at
    return {ref: when for ref, when in used.items() if when is not None}


def _origins_seen(installations, rows, now):
    """The web installations (one per origin) seen in the window, for workspaces' own
    first-domain confirmation (workspaces.actions.add_trusted_domain)."""
    requests = defaultdict(int)
    for row in rows:
        requests[row["installation_id"]] += row["count"]
    start = window_start(now)
    return [
        {"name": i.name, "last_seen": i.last_seen, "requests": requests[i.pk]}
        for i in installations
        if i.last_seen.date() >= start
    ]


def refresh(workspace_id, platform, *, now=None, on_progress=None):
    """Recompute every installation status and the readiness of one platform.

    Returns {status: number of installations}."""
    now = now or timezone.now()
    rows = list(window_rows(workspace_id, platform, now))
    tallies = defaultdict(Tally)
    for row in rows:
        tallies[row["installation_id"]].add(row["outcome"], row["code"], row["count"])
    installations = list(Installation.objects.filter(workspace_id=workspace_id, platform=platform))
    by_status = defaultdict(int)
    for n, installation in enumerate(installations, 1):
        tally = tallies.get(installation.pk, Tally())
        installation.status, installation.top_reason = status_of(tally)
        installation.identified = tally.identified
        installation.verified = tally.verified
        installation.missing = tally.missing
        installation.invalid = tally.invalid
        installation.visitors = tally.visitors
        by_status[installation.status] += 1
        if on_progress and n % 50 == 0:
            on_progress(n, len(installations))
    with transaction.atomic():
        Installation.objects.bulk_update(installations, STATUS_FIELDS, batch_size=500)
        summary = readiness.summarize(
            ({**row, "installation": row["installation__name"]} for row in rows),
            now,
            _last_used(workspace_id, platform),
        )
        record_readiness(workspace_id, platform, summary)
        if platform == "web":
            record_origins_seen(workspace_id, _origins_seen(installations, rows, now), now=now)
    if on_progress:
        on_progress(len(installations), len(installations))
    return dict(by_status)


def recompute_workspace(workspace_id, *, on_progress=None):
    """Refresh every platform of a workspace; ``on_progress(fraction)`` from 0 to 1."""
    totals = defaultdict(int)
    platforms = PLATFORMS
    for index, platform in enumerate(platforms):

        def report(done, total, index=index):
            if on_progress:
                share = done / total if total else 1
                on_progress((index + share) / len(platforms))

        for status, n in refresh(workspace_id, platform, on_progress=report).items():
            totals[status] += n
    return dict(totals)
