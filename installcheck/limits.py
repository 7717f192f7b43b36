"""Gateway rate limits, per source address and per workspace, with no round trip per request.

Limits are in requests per one-second window. Each process counts the current window's
requests per key in memory and refuses a key once its own count passes its cap: the
limit, or less once the process knows the others' share. Every VERITY_COUNT_FLUSH_SECONDS
the count flusher also calls ``sync``: it adds this process's counts of the busy keys
(past a tenth of their limit here, or refused here) to Redis, joins the key's set of
processes, and reads back the fleet's total and how many processes share the key. Then:

- a key over the limit across the fleet is refused everywhere until the window ends;
- otherwise this process's cap for the rest of the window is what the others have left
  (limit - their count), so it cannot spend their share;
- a key that was over the limit last window (refused here, or heard over it) starts the
  next window with a cap of ceil(limit / processes sharing it): a flood does not buy
  each process the whole limit again every window.

The fleet therefore admits at most P x limit per window of a flood that P processes
receive until every process has heard of the others (each holds the full limit until
then), and at most limit + P - 1 in each later window. Hearing takes a flush after the
others' first: a process whose only flush in the flood's first window came before
another's first flush starts the second window alone, with the full limit (README "Known
limits"; seen: 40, 30, then 20 per window for a limit of 20 on 2 processes). A source
over its limit and unevenly spread may get a little less than the limit: a cap is never
raised within a window. Without Redis, or with Redis down, each
process enforces the limit on its own traffic: the limits never make the gateway depend
on Redis.
"""

import logging
import os
import threading
import time
from collections import Counter

from django.conf import settings
from redis.exceptions import RedisError

from .redis import client

log = logging.getLogger("verity.limits")

KEY = "verity:rl:{window}:{key}"
PROCESSES = "verity:rl:{window}:{key}:p"
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
        self._caps = {}  # key -> this process's cap, where below the limit
        self._sharers = {}  # key -> most processes heard sharing it this window

    def clear(self):
        self._roll(-1)

    def _roll(self, window):
        with self._lock:
            if window == self._window:
                return
            caps, sharers = {}, {}
            if window == self._window + 1:
                # Keys over the limit last window start this one with their share only.
                for key, processes in self._sharers.items():
                    if processes > 1 and key in self._blocked:
                        caps[key] = -(-self._limits[key] // processes)
                        sharers[key] = processes
            self._window = window
            self._counts, self._synced = Counter(), Counter()
            self._limits, self._blocked = {}, set()
            self._caps, self._sharers = caps, sharers

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
        self._limits[key] = limit
        if count > limit or count > self._caps.get(key, limit):
            self._blocked.add(key)
            return False
        self._counts[key] = count
        return True

    def sync(self, client):
        """Share this window's busy keys with the other processes through Redis."""
        with self._lock:
            window = self._window
            pushed = {}
            # A copy (one C call, atomic under the GIL): request threads add keys without
            # the lock, and iterating the live dict would fail when one does meanwhile.
            for key, count in dict(self._counts).items():
                if key not in self._blocked and count * 10 < self._limits.get(key, 0):
                    continue
                # A busy key is read back even without news from here (INCRBY 0): the
                # other processes may have pushed it over the limit meanwhile. A refused
                # one too: the others must hear of this process's share.
                pushed[key] = (count - self._synced[key], count)
                self._synced[key] = count
        if not pushed:
            return 0
        member = f"{os.getpid()}:{id(self)}"  # this process (and limiter): new after a fork
        pipe = client.pipeline(transaction=False)
        for key, (delta, _) in pushed.items():
            total, processes = (
                KEY.format(window=window, key=key),
                PROCESSES.format(window=window, key=key),
            )
            pipe.incrby(total, delta)
            pipe.expire(total, 5)
            pipe.sadd(processes, member)
            pipe.scard(processes)
            pipe.expire(processes, 5)
        replies = pipe.execute()
        with self._lock:
            if self._window == window:
                heard = zip(pushed.items(), replies[0::5], replies[3::5], strict=True)
                for (key, (_, count)), total, processes in heard:
                    limit = self._limits.get(key, 0)
                    self._sharers[key] = max(self._sharers.get(key, 0), processes)
                    if total > limit:
                        self._blocked.add(key)
                    elif limit - (total - count) < self._caps.get(key, limit):
                        self._caps[key] = limit - (total - count)
        return len(pushed)


limiter = WindowLimiter()
# How many failed hashes each workspace gets diagnosed per second in this process.
diagnosis_budget = WindowLimiter()


def sync_with_redis():
    """Called by the count flusher; a Redis failure only leaves the limits local."""
    if not settings.REDIS_URL:
        return
    try:
        limiter.sync(client())
    except (RedisError, OSError) as exc:
        log.warning("rate limits not shared this interval (%s)", type(exc).__name__)
