"""What a hard crash of a gateway process can lose is bounded: the counts of its last
flush interval, never anything flushed before (installcheck/counting.py)."""

import pytest

from installcheck.counting import COUNT, COUNTS_KEY, parse_field
from tests.factories import make_workspace
from tests.installcheck.test_gateway_processes import gateways, private_redis, wait_for  # noqa: F401

pytestmark = pytest.mark.slow


def test_a_hard_crash_loses_at_most_the_last_flush_interval(gateways, private_redis):  # noqa: F811
    workspace = make_workspace("Crash")
    store = private_redis()
    gateway = gateways(
        "crash",
        REDIS_URL=f"redis://127.0.0.1:{store.port}/0",
        VERITY_COUNT_FLUSHER="1",
        VERITY_COUNT_FLUSH_SECONDS="1.0",
    )
    visitor = {"app_id": workspace.app_id, "platform": "web"}

    def counted():
        total = 0
        for field, value in store.client().hgetall(COUNTS_KEY).items():
            kind, key = parse_field(field)
            if kind == COUNT and key.workspace_id == workspace.id:
                total += int(value)
        return total

    for _ in range(20):
        assert gateway.post(visitor)[0] == 200
    assert wait_for(lambda: counted() == 20, 10), "the first 20 were never flushed"

    for _ in range(5):
        assert gateway.post(visitor)[0] == 200
    gateway.process.kill()  # SIGKILL: no atexit flush, like a power cut
    gateway.process.wait()

    assert 20 <= counted() <= 25
