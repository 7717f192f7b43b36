"""Gateway rate limits per source and per workspace (429 + Retry-After), the diagnosis
budget, and the limits shared between processes through Redis."""

import json
from unittest import mock

import pytest

from installcheck import ping
from installcheck.counting import buffer
from installcheck.limits import WindowLimiter
from security.hashing import user_hash
from tests.factories import make_workspace, secret_of

URL = "/messenger/v1/ping"


@pytest.fixture(autouse=True)
def _one_window():
    """Every request of a test falls in the same one-second window (no flaky rollover)."""
    from installcheck import limits

    with (
        mock.patch.object(limits.limiter, "_clock", lambda: 12345.5),
        mock.patch.object(limits.diagnosis_budget, "_clock", lambda: 12345.5),
    ):
        yield


def send(client, workspace, address="203.0.113.7", **extra):
    body = {"app_id": workspace.app_id, "platform": "web", **extra.pop("fields", {})}
    return client.post(
        URL, json.dumps(body), content_type="application/json", REMOTE_ADDR=address, **extra
    )


def assert_limited(response):
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json()["error"] == "rate_limited"
    assert "Retry-After" in response["Access-Control-Expose-Headers"]


def test_one_source_over_its_limit_gets_429_and_others_are_served(client, workspace, settings):
    settings.VERITY_GATEWAY_SOURCE_LIMIT = 3
    assert [send(client, workspace).status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(send(client, workspace))
    assert send(client, workspace, address="198.51.100.9").status_code == 200


def test_refused_requests_are_not_counted(client, workspace, settings):
    settings.VERITY_GATEWAY_SOURCE_LIMIT = 2
    for _ in range(5):
        send(client, workspace)
    assert buffer.pending() == 2


def test_a_spoofed_forwarded_for_does_not_escape_the_source_limit(client, workspace, settings):
    settings.VERITY_GATEWAY_SOURCE_LIMIT = 2
    codes = [
        send(client, workspace, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(4)
    ]
    assert codes == [200, 200, 429, 429]


def test_behind_trusted_proxies_the_address_they_saw_is_the_source(client, workspace, settings):
    settings.VERITY_GATEWAY_SOURCE_LIMIT = 2
    settings.VERITY_TRUSTED_PROXY_COUNT = 1
    # The client writes whatever it likes on the left; the proxy appends what it saw.
    codes = [
        send(
            client, workspace, address="10.1.1.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 192.0.2.44"
        ).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    other = send(client, workspace, address="10.1.1.1", HTTP_X_FORWARDED_FOR="192.0.2.45")
    assert other.status_code == 200


def test_one_workspace_over_its_limit_does_not_slow_another(client, workspace, settings):
    settings.VERITY_GATEWAY_WORKSPACE_LIMIT = 3
    other = make_workspace("Other")
    codes = [send(client, workspace, address=f"192.0.2.{n}").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert_limited(send(client, workspace, address="192.0.2.99"))
    assert send(client, other, address="192.0.2.99").status_code == 200


def test_unknown_app_ids_do_not_use_up_a_workspace_limit(client, workspace, settings):
    settings.VERITY_GATEWAY_WORKSPACE_LIMIT = 2
    for _ in range(5):
        response = client.post(
            URL, json.dumps({"app_id": "nope", "platform": "web"}), "application/json"
        )
        assert response.status_code == 404
    assert send(client, workspace).status_code == 200


def test_a_new_window_serves_again():
    now = [1000.2]
    limiter = WindowLimiter(clock=lambda: now[0])
    assert [limiter.allow("k", 2) for _ in range(3)] == [True, True, False]
    now[0] = 1000.9
    assert limiter.allow("k", 2) is False
    now[0] = 1001.0
    assert limiter.allow("k", 2) is True


def test_zero_means_no_limit():
    limiter = WindowLimiter()
    assert all(limiter.allow("k", 0) for _ in range(10_000))


def test_processes_share_their_counts_through_redis(redis_client):
    now = [5000.5]
    first, second = WindowLimiter(lambda: now[0]), WindowLimiter(lambda: now[0])
    # Each process alone stays under the limit of 10...
    assert all(first.allow("w:1", 10) for _ in range(6))
    assert all(second.allow("w:1", 10) for _ in range(6))
    first.sync(redis_client)
    second.sync(redis_client)
    first.sync(redis_client)  # the next interval: the first hears of the second's count
    # ...together they are over it: both refuse until the window ends.
    assert first.allow("w:1", 10) is False
    assert second.allow("w:1", 10) is False
    now[0] = 5001.0
    assert first.allow("w:1", 10) is True


def test_quiet_keys_are_not_sent_to_redis(redis_client):
    limiter = WindowLimiter(lambda: 7000.0)
    limiter.allow("s:192.0.2.1", 100)  # 1 % of its limit
    assert limiter.sync(redis_client) == 0
    assert redis_client.keys("verity:rl:*") == []


def test_redis_down_leaves_the_limits_local(settings, caplog):
    import redis

    from installcheck import limits

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    down = redis.Redis(port=1, socket_connect_timeout=0.2)
    local = WindowLimiter(clock=lambda: 9000.0)
    local.allow("w:1", 1)
    with (
        mock.patch.object(limits, "limiter", local),
        mock.patch("installcheck.redis.client", return_value=down),
    ):
        limits.sync_with_redis()
    assert "rate limits not shared this interval (ConnectionError)" in caplog.text
    assert local.allow("w:1", 1) is False


class Recorder:
    def __init__(self):
        self.failures = []

    def write(self, counts, seen, failures):
        for entries in failures.values():
            self.failures.extend(entries)


@pytest.fixture
def recorder():
    sink = Recorder()
    previous = buffer._sink
    buffer._sink = sink
    yield sink
    buffer._sink = previous


def test_failed_hashes_beyond_the_budget_are_logged_not_diagnosed(
    client, workspace, settings, recorder
):
    settings.VERITY_GATEWAY_DIAGNOSES_PER_SECOND = 2
    wrong = user_hash(secret_of(workspace, "ios"), "42")  # the iOS secret, sent from web
    for _ in range(3):
        send(client, workspace, fields={"user_id": "42", "user_hash": wrong})
    send(client, workspace, fields={"user_id": "42"})  # missing hash: never diagnosed
    buffer.flush()
    diagnoses = [entry["diagnosis"] for entry in recorder.failures]
    assert [d[0]["code"] for d in diagnoses[:2]] == ["other_platform_secret"] * 2
    assert diagnoses[2] == [ping.NOT_DIAGNOSED]
    assert diagnoses[3] == []


def test_failures_without_a_hash_do_not_spend_the_diagnosis_budget(
    client, workspace, settings, recorder
):
    settings.VERITY_GATEWAY_DIAGNOSES_PER_SECOND = 1
    for _ in range(3):
        send(client, workspace, fields={"user_id": "42"})  # missing hash
    wrong = user_hash(secret_of(workspace, "ios"), "42")
    send(client, workspace, fields={"user_id": "42", "user_hash": wrong})
    buffer.flush()
    assert recorder.failures[-1]["diagnosis"][0]["code"] == "other_platform_secret"
