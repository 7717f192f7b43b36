"""A fixed-window counter on the shared cache, for the few limits this app keeps itself
(security.ratelimit is the one the higher apps use; workspaces must not import it)."""

import hashlib
import time

from django.core.cache import cache


def over_limit(scope, key, limit, window_seconds):
    """Count one use of ``scope`` by ``key``; True once this window saw more than
    ``limit``. The key is hashed, so the cache holds no email address."""
    digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    cache_key = f"wl:{scope}:{digest}:{int(time.time() // window_seconds)}"
    cache.add(cache_key, 0, timeout=window_seconds + 1)
    return cache.incr(cache_key) > limit
