"""Hostile input cannot grow the gateway's per-process memory without bound: an over-long
Origin is refused before any cache sees it, and every cache on the gateway path is bounded
in bytes as well as in entries (measured here with tracemalloc, not with the caches' own
accounting)."""

import base64
import json
import time
import tracemalloc
from datetime import UTC, datetime
from unittest import mock

import jwt
import pytest

from installcheck import ping
from security import gateway, gateway_codes, tokens
from security.snapshots import SnapshotCache
from workspaces.domains import MAX_ORIGIN_LENGTH

URL = "/messenger/v1/ping"
KEY = "k" * 40
SLACK = 1.1  # the allocator's own rounding; the caches charge for their nodes already


def send(client, workspace, origin):
    body = json.dumps({"app_id": workspace.app_id, "platform": "web"})
    return client.post(URL, body, content_type="application/json", HTTP_ORIGIN=origin)


@pytest.mark.django_db
def test_an_origin_longer_than_any_url_origin_is_refused_before_it_is_remembered(client, workspace):
    ping.origin_hosts.clear()
    hostile = "https://" + "a" * 400_000 + ".example"
    response = send(client, workspace, hostile)
    assert response.status_code == 400
    assert response.json()["error"] == gateway_codes.INVALID_ORIGIN
    assert response.json()["message"] == gateway.MESSAGES[gateway_codes.INVALID_ORIGIN]
    assert response["Access-Control-Allow-Origin"] == "*"
    assert len(ping.origin_hosts) == 0


@pytest.mark.django_db
def test_the_longest_real_origin_is_served(client, workspace):
    label = "a" * 63
    host = ".".join([label, label, label, "b" * 61])  # 253 characters
    origin = f"https://{host}:65535"
    assert len(origin) <= MAX_ORIGIN_LENGTH
    assert send(client, workspace, origin).status_code == 200
    assert send(client, workspace, origin + "/" * (MAX_ORIGIN_LENGTH - len(origin))).status_code
    assert send(client, workspace, origin.ljust(MAX_ORIGIN_LENGTH + 1, "/")).status_code == 400


def retained_bytes(feed, count):
    """Bytes still allocated after ``feed(i)`` ran for i in range(count), every argument
    dropped by the caller: what the caches kept."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            feed(i)
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_a_bounded_cache_never_holds_more_than_its_bytes():
    cache = tokens.BoundedCache(max_entries=10_000, max_bytes=200_000)
    # Tiny JSON can be big in memory: "[[],[],...]" is 3 bytes per 56-byte list.
    for i in range(300):
        cache.put(f"k{i}", [[] for _ in range(50 + i)])
        assert cache.nbytes <= cache.max_bytes
    held = sum(tokens.deep_size(k) + tokens.deep_size(v[0]) for k, v in cache._entries.items())
    assert held <= cache.nbytes <= cache.max_bytes
    assert cache.get("k299") is not None  # the most recent stay
    assert cache.get("k0") is None  # the least recent went


def test_a_value_bigger_than_the_whole_cache_is_not_kept():
    cache = tokens.BoundedCache(max_entries=10, max_bytes=1_000)
    cache.put("small", "x")
    cache.put("big", "x" * 2_000)
    assert cache.get("big") is None and cache.get("small") == "x"


def test_the_entry_bound_still_holds():
    cache = tokens.BoundedCache(max_entries=3, max_bytes=10**9)
    for i in range(10):
        cache.put(i, i)
    assert len(cache) == 3 and cache.get(9) == 9 and cache.get(6) is None


def test_jwt_headers_of_hostile_tokens_stay_within_the_byte_bound():
    tokens._headers.clear()
    bound = tokens._headers.max_bytes

    def feed(i):
        # A valid header of ~6 KiB of JSON that parses into thousands of objects.
        header = base64.urlsafe_b64encode(
            json.dumps({"alg": "HS256", "x": [[i]] * 1500}).encode()
        ).decode()
        assert tokens.unverified_header(f"{header}.e30.c2ln") is not None

    kept = retained_bytes(feed, 120)
    assert tokens._headers.nbytes <= bound
    assert kept <= bound * SLACK, f"{kept} bytes kept, bound {bound}"


def test_verified_tokens_with_hostile_claims_stay_within_the_byte_bound():
    tokens.verified_tokens.clear()
    bound = tokens.verified_tokens._cache.max_bytes
    now = int(time.time())
    candidates = [tokens.KeyCandidate("kid1", KEY)]
    moment = datetime.now(UTC)

    def feed(i):
        claims = {"user_id": str(i), "exp": now + 600, "x": [[] for _ in range(2500)]}
        token = jwt.encode(claims, KEY, algorithm="HS256", headers={"kid": "kid1"})
        assert tokens.verify(token, candidates, moment).ok

    tokens._headers.clear()
    kept = retained_bytes(feed, 150) - tokens._headers.nbytes
    assert tokens.verified_tokens._cache.nbytes <= bound
    assert kept <= bound * SLACK, f"{kept} bytes kept, bound {bound}"


def test_distinct_origins_stay_within_the_byte_bound():
    ping.origin_hosts.clear()
    bound = ping.origin_hosts.max_bytes
    stem = "https://x" + "a" * (MAX_ORIGIN_LENGTH - 40)

    def feed(i):
        ping.cached_origin_host(f"{stem}{i:030d}.example")

    kept = retained_bytes(feed, 3 * ping.origin_hosts.max_entries)
    assert ping.origin_hosts.nbytes <= bound
    assert kept <= bound * SLACK, f"{kept} bytes kept, bound {bound}"


def test_unknown_app_ids_stay_within_a_fixed_byte_bound():
    """Snapshots of real workspaces are as many as the workspaces; unknown app_ids (at
    most PING_FIELDS' length, a fixed number of them) cannot grow memory past ~5 MiB."""
    max_length = gateway.PING_FIELDS["app_id"][0]
    cache = SnapshotCache(poll_seconds=3600)
    with (
        mock.patch.object(SnapshotCache, "_poll", lambda self: None),
        # Not a Mock: it would keep every call's arguments itself.
        mock.patch("security.snapshots.load_config", lambda app_id: None),
    ):
        kept = retained_bytes(
            lambda i: cache.get(f"{i:08d}".rjust(max_length, "\U0010ffff")), 25_000
        )
    assert kept <= 5 * 1024 * 1024, f"{kept} bytes kept"
