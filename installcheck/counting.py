"""Counting gateway requests without a database write (or a network trip) per request.

Each process adds to an in-memory buffer; a background thread flushes it every
VERITY_COUNT_FLUSH_SECONDS in one pipelined round trip: HINCRBY per distinct counter
into ``verity:counts``, and LPUSH+LTRIM per failure into the workspace's capped
verification log. The fold job (installcheck.fold) moves those into the database.

Without Redis (the embedded development default) the flush goes to the database
(PendingCount and VerificationFailure rows), one batched write per interval, which
works across the web, worker and beat processes as well.

What a hard crash can lose is bounded: at most one flush interval of one process.
If the sink is down the batch is dropped and logged; the gateway's decisions never
depend on counting.
"""

import atexit
import json
import logging
import os
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

from django.conf import settings
from django.db import transaction

from .limits import sync_with_redis
from .models import PendingCount, VerificationFailure
from .redis import client

log = logging.getLogger("verity.counting")


class _Process:
    """This process's id, read once and again in a forked child: ``add`` compares it on
    every request, and os.getpid() is a system call each time."""

    def __init__(self):
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self):
        self.pid = os.getpid()


_process = _Process()

COUNTS_KEY = "verity:counts"
VLOG_KEY = "verity:vlog:{workspace_id}"
VLOG_DIRTY_KEY = "verity:vlog:dirty"
SEP = "\t"
SEEN = "seen"
COUNT = "count"


def _clean(value):
    return (value or "").replace(SEP, " ")


@dataclass(frozen=True)
class CountKey:
    """One counter: requests of one kind from one installation on one day."""

    workspace_id: int
    platform: str
    installation: str
    outcome: str
    code: str = ""
    proof: str = ""
    app_version: str = ""
    day: str = ""

    def field(self):
        parts = (
            COUNT,
            str(self.workspace_id),
            self.platform,
            _clean(self.installation),
            self.outcome,
            self.code,
            self.proof,
            _clean(self.app_version),
            self.day,
        )
        return SEP.join(parts)

    def seen_field(self):
        return SEP.join((SEEN, str(self.workspace_id), self.platform, _clean(self.installation)))


def parse_field(field):
    """(kind, values) of a stored field; kind is COUNT or SEEN, or None if unknown."""
    parts = field.split(SEP)
    if parts[0] == COUNT and len(parts) == 9:
        return COUNT, CountKey(int(parts[1]), *parts[2:])
    if parts[0] == SEEN and len(parts) == 4:
        return SEEN, (int(parts[1]), parts[2], parts[3])
    return None, None


class RedisSink:
    """Writes a batch to Redis in one pipelined round trip."""

    def __init__(self, client):
        self.client = client

    def write(self, counts, seen, failures):
        pipe = self.client.pipeline(transaction=False)
        for field, n in counts.items():
            pipe.hincrby(COUNTS_KEY, field, n)
        if seen:
            pipe.hset(COUNTS_KEY, mapping=seen)
        cap = settings.VERITY_VERIFICATION_LOG_CAP
        for workspace_id, entries in failures.items():
            key = VLOG_KEY.format(workspace_id=workspace_id)
            pipe.lpush(key, *[json.dumps(entry) for entry in entries])
            pipe.ltrim(key, 0, cap - 1)
            pipe.sadd(VLOG_DIRTY_KEY, workspace_id)
        pipe.execute()


class DatabaseSink:
    """Writes a batch to the database (no Redis configured)."""

    def write(self, counts, seen, failures):
        rows = [PendingCount(field=f, count=n) for f, n in counts.items()]
        rows += [PendingCount(field=f, count=int(ts)) for f, ts in seen.items()]
        logs = [
            VerificationFailure(workspace_id=workspace_id, **entry_fields(entry))
            for workspace_id, entries in failures.items()
            for entry in entries
        ]
        with transaction.atomic():
            PendingCount.objects.bulk_create(rows)
            VerificationFailure.objects.bulk_create(logs)


def entry_fields(entry):
    """VerificationFailure fields of a buffered failure entry."""
    return {
        "created_at": datetime.fromtimestamp(entry["ts"], tz=UTC),
        "platform": entry["platform"],
        "installation": entry["installation"],
        "identifier_type": entry.get("identifier_type") or "",
        "identifier": entry.get("identifier") or "",
        "code": entry["code"],
        "rejected": entry["rejected"],
        "app_version": entry.get("app_version") or "",
        "diagnosis": entry.get("diagnosis") or [],
        "request_id": entry["request_id"],
    }


def default_sink():
    if settings.REDIS_URL:
        return RedisSink(client())
    return DatabaseSink()


