"""Every per-process cache the gateway route keeps is bounded by size, whatever the
traffic: the source addresses, the rendered answers and the count buffer (the Origin,
token and snapshot caches are covered by test_gateway_memory)."""

import json
from datetime import UTC, datetime

import pytest

from installcheck import counting, ping, ping_state
from security import gateway
from security.gateway import Decision


def test_source_addresses_are_bounded_and_long_chains_are_not_kept(settings):
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    ping_state._sources.clear()
    for i in range(3 * ping_state._MAX_SOURCES):
        meta = {
            "REMOTE_ADDR": "10.0.0.1",
            "HTTP_X_FORWARDED_FOR": f"192.0.{i // 256 % 256}.{i % 256}",
        }
        assert ping_state.source_address(meta) == f"192.0.{i // 256 % 256}.{i % 256}"
        assert len(ping_state._sources) <= ping_state._MAX_SOURCES
    ping_state._sources.clear()
    chain = ", ".join(["198.51.100.7"] * 200)  # past _MAX_SOURCE_KEY characters
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": chain}
    assert ping_state.source_address(meta) == "198.51.100.7"
    assert len(ping_state._sources) == 0


def test_the_answers_kept_per_outcome_are_bounded():
    ping._PREFIXES.clear()
    for i in range(3 * ping._MAX_PREFIXES):
        decision = Decision(401, "rejected", code="invalid_user_hash", message=f"m{i}")
        reply = ping._respond(decision, "00000000abcdef01")
        assert reply.body.endswith(b'"request_id": "00000000abcdef01"}')
        assert len(ping._PREFIXES) <= ping._MAX_PREFIXES


def test_bad_requests_with_their_fields_are_never_kept():
    ping._PREFIXES.clear()
    decision = gateway.bad_request("Some fields are invalid.", {"app_id": "x" * 1000})
    ping._respond(decision, "00000000abcdef01")
    assert len(ping._PREFIXES) == 0


def test_a_spliced_answer_is_the_json_of_the_whole_body():
    """The request id spliced into a kept answer gives the bytes json.dumps would."""
    policy = gateway.VersionPolicy("5.2.0", datetime(2027, 3, 1, tzinfo=UTC))
    decision = Decision(
        200, "unverified", code="missing_user_hash", message='é"\n', version_policy=policy
    )
    for _ in range(2):  # made, then kept
        reply = ping._respond(decision, "0123456789abcdef")
        assert (
            reply.body == json.dumps({**decision.body(), "request_id": "0123456789abcdef"}).encode()
        )


@pytest.mark.django_db
def test_the_count_buffer_is_bounded_when_nothing_flushes_it(monkeypatch, settings):
    settings.VERITY_COUNT_FLUSHER = False
    monkeypatch.setattr(counting, "MAX_PENDING_EVENTS", 100)
    buffer = counting.CountBuffer()
    key = (1, "web", "shop.example", "visitor", "", "", "", "2026-12-02")
    for _ in range(250):
        buffer.add(key, 1_700_000_000)
    assert buffer.pending() == 100
    assert buffer.dropped == 150


@pytest.mark.django_db
def test_the_flusher_outlives_a_failed_interval(monkeypatch, settings):
    """One interval that raises (a bug, not a sink error) must not stop counting for the
    life of the process: the next interval flushes."""
    import threading

    settings.VERITY_COUNT_FLUSHER = True
    settings.VERITY_COUNT_FLUSH_SECONDS = 0.01
    written, failed_once = [], threading.Event()

    class Sink:
        def write(self, counts, seen, failures):
            written.append(sum(counts.values()))

    def sync_fails_once():
        if not failed_once.is_set():
            failed_once.set()
            raise RuntimeError("dictionary changed size during iteration")

    monkeypatch.setattr(counting, "sync_with_redis", sync_fails_once)
    buffer = counting.CountBuffer(sink_factory=Sink)
    key = (1, "web", "shop.example", "visitor", "", "", "", "2026-12-02")
    buffer.add(key, 1_700_000_000)
    try:
        assert failed_once.wait(5)
        buffer.add(key, 1_700_000_001)
        for _ in range(500):
            if sum(written) == 2:
                break
            threading.Event().wait(0.01)
        assert sum(written) == 2
    finally:
        buffer._thread_pid = None  # the flusher's loop ends


def _body(i, padding=""):
    return json.dumps(
        {"app_id": f"app_{i:016x}", "platform": "web", "user_id": f"u{i}", "page": padding}
    ).encode()


def test_a_repeated_body_is_parsed_once_into_the_same_ping():
    memo = ping_state.ParsedPings()
    first = memo.parse(_body(1))
    assert memo.parse(_body(1)) is first
    assert first == gateway.parse_ping(_body(1))
    assert len(memo) == 1


def test_the_parsed_pings_are_bounded_by_entries_and_by_bytes():
    memo = ping_state.ParsedPings(max_entries=50, max_bytes=4000, max_body=200)
    for i in range(500):
        assert memo.parse(_body(i)).user_id == f"u{i}"
        assert len(memo) <= 50
        assert memo.nbytes <= 4000
    memo.clear()
    for i in range(500):  # bodies of ~150 bytes: the byte bound is the tighter one
        memo.parse(_body(i, "x" * 90))
        assert memo.nbytes <= 4000
        assert len(memo) <= 4000 // 150


def test_bad_bodies_and_long_bodies_are_never_kept():
    memo = ping_state.ParsedPings(max_body=200)
    for body in (b"{", b'{"app_id": 1}', b'{"a": 1, "a": 2}', b"[]"):
        with pytest.raises(gateway.BadPing):
            memo.parse(body)
    long_body = _body(1, "x" * 300)
    assert memo.parse(long_body).user_id == "u1"
    assert len(memo) == 0
    assert memo.nbytes == 0
