"""Asking for a JWKS refetch: at most once a minute per source, never blocking a request.

``queue_fetch`` publishes the fetch job unless another process did within the last
minute: the flag is one atomic ``cache.add`` (Redis ``SET NX EX 60``; the database cache
in development). The gateway calls ``ask`` when a token names a kid no key has: that
only puts the source on an in-process queue (after a per-process once-a-minute check,
so a flood of unknown kids costs a dict lookup each); a daemon thread does the network
work. The gateway's answer never waits on Redis, the broker or the fetch: the token is
refused now, and verifies once the fetched key reaches the snapshot.
"""

import logging
import os
import queue
import threading
import time

from celery import current_app
from django.core.cache import cache

log = logging.getLogger("verity.jwks")

FETCH_TASK = "security.fetch_jwks"
MIN_INTERVAL_SECONDS = 60
LOCK_KEY = "jwks-fetch:{}"


def queue_fetch(source_id, force=False):
    """Publish a fetch of ``source_id`` unless one was published in the last minute (by
    any process); ``force`` publishes anyway (a new registration). Returns whether it did."""
    key = LOCK_KEY.format(source_id)
    if force:
        cache.set(key, 1, MIN_INTERVAL_SECONDS)
    elif not cache.add(key, 1, MIN_INTERVAL_SECONDS):
        return False
    publish(source_id)
    return True


def publish(source_id):
    # By name: the tasks module imports the actions, which import this module (and a web
    # process need not have imported the tasks at all).
    current_app.send_task(FETCH_TASK, args=[source_id])


class RefreshRequests:
    """The gateway's side: remember, per process, when each source was last asked for."""

    def __init__(self):
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._next = {}
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._lock = threading.Lock()

    def ask(self, sources):
        """Ask for a refetch of each of ``sources`` (jwks.SourceState) not asked for in
        the last minute by this process. Returns the ids queued; never blocks."""
        now = time.monotonic()
        queued = []
        for source in sources:
            if self._next.get(source.id, 0.0) > now:
                continue
            self._next[source.id] = now + MIN_INTERVAL_SECONDS
            self._queue.put(source.id)
            queued.append(source.id)
        if queued and self._thread is None:
            self._start()
        return queued

    def _start(self):
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="verity-jwks-refresh", daemon=True
                )
                self._thread.start()

    def _run(self):
        while True:
            source_id = self._queue.get()
            try:
                queue_fetch(source_id)
            except Exception as exc:  # Redis or the broker down: the beat refetches later
                log.warning("cannot ask for a JWKS refetch: %s", type(exc).__name__)

    def forget(self):
        """Tests: every source may be asked for again."""
        self._next = {}


refresh_requests = RefreshRequests()
