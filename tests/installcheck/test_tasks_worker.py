"""A real Celery worker against real Redis: folds, a worker killed mid-fold, the check job.

Each test starts ``celery worker -P solo`` as a subprocess on the test database, so the
tests commit their data (transactional_db)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from installcheck import fold as folding
from installcheck.counting import buffer
from installcheck.models import DailyCount, Installation
from installcheck.tasks import fold_counts
from tests.installcheck.traffic import send, send_verified

pytestmark = [pytest.mark.celery, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(transactional_db, postgres, redis_client, tmp_path):
    """start(**env) launches a worker and waits until it is ready."""
    started = []

    def start(**extra_env):
        log_path = tmp_path / f"worker-{len(started)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "VERITY_TEST_REDIS_KEEP_DB": "1",
            **extra_env,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"]
        command += ["--without-mingle", "--without-gossip", "-l", "INFO"]
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)

        def ready():
            assert process.poll() is None, log_path.read_text()[-3000:]
            return " ready." in log_path.read_text()

        wait_for(ready, 60, "the worker to start")
        process.log_text = lambda: log_path.read_text()
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


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
    assert Installation.objects.get(name="shop.example.com").status == "verified"
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
