"""A real Celery worker subprocess on the test database (fixture ``worker``)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

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


@pytest.fixture(name="worker")
def worker_fixture(transactional_db, postgres, redis_client, tmp_path):
    """start(pool=..., include=[modules], **env) launches a worker and waits until it is
    ready. The default solo pool dies with its task; prefork (one child) survives a child
    that dies, the way production workers do."""
    started = []

    def start(pool="solo", include=(), loglevel="INFO", **extra_env):
        log_path = tmp_path / f"worker-{len(started)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "VERITY_TEST_REDIS_KEEP_DB": "1",
            **extra_env,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", pool]
        if pool == "prefork":
            command += ["--concurrency", "1"]
        for module in include:
            command += ["--include", module]
        command += ["--without-mingle", "--without-gossip", "-l", loglevel]
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
