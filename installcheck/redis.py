"""The process's Redis client for counting and folding (short timeouts: Redis being
slow or down must cost the gateway nothing but statistics)."""

import functools

import redis
from django.conf import settings


@functools.cache
def client():
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=0.5,
        socket_timeout=1.0,
        health_check_interval=30,
        decode_responses=True,
    )