_KEY, _TIME = itemgetter(0), itemgetter(1)


def _aggregate(events):
    """({CountKey: n}, {CountKey: last unix ts}, {workspace_id: [failure, ...]}) of
    buffered events, whose keys are CountKeys or tuples of their fields.

    Counted and timed in C (Counter of the keys; a dict of the times, where the last
    event of a key wins): the flusher holds the GIL while it aggregates, and requests
    wait for it meanwhile (BENCHMARKS.md, "The flusher and the p99")."""
    keys = list(map(_KEY, events))
    counts = Counter(keys)
    seen = dict(zip(keys, map(_TIME, events), strict=True))
    failures = {}
    for key, _, failure in [event for event in events if event[2] is not None]:
        workspace_id = key[0] if isinstance(key, tuple) else key.workspace_id
        failures.setdefault(workspace_id, []).append(failure)
    named = {key: key if isinstance(key, CountKey) else CountKey(*key) for key in counts}
    return (
        {named[key]: n for key, n in counts.items()},
        {named[key]: int(ts) for key, ts in seen.items()},
        failures,
    )


# Events waiting for the flusher, at most: past it (the flusher stalled or disabled) new
# events are dropped and counted in ``dropped``, so memory stays bounded whatever happens.
MAX_PENDING_EVENTS = 200_000


class CountBuffer:
    """The counts and failures of this process since the last flush.

    ``add`` appends one event to a deque, without a lock: deque.append and popleft are
    atomic, so the request threads and the flusher never wait for each other, and no
    event added during a flush is lost (the flusher takes events one by one, never the
    container). Keys are aggregated at flush time, in the flusher's thread.
    """

    def __init__(self, sink_factory=default_sink):
        self._sink_factory = sink_factory
        self._sink = None
        self._lock = threading.Lock()  # starting the flusher; flushes one at a time
        self._events = deque()
        self._thread_pid = None
        self.dropped = 0

    def add(self, key, now, failure=None):
        """Count one request; ``key`` is a CountKey or the tuple of its fields."""
        events = self._events
        if len(events) < MAX_PENDING_EVENTS:
            events.append((key, now, failure))
        else:
            self.dropped += 1
        if self._thread_pid != _process.pid and settings.VERITY_COUNT_FLUSHER:
            self._start_flusher()

    def flush_discard(self):
        """Forget what is buffered (tests)."""
        self._events.clear()

    def pending(self):
        return len(self._events)

    @property
    def _counts(self):
        """{CountKey: n} of what is buffered, left in place (for inspection)."""
        return _aggregate(list(self._events))[0]

    @property
    def _failures(self):
        """{workspace_id: [failure entry, ...]} buffered, left in place."""
        return _aggregate(list(self._events))[2]

    def _take(self):
        """The events added so far, removed from the buffer, aggregated."""
        events, popleft = [], self._events.popleft
        try:
            while True:
                events.append(popleft())
        except IndexError:
            pass
        return _aggregate(events)

    def flush(self):
        """Send the buffered batch; on failure drop it and log how much was lost."""
        with self._lock:
            counts, seen, failures = self._take()
        if not counts and not failures:
            return 0
        counts = {key.field(): n for key, n in counts.items()}
        last_seen = {}
        for key, ts in seen.items():
            field = key.seen_field()
            last_seen[field] = max(ts, last_seen.get(field, 0))
        try:
            if self._sink is None:
                self._sink = self._sink_factory()
            self._sink.write(counts, last_seen, failures)
        except Exception as exc:  # the sink's errors must never reach a request
            lost = sum(counts.values())
            self.dropped += lost
            log.warning(
                "counting sink unavailable (%s): dropped %d counts and %d failure entries",
                type(exc).__name__,
                lost,
                sum(len(v) for v in failures.values()),
            )
            return 0
        return sum(counts.values())

    def _start_flusher(self):
        with self._lock:
            if self._thread_pid == os.getpid():
                return
            # After a fork the parent's thread is gone: start one in this process.
            self._thread_pid = os.getpid()
            self._sink = None
        thread = threading.Thread(target=self._run, name="verity-count-flusher", daemon=True)
        thread.start()

    def _run(self):
        pid = os.getpid()
        while self._thread_pid == pid:
            time.sleep(settings.VERITY_COUNT_FLUSH_SECONDS)
            try:
                self.flush()
                sync_with_redis()
            except Exception:  # the only flusher of this process: it must outlive a bug
                log.exception("count flusher: one interval failed; it goes on")


buffer = CountBuffer()
atexit.register(buffer.flush)
