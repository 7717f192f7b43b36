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

import json
import logging
import os
import time
import uuid

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from workspaces.models import Workspace

from .apply import FoldResult, aggregate, apply_counts
from .counting import COUNTS_KEY, VLOG_DIRTY_KEY, VLOG_KEY, entry_fields
from .models import FoldBatch, PendingCount, VerificationFailure
from .recompute import refresh
from .redis import client

log = logging.getLogger("verity.fold")

FOLDING_COUNTS = "verity:counts:folding:"
FOLDING_VLOG = "verity:vlog:folding:"


def _test_pause(point):
    """Test hook: VERITY_FOLD_TEST_PAUSE=<point>:<seconds> sleeps at ``point`` (``rename``
    or ``commit``) so a test can kill the worker mid-fold. Never set in production."""
    spec = os.environ.get("VERITY_FOLD_TEST_PAUSE", "")
    where, _, seconds = spec.partition(":")
    if where == point and seconds:
        log.warning("fold paused at %s for %s s (test hook)", point, seconds)
        time.sleep(float(seconds))


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
    result = fold_redis(client()) if settings.REDIS_URL else fold_database()
    for workspace_id, platform in sorted(result.touched):
        refresh(workspace_id, platform)
    return result
