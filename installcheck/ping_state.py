"""Per-process state of the gateway route (installcheck.ping), kept off its hot path:
the settings it reads on every request, request ids, the day of a timestamp, and the
bounded caches of parsed pings, normalised Origins and source addresses."""

import itertools
import os
import secrets
import threading
import time

from django.conf import settings
from django.core.signals import setting_changed

from security.gateway import parse_ping
from security.tokens import BoundedCache
from workspaces.auth import client_address
from workspaces.domains import origin_host


class _Settings:
    """The settings read on every request, as plain attributes: Django's LazySettings
    costs a Python call per read. Read again whenever a setting changes (the
    setting_changed signal, which override_settings and pytest-django's fixture send)."""

    def __init__(self):
        self.load()
        setting_changed.connect(self._changed, weak=False)

    def _changed(self, **kwargs):
        self.load()

    def load(self):
        self.ssl_redirect = settings.SECURE_SSL_REDIRECT
        self.proxy_ssl_header = settings.SECURE_PROXY_SSL_HEADER
        self.source_limit = settings.VERITY_GATEWAY_SOURCE_LIMIT
        self.workspace_limit = settings.VERITY_GATEWAY_WORKSPACE_LIMIT
        self.worker_header = settings.VERITY_GATEWAY_WORKER_HEADER
        self.proxies = settings.VERITY_TRUSTED_PROXY_COUNT
        hsts = ()
        if settings.SECURE_HSTS_SECONDS:
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            hsts = (("Strict-Transport-Security", value),)
        self.hsts = hsts


conf = _Settings()


class _RequestIds:
    """Unique, cheap request ids: a counter, then a random suffix per process."""

    def __init__(self):
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self):
        self.pid = os.getpid()
        self._suffix = secrets.token_hex(4)
        self._counter = itertools.count(secrets.randbelow(1 << 32))

    def next(self):
        return f"{next(self._counter) & 0xFFFFFFFF:08x}{self._suffix}"


request_ids = _RequestIds()
# Origins repeat: normalising (IDNA, validation) is done once per distinct value. Keys are
# at most MAX_ORIGIN_LENGTH characters (longer ones are refused first), and the bytes they
# hold are bounded as well.
origin_hosts = BoundedCache(max_entries=4096, max_bytes=2 * 1024 * 1024)
_UNSEEN = object()


def cached_origin_host(origin):
    host = origin_hosts.get(origin, _UNSEEN)
    if host is _UNSEEN:
        host = origin_host(origin)
        origin_hosts.put(origin, host)
    return host


class _Days:
    """The UTC day of a unix time as YYYY-MM-DD, formatted once per day, not per request."""

    def __init__(self):
        self._span = (0, -1, "")

    def of(self, now):
        start, end, text = self._span
        if start <= now < end:
            return text
        day_start = now - now % 86400
        text = time.strftime("%Y-%m-%d", time.gmtime(now))
        self._span = (day_start, day_start + 86400, text)
        return text


days = _Days()


class ParsedPings:
    """parse_ping once per distinct body. A messenger sends the same ping again on every
    page a signed-in visitor opens, and parsing is about a third of the gateway's own
    time (BENCHMARKS.md); parse_ping is a pure function of the bytes, so the Ping kept is
    the one it would make again. Only valid pings are kept, only bodies of at most
    ``max_body`` bytes, at most ``max_entries`` of them holding ``max_bytes`` of bodies
    in all: when the next one would pass either bound, the memo is emptied first. Not a
    security.tokens.BoundedCache: its LRU move on every hit and its deep_size on every
    put would cost the hit and the miss (every body of the cold mix) more than a dict."""

    def __init__(self, max_entries=4096, max_bytes=1 << 20, max_body=2048):
        self.max_entries, self.max_bytes, self.max_body = max_entries, max_bytes, max_body
        self._pings = {}
        self._bytes = 0  # of the bodies held
        self._lock = threading.Lock()  # a miss only: the hit is one dict read

    def __len__(self):
        return len(self._pings)

    @property
    def nbytes(self):
        return self._bytes

    def clear(self):
        with self._lock:
            self._pings.clear()
            self._bytes = 0

    def parse(self, body):
        """parse_ping(body), from the memo when this body was seen; raises BadPing."""
        ping = self._pings.get(body) if type(body) is bytes else None
        if ping is not None:
            return ping
        ping = parse_ping(body)
        size = len(body)
        if type(body) is bytes and size <= self.max_body:
            with self._lock:
                if len(self._pings) >= self.max_entries or self._bytes + size > self.max_bytes:
                    self._pings.clear()
                    self._bytes = 0
                if body not in self._pings:
                    self._pings[body] = ping
                    self._bytes += size
        return ping


parsed_pings = ParsedPings()


# The source address per (REMOTE_ADDR, X-Forwarded-For, proxies): the same few values
# arrive again and again. Only short keys are kept, and at most _MAX_SOURCES of them.
_sources = {}
_MAX_SOURCES = 4096
_MAX_SOURCE_KEY = 256


def source_address(meta):
    remote, forwarded = meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR")
    key = (remote, forwarded, conf.proxies)
    address = _sources.get(key)
    if address is None:
        address = client_address(meta, conf.proxies)
        if len(remote or "") + len(forwarded or "") <= _MAX_SOURCE_KEY:
            if len(_sources) >= _MAX_SOURCES:
                _sources.clear()
            _sources[key] = address
    return address
