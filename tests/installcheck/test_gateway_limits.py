"""Gateway rate limits per source and per workspace (429 + Retry-After), the diagnosis
budget, and the limits shared between processes through Redis."""

import json
from collections import Counter
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
        mock.patch.object(limits, "client", return_value=down),
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


# ---- the fleet-wide bound (README "Known limits") ----------------------------------------


class FakeRedis:
    """The few Redis commands ``WindowLimiter.sync`` pipelines, in memory."""

    def __init__(self):
        self.values, self.sets = {}, {}

    def pipeline(self, transaction=False):
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, redis):
        self.redis, self.replies = redis, []

    def incrby(self, name, delta):
        self.redis.values[name] = self.redis.values.get(name, 0) + delta
        self.replies.append(self.redis.values[name])

    def expire(self, name, seconds):
        self.replies.append(True)

    def sadd(self, name, member):
        members = self.redis.sets.setdefault(name, set())
        self.replies.append(int(member not in members))
        members.add(member)

    def scard(self, name):
        self.replies.append(len(self.redis.sets.get(name, ())))

    def execute(self):
        return self.replies


def flood(processes, limit, per_tick, windows, flush=0.5, phases=None, tick=0.01):
    """Drive ``processes`` limiters sharing one Redis on a simulated clock: every ``tick``
    each process receives ``per_tick[i]`` requests of one source; each syncs every
    ``flush`` seconds from its phase. Returns the fleet's admitted requests per window."""
    now = [1000.0]
    redis = FakeRedis()
    fleet = [WindowLimiter(lambda: now[0]) for _ in range(processes)]
    phases = phases or [0.1 + 0.25 * i for i in range(processes)]
    next_sync = [1000.0 + phase for phase in phases]
    admitted = Counter()
    for step in range(int(windows / tick)):
        now[0] = 1000.0 + step * tick
        for i, limiter in enumerate(fleet):
            if now[0] >= next_sync[i]:
                limiter.sync(redis)
                next_sync[i] += flush
            for _ in range(per_tick[i]):
                if limiter.allow("s:198.51.100.66", limit):
                    admitted[int(now[0]) - 1000] += 1
    return [admitted[w] for w in range(windows)]


def test_a_flood_over_two_processes_gets_the_limit_not_twice_it():
    # 100/s allowed; 5,000/s arrive at each of two processes.
    admitted = flood(2, 100, per_tick=[50, 50], windows=10)
    assert admitted[0] <= 2 * 100  # before the processes hear of each other
    assert all(90 <= n <= 100 + 1 for n in admitted[1:]), admitted


@pytest.mark.parametrize("processes", [3, 4, 12])
def test_the_bound_is_the_limit_plus_one_per_process_from_the_second_window(processes):
    phases = [0.03 + 0.47 * i / processes for i in range(processes)]
    admitted = flood(processes, 100, [20] * processes, windows=6, phases=phases)
    assert admitted[0] <= processes * 100
    assert all(n <= 100 + processes - 1 for n in admitted[1:]), admitted


def test_flushes_drifting_past_half_a_window_keep_the_bound():
    # A busy flusher: 0.52 s between syncs, so some windows see one sync per process.
    admitted = flood(2, 100, [50, 50], windows=12, flush=0.52, phases=[0.45, 0.05])
    assert all(n <= 100 + 1 for n in admitted[1:]), admitted


def test_an_uneven_flood_is_held_to_the_limit_at_most():
    admitted = flood(2, 100, [9, 1], windows=8)  # 900/s and 100/s
    assert all(n <= 100 + 1 for n in admitted[1:]), admitted
    assert all(n >= 50 for n in admitted[1:]), admitted  # and is not starved


def test_a_source_no_process_refuses_overshoots_by_at_most_one_flush_interval():
    # 120/s spread 70:50: no process reaches its cap before it hears of the other, so
    # the fleet can pass the limit by what the others admit after their last sync of
    # the window: at most one flush interval (0.5 s) of the source's traffic.
    admitted = flood(2, 100, [7, 5], windows=8, tick=0.1)
    assert all(n <= 100 + 0.5 * 120 for n in admitted), admitted


def test_a_source_under_its_limit_is_never_refused():
    # 80/s spread over two processes: under the limit of 100, every request passes.
    admitted = flood(2, 100, [1, 0], windows=4, tick=0.025)
    assert admitted == [40, 40, 40, 40]
    admitted = flood(2, 100, [1, 1], windows=4, tick=0.025)
    assert admitted == [80, 80, 80, 80]


def test_once_the_flood_ends_the_full_limit_is_back():
    now = [2000.2]
    redis = FakeRedis()
    first, second = WindowLimiter(lambda: now[0]), WindowLimiter(lambda: now[0])
    for limiter in (first, second):
        while limiter.allow("k", 10):
            pass
    first.sync(redis), second.sync(redis), first.sync(redis)
    now[0] = 2001.2  # still flooded: the first holds its share of the limit
    assert sum(first.allow("k", 10) for _ in range(20)) == 5
    now[0] = 2002.2
    assert [first.allow("k", 10) for _ in range(3)] == [True] * 3  # the flood ended
    now[0] = 2003.2  # nothing refused last window: the whole limit again
    assert sum(first.allow("k", 10) for _ in range(20)) == 10


def test_sync_survives_requests_adding_keys_meanwhile():
    """Request threads add keys without the lock while the flusher's sync reads them: it
    used to fail with 'dictionary changed size during iteration' and kill the flusher."""
    import sys
    import threading

    limiter = WindowLimiter(lambda: 100.0)

    def flood():  # quiet keys (far under their limit): sync reads them, sends none
        for i in range(200_000):
            limiter.allow(f"s:{i}", 1000)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as CPython allows
    thread = threading.Thread(target=flood)
    thread.start()
    errors = []
    try:
        while thread.is_alive() and not errors:
            try:
                limiter.sync(None)  # nothing to send: it never reaches Redis
            except RuntimeError as exc:
                errors.append(exc)
    finally:
        thread.join()
        sys.setswitchinterval(interval)
    assert errors == []
