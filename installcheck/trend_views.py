"""The trends page of one platform: 30 days of identified requests drawn as SVG charts
(installcheck.charts), each with the table of its numbers, for whoever may see readiness."""

from dataclasses import replace
from datetime import date

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from security.models import PlatformSettings
from security.vocabulary import PLATFORMS, platform_label
from workspaces.access import workspace_for

from . import charts, trends
from .charts import Series

NO_VERSION = "(none sent)"
OTHER_VERSIONS = "other versions"


def _short(iso_day):
    """ "Dec 2" for 2026-12-02 (the chart's axis; the table shows the full date)."""
    day = date.fromisoformat(iso_day)
    return f"{day:%b} {day.day}"


def _outcome_series(buckets):
    return [
        Series("verified", "Verified", tuple(b.verified for b in buckets)),
        Series("missing", "Missing proof", tuple(b.missing for b in buckets)),
        Series("invalid", "Invalid proof", tuple(b.invalid for b in buckets)),
    ]


def _totals(buckets):
    verified = sum(b.verified for b in buckets)
    missing = sum(b.missing for b in buckets)
    invalid = sum(b.invalid for b in buckets)
    identified = verified + missing + invalid
    return {
        "identified": identified,
        "verified": verified,
        "missing": missing,
        "invalid": invalid,
        "share": charts.percent(verified, identified),
    }


def _daily_charts(label, buckets):
    days = [b.label for b in buckets]
    short = [_short(day) for day in days]
    totals = _totals(buckets)
    with_traffic = [b for b in buckets if b.identified]
    first, last = with_traffic[0], with_traffic[-1]
    requests = charts.stacked_bars(
        "daily",
        f"{label}: identified requests per day, last {len(buckets)} days",
        (
            f"Stacked bars from {days[0]} to {days[-1]}. {totals['identified']:,} identified "
            f"requests: {totals['verified']:,} verified, {totals['missing']:,} missing proof, "
            f"{totals['invalid']:,} with invalid proof."
        ),
        short,
        _outcome_series(buckets),
        row_labels=days,
    )
    share = charts.share_line(
        "share",
        f"{label}: share of identified requests with valid proof, per day",
        (
            f"A line from 0 to 100%. {totals['share']} over the {len(buckets)} days; "
            f"{first.share:g}% on {first.label} (the first day with traffic) and "
            f"{last.share:g}% on {last.label} (the latest)."
        ),
        short,
        [b.share for b in buckets],
        row_labels=days,
    )
    return [requests, share]


def version_label(version):
    return version or NO_VERSION


def _version_chart(label, versions, days):
    buckets = [replace(b, label=version_label(b.label)) for b in versions.top]
    if versions.other is not None:
        buckets.append(replace(versions.other, label=f"{OTHER_VERSIONS} ({versions.other_count})"))
    if not buckets:
        return None
    best = max(buckets, key=lambda b: (b.share or 0, b.identified))
    return charts.horizontal_bars(
        "versions",
        f"{label}: identified requests by app version, last {days} days",
        (
            f"One bar per app version, the most used first. The highest share with valid "
            f"proof: {best.label}, {best.share:g}% of {best.identified:,}."
        ),
        [b.label for b in buckets],
        _outcome_series(buckets),
    )


def _switch_chart(label, switch):
    old_total, new_total = switch.old_since, switch.new_since
    failed_total = switch.old_failed_since
    short = [_short(day) for day in switch.days]
    rotated_on = switch.days[switch.since]
    series = [Series("old", f"Old secret ({switch.old_reference})", tuple(switch.old))]
    refused = ""
    if any(switch.old_failed):
        series.append(
            Series("old-failed", "Old secret, refused", tuple(switch.old_failed)),
        )
        refused = f" {failed_total:,} more signed with the old secret were refused."
    series.append(Series("new", f"New secret ({switch.new_reference})", tuple(switch.new)))
    return charts.stacked_bars(
        "rotation",
        f"{label}: old secret against new around the rotation of {rotated_on}",
        (
            f"Stacked bars of requests per day from {switch.days[0]}; the dashed line marks "
            f"the rotation. Since then {old_total:,} verified by the old secret "
            f"({switch.old_reference}) and {new_total:,} by the new one "
            f"({switch.new_reference}): "
            f"{charts.percent(new_total, old_total + new_total)} on the new secret.{refused}"
        ),
        short,
        series,
        row_labels=switch.days,
        tick_every=max(len(switch.days) // 4, 1),
        marker=(switch.since, "rotated"),
    )


def trend_context(workspace, platform, today=None):
    """Everything the trends page shows of one platform (the charts' SVG marked safe:
    charts.py escapes every text it writes)."""
    today = today or timezone.now().date()
    label = platform_label(platform)
    buckets = trends.daily(workspace.pk, platform, today)
    totals = _totals(buckets)
    daily_charts, version_chart = [], None
    if totals["identified"]:
        daily_charts = _daily_charts(label, buckets)
        if platform in trends.MOBILE:
            version_chart = _version_chart(
                label, trends.by_version(workspace.pk, platform, today), len(buckets)
            )
    switch = trends.secret_switch(workspace.pk, platform, today)
    rotation_chart = _switch_chart(label, switch) if switch else None
    for chart in (*daily_charts, version_chart, rotation_chart):
        if chart is not None:
            chart.svg = mark_safe(chart.svg)  # noqa: S308 (built by charts.py, every text escaped)
    settings_row = PlatformSettings.objects.filter(workspace=workspace, platform=platform).first()
    return {
        "platform": platform,
        "label": label,
        "days": len(buckets),
        "first_day": buckets[0].label,
        "last_day": buckets[-1].label,
        "totals": totals,
        "daily_charts": daily_charts,
        "version_chart": version_chart,
        "is_mobile": platform in trends.MOBILE,
        "switch": switch,
        "rotation_chart": rotation_chart,
        "enforced": bool(settings_row and settings_row.enforced),
        "tabs": [{"platform": p, "label": platform_label(p)} for p in PLATFORMS],
    }


@login_required
@require_GET
def platform_trends(request, app_id, platform):
    workspace = workspace_for(request.user, app_id, "view")
    context = {"workspace": workspace, **trend_context(workspace, platform)}
    return render(request, "installcheck/trends.html", context)
