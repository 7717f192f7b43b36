"""Gateway rate limits, per source address and per workspace, with no round trip per request.

Limits are in requests per one-second window. Each process counts the current window's
requests per key in memory and refuses a key as soon as its own count passes the limit.
Every VERITY_COUNT_FLUSH_SECONDS the count flusher also calls ``sync``: it adds this
process's counts of the busy keys (those past a tenth of their limit here) to Redis and
reads back the totals of all processes, so a key over the limit across the fleet is
refused everywhere until the window ends. Overshoot is therefore bounded by one flush
interval of traffic. Without Redis, or with Redis down, each process enforces the limit
on its own traffic: the limits never make the gateway depend on Redis.
"""

import logging
import threading
import time
from collections import Counter

from redis.exceptions import RedisError

log = logging.getLogger("verity.limits")

KEY = "verity:rl:{window}:{key}"
RETRY_AFTER_SECONDS = 1  # windows are one second: the next one starts within it


class WindowLimiter:
    """Per-key counts of the current one-second window, and the keys refused in it."""

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._window = 0
        self._counts = Counter()
        self._synced = Counter()
        self._limits = {}
        self._blocked = set()

    def clear(self):
        self._roll(-1)

    def _roll(self, window):
        with self._lock:
            if window != self._window:
                self._window = window
                self._counts, self._synced = Counter(), Counter()
                self._limits, self._blocked = {}, set()

    def allow(self, key, limit):
        """Count one request of ``key``; False when it is over ``limit`` (0: no limit)."""
        if not limit:
            return True
        window = int(self._clock())
        if window != self._window:
            self._roll(window)
        if key in self._blocked:
            return False
        # Unlocked increments can lose a count between threads: a limit, not a ledger.
        count = self._counts[key] + 1
        self._counts[key] = count
        self._limits[key] = limit
        if count > limit:
            self._blocked.add(key)
            return False
        return True

    def sync(self, client):
        """Share this window's busy keys with the other processes through Redis."""
        with self._lock:
            window = self._window
            deltas = {}
            for key, count in self._counts.items():
                if key in self._blocked or count * 10 < self._limits.get(key, 0):
                    continue
                # A busy key is read back even without news from here (INCRBY 0):
                # the other processes may have pushed it over the limit meanwhile.
                deltas[key] = count - self._synced[key]
                self._synced[key] = count
        if not deltas:
            return 0
        pipe = client.pipeline(transaction=False)
        for key, delta in deltas.items():
            name = KEY.format(window=window, key=key)
            pipe.incrby(name, delta)
            pipe.expire(name, 5)
        totals = pipe.execute()[::2]
        with self._lock:
            if self._window == window:
                for key, total in zip(deltas, totals, strict=True):
                    if total > self._limits.get(key, 0):
                        self._blocked.add(key)
        return len(deltas)


limiter = WindowLimiter()
# How many failed hashes each workspace gets diagnosed per second in this process.
diagnosis_budget = WindowLimiter()


def sync_with_redis():
    """Called by the count flusher; a Redis failure only leaves the limits local."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return
    from .redis import client

    try:
        limiter.sync(client())
    except (RedisError, OSError) as exc:
        log.warning("rate limits not shared this interval (%s)", type(exc).__name__)
