"""The deployment recipe runs: deploy/Procfile's web, worker and beat lines serve the
gateway and fold its counts on PostgreSQL and Redis; compose.yaml runs the same lines."""

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from installcheck.counting import buffer
from installcheck.models import Installation
from tests.factories import make_workspace
from tests.installcheck.test_gateway_processes import (
    database_url_of_the_test_database,
    free_port,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# The venv running the tests provides python, granian and celery to the Procfile lines.
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


def procfile():
    lines = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            lines[name.strip()] = command.strip()
    return lines


def test_compose_runs_the_procfile_commands():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "release", "postgres", "redis"} <= set(services)
    for name, command in procfile().items():
        shell = re.fullmatch(r'sh -c "(.*)"', services[name]["command"]).group(1)
        assert shell.replace("$$", "$") == command, name


def test_the_procfile_names_web_worker_beat_and_release():
    lines = procfile()
    assert set(lines) == {"release", "web", "worker", "beat"}
    assert "check --deploy" in lines["release"]
    assert "--prefetch-multiplier 1" in lines["worker"]


class Process:
    """One Procfile line run by ``sh`` in its own process group, output to ``log_path``.

    By default in this checkout, on the test database, with the test run's environment;
    ``cwd`` and ``environ`` (the whole base environment) say otherwise."""

    def __init__(self, command, log_path, *, cwd=ROOT, environ=None, **env):
        self.log_path = log_path
        if environ is None:
            environ = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": database_url_of_the_test_database(),
                "VERITY_SSL_REDIRECT": "1",
                "VERITY_TRUSTED_PROXY_COUNT": "1",
            }
        self.env = {**environ, "PATH": f"{BIN}:{environ.get('PATH', '')}", **env}
        self.command = command
        self.cwd = cwd

    def __enter__(self):
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            ["sh", "-c", self.command],
            cwd=self.cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def __exit__(self, *exc):
        with contextlib.suppress(ProcessLookupError):  # it ended by itself (release does)
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()

    def output(self):
        return Path(self.log_path).read_text(errors="replace")

    def running(self):
        return self.process.poll() is None


def ping(port, app_id):
    body = json.dumps({"app_id": app_id, "platform": "web"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/messenger/v1/ping",
        body,
        # As the TLS-terminating proxy in front says (VERITY_TRUSTED_PROXY_COUNT=1).
        {
            "Content-Type": "application/json",
            "Origin": "https://shop.deploy.test",
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status, json.loads(response.read())
    except OSError:
        return None


@pytest.mark.django_db(transaction=True)
def test_web_worker_and_beat_lines_serve_and_fold(tmp_path, postgres, redis_client):
    workspace = make_workspace("Deploy")
    lines = procfile()
    port = free_port()
    web = Process(
        lines["web"],
        tmp_path / "web.log",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        VERITY_COUNT_FLUSH_SECONDS="0.2",
        VERITY_COUNT_FLUSHER="1",  # the test settings turn it off for in-process tests
    )
    worker = Process(lines["worker"], tmp_path / "worker.log", CELERY_CONCURRENCY="1")
    beat = Process(
        lines["beat"],
        tmp_path / "beat.log",
        VERITY_FOLD_SECONDS="1",
        VERITY_VAR_DIR=str(tmp_path),
    )
    with web, worker, beat:
        answer = wait_for(lambda: ping(port, workspace.app_id), 60)
        assert answer == (200, answer[1]), web.output()
        assert answer[1]["identity"] == "visitor"
        folded = wait_for(
            lambda: Installation.objects.filter(
                workspace=workspace, name="shop.deploy.test"
            ).exists(),
            60,
        )
        assert folded, worker.output() + beat.output()
    assert buffer.pending() == 0  # the count came from the web process, not this one
