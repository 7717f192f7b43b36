"""Applying aggregated gateway counts to Installation and DailyCount rows, inside the
caller's transaction (see installcheck.fold for how batches stay loss-free)."""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from security.actions.rotation_traffic import add_rotation_traffic
from security.models import IdentitySecret, MessengerKey
from security.vocabulary import HMAC, PLATFORMS, VERIFIED, parse_reference
from workspaces.models import Workspace

from .counting import COUNT, parse_field
from .models import OVERFLOW_NAME, DailyCount, Installation

log = logging.getLogger("verity.fold")

UPSERT_CHUNK = 500


@dataclass
class FoldResult:
    """What one fold did: counts applied, log entries stored, (workspace, platform) touched."""

    counts: int = 0
    failures: int = 0
    batches: int = 0
    skipped_batches: int = 0
    touched: set = field(default_factory=set)

    def merge(self, other):
        self.counts += other.counts
        self.failures += other.failures
        self.batches += other.batches
        self.skipped_batches += other.skipped_batches
        self.touched |= other.touched

    def as_dict(self):
        return {
            "counts": self.counts,
            "failures": self.failures,
            "batches": self.batches,
            "skipped_batches": self.skipped_batches,
        }


# --- parsing -------------------------------------------------------------------------


def aggregate(pairs):
    """({CountKey: n}, {(workspace_id, platform, installation): unix ts}) from raw
    (field, value) pairs; seen values keep the max, unknown fields are skipped."""
    counts, seen = defaultdict(int), {}
    for raw_field, raw_value in pairs:
        try:
            kind, value = parse_field(raw_field)
            number = int(raw_value)
        except (ValueError, TypeError):
            kind = None
        if kind is None or value_platform(kind, value) not in PLATFORMS:
            log.warning("fold skipped an unreadable counter field")
            continue
        if kind == COUNT:
            counts[value] += number
        else:
            seen[value] = max(seen.get(value, 0), number)
    return counts, seen


def value_platform(kind, value):
    return value.platform if kind == COUNT else value[1]


# --- applying ------------------------------------------------------------------------


def _when(ts):
    return datetime.fromtimestamp(ts, tz=UTC) if ts else timezone.now()


def _resolve_installations(names, seen):
    """{(ws, platform, name): Installation}, creating the missing ones; names past the
    workspace's cap map to its ``(other)`` row."""
    workspace_ids = {ws for ws, _, _ in names}
    existing = {
        (i.workspace_id, i.platform, i.name): i
        for i in Installation.objects.filter(
            workspace_id__in=workspace_ids, name__in={n for _, _, n in names} | {OVERFLOW_NAME}
        )
    }
    totals = defaultdict(int)
    for row in (
        Installation.objects.filter(workspace_id__in=workspace_ids, is_overflow=False)
        .values_list("workspace_id")
        .order_by()
    ):
        totals[row[0]] += 1
    target, to_create = {}, {}
    for key in sorted(names):
        ws, platform, name = key
        if key in existing:
            target[key] = key
            continue
        if totals[ws] >= settings.VERITY_MAX_INSTALLATIONS:
            target[key] = (ws, platform, OVERFLOW_NAME)
        else:
            totals[ws] += 1
            target[key] = key
        final = target[key]
        if final not in existing and final not in to_create:
            when = _when(seen.get(key))
            to_create[final] = Installation(
                workspace_id=ws,
                platform=platform,
                name=final[2],
                first_seen=when,
                last_seen=when,
                is_overflow=final[2] == OVERFLOW_NAME,
            )
    if to_create:
        # A concurrent fold may create the same rows: keep theirs.
        Installation.objects.bulk_create(to_create.values(), ignore_conflicts=True)
        for i in Installation.objects.filter(
            workspace_id__in={k[0] for k in to_create},
            name__in={k[2] for k in to_create},
        ):
            existing.setdefault((i.workspace_id, i.platform, i.name), i)
    return {key: existing[final] for key, final in target.items()}


def _upsert_daily(rows):
    """Add counts with INSERT ... ON CONFLICT DO UPDATE (PostgreSQL and SQLite)."""
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    columns = [
        "workspace_id",
        "platform",
        "installation_id",
        "day",
        "outcome",
        "code",
        "proof",
        "app_version",
        "count",
    ]
    keys = ", ".join(columns[:-1])
    # A fixed order, so concurrent folds lock rows in the same order (no deadlock).
    items = sorted(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), UPSERT_CHUNK):
            chunk = items[start : start + UPSERT_CHUNK]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params = [value for key, n in chunk for value in (*key, n)]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
                f"ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + EXCLUDED.count",
                params,
            )


def _touch_proofs(counts, seen):
    """Move IdentitySecret/MessengerKey.last_used_at forward from verified counts."""
    latest = {}
    for key in counts:
        if key.outcome != VERIFIED or not key.proof:
            continue
        ts = seen.get((key.workspace_id, key.platform, key.installation))
        if ts:
            ref = (key.workspace_id, key.proof)
            latest[ref] = max(latest.get(ref, 0), ts)
    for (ws, proof), ts in latest.items():
        when = _when(ts)
        parsed = parse_reference(proof)
        if parsed is None:
            continue
        if parsed.method == HMAC:
            rows = IdentitySecret.objects.filter(
                workspace_id=ws, platform=parsed.platform, version=parsed.version
            )
        else:
            rows = MessengerKey.objects.filter(workspace_id=ws, kid=parsed.kid)
        # Statistics, not a setting: a conditional update, no audit event.
        rows.filter(last_used_at__isnull=True).update(last_used_at=when)
        rows.filter(last_used_at__lt=when).update(last_used_at=when)


def apply_counts(counts, seen):
    """Apply aggregated counts inside the caller's transaction; returns a FoldResult."""
    result = FoldResult()
    live = set(
        Workspace.objects.filter(
            id__in={k.workspace_id for k in counts} | {k[0] for k in seen}
        ).values_list("id", flat=True)
    )
    counts = {k: n for k, n in counts.items() if k.workspace_id in live and n}
    seen = {k: ts for k, ts in seen.items() if k[0] in live}
    names = {(k.workspace_id, k.platform, k.installation) for k in counts} | set(seen)
    if not names:
        return result
    installations = _resolve_installations(names, seen)
    last_seen = {}
    for key, installation in installations.items():
        ts = seen.get(key)
        if ts:
            last_seen[installation.pk] = max(last_seen.get(installation.pk, 0), ts)
    for pk, ts in sorted(last_seen.items()):
        Installation.objects.filter(pk=pk, last_seen__lt=_when(ts)).update(last_seen=_when(ts))
    rows = defaultdict(int)
    for key, n in counts.items():
        installation = installations[(key.workspace_id, key.platform, key.installation)]
        day = date.fromisoformat(key.day) if key.day else timezone.now().date()
        dims = (
            key.workspace_id,
            key.platform,
            installation.pk,
            day.isoformat(),
            key.outcome,
            key.code,
            key.proof,
            key.app_version[:64],
        )
        rows[dims] += n
    if rows:
        _upsert_daily(rows)
    by_proof = defaultdict(int)
    for key, n in counts.items():
        by_proof[(key.workspace_id, key.platform, key.outcome, key.proof)] += n
    add_rotation_traffic(by_proof)
    _touch_proofs(counts, seen)
    result.counts = sum(counts.values())
    result.touched = {(ws, platform) for ws, platform, _ in names}
    return result
