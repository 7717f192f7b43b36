"""Redis stopped while the gateway is under load, then started again.

Several threads keep sending pings (proven, unproven, forged, visitors) to an enforced
platform of a real gateway process the whole time. Expected: not one unproven or forged
request is accepted, every proven one is, nothing answers 5xx, the lost statistics are
logged, and counting resumes by itself when Redis is back. Bounded by request counts
and deadlines; no timing is asserted.
"""

import threading

import pytest

from installcheck.counting import COUNTS_KEY
from security.actions.platforms import set_enforcement
from security.hashing import user_hash
from tests.factories import make_workspace, secret_of
from tests.installcheck.test_gateway_processes import (  # noqa: F401 (fixtures)
    gateways,
    private_redis,
    wait_for,
)

pytestmark = pytest.mark.slow

SENDERS = 3
MAX_REQUESTS_PER_SENDER = 4000


def test_redis_stopped_under_load_never_lets_an_unproven_request_through(
    gateways,  # noqa: F811
    private_redis,  # noqa: F811
):
    workspace = make_workspace("Under load")
    set_enforcement(workspace, "web", True, actor=None)
    secret = secret_of(workspace, "web")
    base = {"app_id": workspace.app_id, "platform": "web"}
    good = user_hash(secret, "42")
    requests = {
        "visitor": (base, 200, "visitor"),
        "proven": ({**base, "user_id": "42", "user_hash": good}, 200, "verified"),
        "unproven": ({**base, "user_id": "42"}, 403, "missing_user_hash"),
        "forged": ({**base, "user_id": "42", "user_hash": "0" * 64}, 401, "invalid_user_hash"),
        "other user": (
            {**base, "user_id": "43", "user_hash": good},
            401,
            "invalid_user_hash",
        ),
    }
    store = private_redis()
    gateway = gateways(
        "under-load",
        REDIS_URL=f"redis://127.0.0.1:{store.port}/0",
        VERITY_COUNT_FLUSHER="1",
        VERITY_COUNT_FLUSH_SECONDS="0.2",
    )
    phase = ["up"]
    stop = threading.Event()
    wrong, seen = [], []
    lock = threading.Lock()

    def sender(offset):
        kinds = list(requests)
        for n in range(MAX_REQUESTS_PER_SENDER):
            if stop.is_set():
                return
            kind = kinds[(n + offset) % len(kinds)]
            body, status, code = requests[kind]
            during = phase[0]
            try:
                got_status, got = gateway.post(body)
            except OSError as exc:  # a dropped connection counts as a failure too
                got_status, got = 0, {"exception": repr(exc)}
            got_code = got.get("identity") if got_status == 200 else got.get("error")
            with lock:
                seen.append((during, kind))
                if (got_status, got_code) != (status, code):
                    wrong.append((during, kind, got_status, got))

    threads = [threading.Thread(target=sender, args=(i,), daemon=True) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    try:
        assert wait_for(lambda: store.client().hlen(COUNTS_KEY) > 0, 10), "counts never flowed"

        store.kill()
        phase[0] = "down"
        assert wait_for(lambda: "dropped" in gateway.log(), 10), gateway.log()[-3000:]
        # Keep the load on without Redis for a while (a bounded number of requests).
        with lock:
            before = len(seen)
        assert wait_for(lambda: len(seen) > before + 200, 60), "the load stalled without Redis"

        store = private_redis(store.port)  # the same address, an empty server
        phase[0] = "back"
        recovered = wait_for(lambda: store.client().hlen(COUNTS_KEY) > 0, 15, interval=0.2)
        assert recovered, "counting did not resume by itself"
        with lock:
            before = len(seen)
        assert wait_for(lambda: len(seen) > before + 100, 60), "the load stalled after Redis"
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:5]}"
    for during in ("up", "down", "back"):
        kinds = {kind for phase_, kind in seen if phase_ == during}
        assert kinds == set(requests), f"not every kind of request was sent while {during}"
    assert "Traceback" not in gateway.log()
    fields = store.client().hkeys(COUNTS_KEY)
    assert any(f"\t{workspace.id}\tweb\t" in field for field in fields)
