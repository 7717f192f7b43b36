"""Thirty days of one platform's identified requests, for the trends page's charts.

Read from the DailyCount rows the fold writes (one per day, installation, outcome, code,
proof and app version; pruned after VERITY_RETENTION_DAYS, 35 by default): nothing new is
counted at the gateway for the charts, and nothing slows it.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from security.models import RotationRequest, RotationStep
from security.models import RotationState as S
from security.vocabulary import ANDROID, IDENTIFIED_OUTCOMES, IOS, VERIFIED, hmac_reference

from .models import DailyCount
from .status import Tally

TREND_DAYS = 30
# The platforms charted by app version.
MOBILE = (IOS, ANDROID)
# App versions drawn one by one; the rest are summed into one "other versions" bar.
TOP_VERSIONS = 6
# Days drawn before a rotation, so the switch is seen against what came before.
DAYS_BEFORE_ROTATION = 7


@dataclass(frozen=True)
class Bucket:
    """The identified requests of one day (or one app version)."""

    label: str
    verified: int = 0
    missing: int = 0
    invalid: int = 0

    @property
    def identified(self):
        return self.verified + self.missing + self.invalid

    @property
    def share(self):
        """The percentage with valid proof (one decimal), or None with no traffic."""
        if not self.identified:
            return None
        return round(self.verified * 100 / self.identified, 1)


def _bucket(label, tally):
    return Bucket(label, tally.verified, tally.missing, tally.invalid)


def trend_days():
    """TREND_DAYS, or fewer when counts are kept for fewer days (VERITY_RETENTION_DAYS,
    at least 8): a pruned day must not be drawn as a day without traffic."""
    return min(TREND_DAYS, settings.VERITY_RETENTION_DAYS)


def window(today=None, days=None):
    """The days of the window, oldest first, ending ``today`` (UTC)."""
    today = today or timezone.now().date()
    days = days or trend_days()
    return [today - timedelta(days=days - 1 - n) for n in range(days)]


def _rows(workspace_id, platform, first_day, *dims):
    return (
        DailyCount.objects.filter(workspace_id=workspace_id, platform=platform, day__gte=first_day)
        .values(*dims, "outcome", "code")
        .annotate(total=Sum("count"))
        .order_by()
    )


def daily(workspace_id, platform, today=None):
    """One Bucket per day of the window (label: the ISO date), empty days included."""
    days = window(today)
    tallies = defaultdict(Tally)
    for row in _rows(workspace_id, platform, days[0], "day"):
        tallies[row["day"]].add(row["outcome"], row["code"], row["total"])
    return [_bucket(day.isoformat(), tallies.get(day, Tally())) for day in days]


@dataclass(frozen=True)
class Versions:
    """The most used app versions (label: the version as sent, "" for none) and the rest
    summed into ``other`` (None when there is no rest), over the window."""

    top: list
    other: Bucket | None = None
    other_count: int = 0


def by_version(workspace_id, platform, today=None, top=TOP_VERSIONS):
    """The ``top`` app versions by identified requests over the window, most first (ties
    by name); the rest summed. Versions without identified requests are left out."""
    days = window(today)
    tallies = defaultdict(Tally)
    for row in _rows(workspace_id, platform, days[0], "app_version"):
        tallies[row["app_version"]].add(row["outcome"], row["code"], row["total"])
    ranked = sorted(
        (item for item in tallies.items() if item[1].identified),
        key=lambda item: (-item[1].identified, item[0]),
    )
    rest = ranked[top:]
    other = None
    if rest:
        other = Bucket(
            "",
            sum(t.verified for _, t in rest),
            sum(t.missing for _, t in rest),
            sum(t.invalid for _, t in rest),
        )
    return Versions([_bucket(v, t) for v, t in ranked[:top]], other, len(rest))


@dataclass(frozen=True)
class SecretSwitch:
    """Requests per day signed with the old and the new secret around a rotation: verified
    by each, and ``old_failed``, refused although signed with the old secret (a retired
    secret that no longer verifies; counted so when the gateway names the secret a wrong
    hash was made with, zero otherwise)."""

    rotation: RotationRequest
    rotated_at: object
    old_reference: str
    new_reference: str
    days: list  # ISO dates, oldest first
    old: list
    new: list
    old_failed: list
    since: int  # the index of the rotation's day in ``days``

    @property
    def old_since(self):
        """Verified by the old secret from the rotation's day on."""
        return sum(self.old[self.since :])

    @property
    def new_since(self):
        return sum(self.new[self.since :])

    @property
    def old_failed_since(self):
        return sum(self.old_failed[self.since :])


def latest_rotation(workspace_id, platform, today=None):
    """The platform's latest HMAC rotation done within the window, with when it was done,
    or (None, None)."""
    first_day = window(today)[0]
    step = (
        RotationStep.objects.filter(
            request__workspace_id=workspace_id,
            request__platform=platform,
            request__old_version__isnull=False,
            request__new_version__isnull=False,
            state=S.ROTATED,
            created_at__date__gte=first_day,
        )
        .select_related("request")
        .order_by("-created_at", "-id")
        .first()
    )
    return (step.request, step.created_at) if step else (None, None)


def secret_switch(workspace_id, platform, today=None):
    """Old secret against new, day by day from a week before the latest rotation (within
    the window), or None when the platform was not rotated within the window."""
    rotation, rotated_at = latest_rotation(workspace_id, platform, today)
    if rotation is None:
        return None
    old = hmac_reference(platform, rotation.old_version)
    new = hmac_reference(platform, rotation.new_version)
    rotated_on = rotated_at.date()
    start = rotated_on - timedelta(days=DAYS_BEFORE_ROTATION)
    days = [day for day in window(today) if day >= start]
    counts = defaultdict(int)
    for row in (
        DailyCount.objects.filter(
            workspace_id=workspace_id,
            platform=platform,
            day__gte=days[0],
            outcome__in=IDENTIFIED_OUTCOMES,
            proof__in=(old, new),
        )
        .values("day", "proof", "outcome")
        .annotate(total=Sum("count"))
        .order_by()
    ):
        failed = row["outcome"] != VERIFIED
        counts[(row["day"], row["proof"], failed)] += row["total"]
    return SecretSwitch(
        rotation=rotation,
        rotated_at=rotated_at,
        old_reference=old,
        new_reference=new,
        days=[day.isoformat() for day in days],
        old=[counts[(day, old, False)] for day in days],
        new=[counts[(day, new, False)] for day in days],
        old_failed=[counts[(day, old, True)] for day in days],
        since=days.index(rotated_on) if rotated_on in days else 0,
    )
