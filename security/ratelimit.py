"""Fixed-window rate limits on the shared cache (Redis in production)."""

import time

from django.core.cache import cache


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
