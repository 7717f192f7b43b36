"""Two folds at once, each on its own database connection, never double-count."""

import threading
import uuid

import pytest
from django.db import connection

from installcheck import fold as folding
from installcheck.counting import COUNTS_KEY, buffer
from installcheck.models import DailyCount
from tests.installcheck.traffic import send_verified

pytestmark = pytest.mark.slow


def run_concurrently(function, times):
    barrier = threading.Barrier(times)
    errors = []

    def body():
        try:
            barrier.wait()
            function()
        except Exception as exc:  # reported below, with the thread's failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_two_folds_at_once_count_every_ping_exactly_once(workspace, redis_client):
    for n in range(6):
        send_verified(workspace, f"a{n}")
    buffer.flush()
    # A leftover of a crashed fold, which both folds will find and race for.
    redis_client.rename(COUNTS_KEY, folding.FOLDING_COUNTS + uuid.uuid4().hex)
    for n in range(4):
        send_verified(workspace, f"b{n}", origin="https://two.example.com")
    buffer.flush()

    run_concurrently(folding.fold, 2)

    total = sum(DailyCount.objects.filter(workspace=workspace).values_list("count", flat=True))
    assert total == 10
    assert not list(redis_client.scan_iter(match="verity:counts*"))
