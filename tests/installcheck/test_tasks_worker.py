"""A real Celery worker against real Redis: folds, a worker killed mid-fold, the check job.

Each test starts ``celery worker -P solo`` as a subprocess on the test database, so the
tests commit their data (transactional_db)."""

import os
import signal

import pytest
from rest_framework.test import APIClient

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import DailyCount, Installation
from installcheck.tasks import fold_counts
from tests.installcheck.celery_worker import wait_for, worker_fixture  # noqa: F401 (fixture)
from tests.installcheck.traffic import send, send_verified

pytestmark = [pytest.mark.celery, pytest.mark.slow]


def counted(workspace):
    return sum(DailyCount.objects.filter(workspace=workspace).values_list("count", flat=True))


def test_pings_through_the_gateway_appear_after_a_worker_fold(worker, workspace):
    worker()
    for n in range(7):
        send_verified(workspace, f"u{n}")
    send(workspace, user_id="nohash", origin="https://other.example.com")
    buffer.flush()

    fold_counts.delay()

    wait_for(lambda: counted(workspace) == 8, what="the fold")
    # The statuses are refreshed after the counts commit: wait for that step too.
    wait_for(
        lambda: Installation.objects.get(name="shop.example.com").status == "verified",
        what="the refresh after the fold",
    )
    assert Installation.objects.get(name="other.example.com").top_reason == "missing_user_hash"


@pytest.mark.parametrize("point", ["rename", "commit"])
def test_a_worker_killed_mid_fold_loses_and_double_counts_nothing(
    worker, workspace, redis_client, point
):
    process = worker(VERITY_FOLD_TEST_PAUSE=f"{point}:60")
    for n in range(10):
        send_verified(workspace, f"u{n}")
    buffer.flush()
    fold_counts.delay()
    wait_for(lambda: f"fold paused at {point}" in process.log_text(), what=f"the pause at {point}")
    # The gateway keeps counting while the fold hangs.
    for n in range(5):
        send(workspace, user_id=f"late{n}")
    buffer.flush()

    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    assert list(redis_client.scan_iter(match=folding.FOLDING_COUNTS + "*"))

    folding.fold()
    folding.fold()

    assert counted(workspace) == 15
    assert not list(redis_client.scan_iter(match=folding.FOLDING_COUNTS + "*"))


def test_the_check_job_reports_progress_and_completion(worker, workspace, personas):
    worker()
    for n in range(3):
        send_verified(workspace, f"u{n}", platform="ios", app_bundle="com.acme.app")
    buffer.flush()
    api = APIClient()
    api.force_authenticate(personas["admin"])

    response = api.post(f"/api/v1/workspaces/{workspace.app_id}/installations/check")
    assert response.status_code == 202
    job_url = f"/api/v1/jobs/{response.json()['job_id']}"
    seen = set()

    def finished():
        body = api.get(job_url).json()
        seen.add((body["state"], body["progress"]))
        return body if body["state"] in ("succeeded", "failed") else None

    body = wait_for(finished, what="the check job")
    assert body["state"] == "succeeded", body["error"]
    assert body["progress"] == 100
    assert body["result"]["installations"] == 1
    assert body["result"]["folded"]["counts"] == 3
    assert body["started_at"] and body["finished_at"]
    assert all(0 <= progress <= 100 for _, progress in seen)
