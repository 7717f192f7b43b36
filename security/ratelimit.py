"""Fixed-window rate limits on the shared cache (Redis in production).

``limit`` raises the one throttled refusal every route renders alike (429, Retry-After,
``rate_limited``). The cache failing is not a reason to let a signing oracle run free:
a limit that cannot be counted refuses with 503 (workspaces.refusals.unavailable).
"""

import logging
import time

from django.core.cache import cache

from workspaces.refusals import rate_limited, unavailable

log = logging.getLogger("verity.ratelimit")


def hit(scope, key, limit, window_seconds):
    """Count one use; return 0 if allowed, else the seconds until the window resets."""
    window = int(time.time() // window_seconds)
    cache_key = f"rl:{scope}:{key}:{window}"
    try:
        count = cache.incr(cache_key)
    except ValueError:
        cache.add(cache_key, 0, timeout=window_seconds + 1)
        count = cache.incr(cache_key)
    if count > limit:
        return max(1, int((window + 1) * window_seconds - time.time()) + 1)
    return 0


def limit(scope, key, max_uses, window_seconds, *, what):
    """Count one use of ``scope`` by ``key``; raise Refused (429) over the limit, or
    Refused (503) when the counter cannot be reached (fail closed)."""
    try:
        retry_after = hit(scope, key, max_uses, window_seconds)
    except Exception as exc:  # redis-py and django-redis raise several connection types
        log.error("rate limit %s cannot be counted: %s", scope, type(exc).__name__)
        raise unavailable("The rate limiter") from None
    if retry_after:
        raise rate_limited(retry_after, what)
