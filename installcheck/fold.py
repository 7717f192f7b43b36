"""Folding the gateway's counts into the database, loss-free and idempotent.

With Redis, a fold first RENAMEs ``verity:counts`` to ``verity:counts:folding:<batch>``
(atomic: the gateway's next HINCRBY starts a fresh hash), then applies that hash in ONE
transaction which also inserts ``FoldBatch(<batch>)``, commits, and only then DELetes
the key. A fold killed before the commit leaves the key behind and the next fold applies
it; killed after the commit, the next fold finds the FoldBatch row and only deletes the
key. Two folds applying the same leftover key race on the FoldBatch unique row: one
applies, the other rolls back. The verification-log lists are folded the same way.

Without Redis the gateway writes PendingCount rows; a fold aggregates and deletes the
rows up to the current max id in one transaction.
"""

import logging
import os
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from security.gateway import PLATFORMS
from workspaces.models import Workspace

from .counting import COUNT, COUNTS_KEY, VLOG_DIRTY_KEY, VLOG_KEY, entry_fields, parse_field
from .models import (
    OVERFLOW_NAME,
    DailyCount,
    FoldBatch,
    Installation,
    PendingCount,
    VerificationFailure,
)

log = logging.getLogger("verity.fold")

FOLDING_COUNTS = "verity:counts:folding:"
FOLDING_VLOG = "verity:vlog:folding:"
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


def _test_pause(point):
    """Test hook: VERITY_FOLD_TEST_PAUSE=<point>:<seconds> sleeps at ``point`` (``rename``
    or ``commit``) so a test can kill the worker mid-fold. Never set in production."""
    spec = os.environ.get("VERITY_FOLD_TEST_PAUSE", "")
    where, _, seconds = spec.partition(":")
    if where == point and seconds:
        log.warning("fold paused at %s for %s s (test hook)", point, seconds)
        time.sleep(float(seconds))


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
    from security.models import IdentitySecret, MessengerKey

    latest = {}
    for key in counts:
        if key.outcome != "verified" or not key.proof:
            continue
        ts = seen.get((key.workspace_id, key.platform, key.installation))
        if ts:
            ref = (key.workspace_id, key.proof)
            latest[ref] = max(latest.get(ref, 0), ts)
    for (ws, proof), ts in latest.items():
        when = _when(ts)
        kind, _, rest = proof.partition(":")
        if kind == "hmac":
            platform, _, version = rest.partition(":v")
            if not version.isdigit():
                continue
            rows = IdentitySecret.objects.filter(
                workspace_id=ws, platform=platform, version=version
            )
        elif kind == "jwt":
            rows = MessengerKey.objects.filter(workspace_id=ws, kid=rest)
        else:
            continue
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
    _touch_proofs(counts, seen)
    result.counts = sum(counts.values())
    result.touched = {(ws, platform) for ws, platform, _ in names}
    return result


def _apply_batch(batch_id, apply):
    """Run ``apply()`` and record the batch in one transaction; a batch already recorded
    is skipped. Returns the FoldResult (``skipped_batches`` = 1 when skipped)."""
    try:
        with transaction.atomic():
            FoldBatch.objects.create(batch_id=batch_id)
            result = apply()
            FoldBatch.objects.filter(batch_id=batch_id).update(counts=result.counts)
    except IntegrityError:
        # Only the FoldBatch insert can conflict: another fold applied this batch.
        if not FoldBatch.objects.filter(batch_id=batch_id).exists():
            raise
        log.info("fold batch %s was already applied; dropping it", batch_id)
        return FoldResult(skipped_batches=1)
    result.batches = 1
    return result


def _store_failures(workspace_id, raw_entries):
    import json

    result = FoldResult()
    if not Workspace.objects.filter(pk=workspace_id).exists():
        return result
    rows = []
    for raw in raw_entries:
        try:
            rows.append(
                VerificationFailure(workspace_id=workspace_id, **entry_fields(json.loads(raw)))
            )
        except (ValueError, KeyError, TypeError):
            log.warning("fold skipped an unreadable verification-log entry")
    VerificationFailure.objects.bulk_create(rows)
    prune_log(workspace_id)
    result.failures = len(rows)
    return result


def prune_log(workspace_id, cap=None):
    """Keep the newest ``cap`` verification-log entries of a workspace."""
    cap = cap or settings.VERITY_VERIFICATION_LOG_CAP
    stale = list(
        VerificationFailure.objects.filter(workspace_id=workspace_id)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[cap:]
    )
    if stale:
        VerificationFailure.objects.filter(id__in=stale).delete()
    return len(stale)


# --- the two sources -----------------------------------------------------------------


def _fold_counts_key(client, key):
    batch_id = "counts:" + key.removeprefix(FOLDING_COUNTS)
    counts, seen = aggregate(client.hgetall(key).items())
    result = _apply_batch(batch_id, lambda: apply_counts(counts, seen))
    _test_pause("commit")
    client.delete(key)
    return result


def _fold_vlog_key(client, key):
    workspace_id, _, batch = key.removeprefix(FOLDING_VLOG).partition(":")
    entries = client.lrange(key, 0, -1)
    # LPUSH puts the newest first: store oldest first so ids follow time.
    entries.reverse()
    result = _apply_batch(
        f"vlog:{workspace_id}:{batch}", lambda: _store_failures(int(workspace_id), entries)
    )
    client.delete(key)
    return result


def fold_redis(client):
    """Fold leftover batches of crashed folds, then the current counts and logs."""
    import redis

    total = FoldResult()
    for key in client.scan_iter(match=FOLDING_COUNTS + "*", count=100):
        total.merge(_fold_counts_key(client, key))
    key = FOLDING_COUNTS + uuid.uuid4().hex
    try:
        client.rename(COUNTS_KEY, key)
    except redis.ResponseError:  # no such key: nothing counted since the last fold
        key = None
    if key:
        _test_pause("rename")
        total.merge(_fold_counts_key(client, key))

    for key in client.scan_iter(match=FOLDING_VLOG + "*", count=100):
        total.merge(_fold_vlog_key(client, key))
    for workspace_id in client.smembers(VLOG_DIRTY_KEY):
        # Clear the flag before the rename: a push in between sets it again.
        client.srem(VLOG_DIRTY_KEY, workspace_id)
        key = f"{FOLDING_VLOG}{workspace_id}:{uuid.uuid4().hex}"
        try:
            client.rename(VLOG_KEY.format(workspace_id=workspace_id), key)
        except redis.ResponseError:
            continue
        total.merge(_fold_vlog_key(client, key))
    return total


def fold_database():
    """Fold PendingCount rows (no Redis) in one transaction."""
    with transaction.atomic():
        top = PendingCount.objects.aggregate(top=Max("id"))["top"]
        if top is None:
            return FoldResult()
        pending = PendingCount.objects.select_for_update().filter(id__lte=top)
        counts, seen = aggregate(pending.values_list("field", "count"))
        result = apply_counts(counts, seen)
        pending.delete()
    for workspace_id in {ws for ws, _ in result.touched}:
        prune_log(workspace_id)
    result.batches = 1
    return result


def fold():
    """Fold whatever the gateway counted, from Redis or the database; then refresh the
    statuses and readiness of what changed. Returns the FoldResult."""
    from .recompute import refresh

    if settings.REDIS_URL:
        from .redis import client

        result = fold_redis(client())
    else:
        result = fold_database()
    for workspace_id, platform in sorted(result.touched):
        refresh(workspace_id, platform)
    return result
