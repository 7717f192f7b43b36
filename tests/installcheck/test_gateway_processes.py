"""The gateway across real processes: enforcement propagates, Redis loss fails closed.

Each test starts gateway servers (`manage.py runserver`) as subprocesses on the test
database, so it needs PostgreSQL (SQLite's in-memory test database cannot be shared).
The waits below are bounded correctness checks, not timings: the benchmark measures
how fast propagation really is.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from django.db import connection

from installcheck.counting import COUNTS_KEY
from security.actions.platforms import set_enforcement
from security.hashing import user_hash
from tests.factories import make_workspace, secret_of
from tests.services import require

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():
    PYTHON = Path(sys.executable)
START_TIMEOUT = 60
PROPAGATION_BOUND = 5.0

pytestmark = pytest.mark.slow


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, interval=0.1):
    """Poll ``predicate`` until it returns truthy or ``timeout`` passes; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def database_url_of_the_test_database():
    db = connection.settings_dict
    auth = db["USER"] or ""
    if db["PASSWORD"]:
        auth += f":{db['PASSWORD']}"
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}"


class Gateway:
    """One `manage.py runserver` process serving the gateway on a free port."""

    def __init__(self, log_path, **env):
        self.port = free_port()
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url_of_the_test_database(),
            "VERITY_CONFIG_POLL_SECONDS": "0.5",
            "VERITY_COUNT_FLUSHER": "0",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process = None

    def start(self):
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [str(PYTHON), "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        up = wait_for(self._answers, START_TIMEOUT, interval=0.2)
        assert up, f"gateway did not start; log:\n{self.log()}"
        return self

    def _answers(self):
        assert self.process.poll() is None, f"gateway exited; log:\n{self.log()}"
        try:
            self.post({"app_id": "probe000", "platform": "web"})
        except OSError:
            return False
        return True

    def post(self, body):
        """(status, JSON body) of a ping."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/messenger/v1/ping",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Origin": "https://app.acme.test"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture
def gateways(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        require("PostgreSQL", "gateway processes must share the test database")
    started = []

    def start(name, **env):
        gateway = Gateway(tmp_path / f"{name}.log", **env)
        started.append(gateway)
        return gateway.start()

    yield start
    for gateway in started:
        gateway.stop()


class RedisServer:
    """A private, throw-away redis-server (no persistence) on a fixed port."""

    def __init__(self, port):
        self.port = port
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, 10), "redis-server did not start"
        return self

    def client(self):
        return redis.Redis(port=self.port, socket_timeout=1, decode_responses=True)

    def _answers(self):
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def kill(self):
        """SIGKILL: no goodbye to connected clients, like a crashed server."""
        self.process.kill()
        self.process.wait()


@pytest.fixture
def private_redis():
    if not shutil.which("redis-server"):
        require("Redis", "the redis-server binary is not installed")
    servers = []

    def start(port=None):
        server = RedisServer(port or free_port()).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.kill()


def test_enforcement_reaches_every_gateway_process(gateways):
    workspace = make_workspace("Propagation")
    identified = {"app_id": workspace.app_id, "platform": "web", "user_id": "42"}
    first, second = gateways("first"), gateways("second")
    for gateway in (first, second):
        status, body = gateway.post(identified)
        assert (status, body["identity"], body["warning"]) == (
            200,
            "unverified",
            "missing_user_hash",
        )

    set_enforcement(workspace, "web", True, actor=None)

    for gateway in (first, second):
        status = wait_for(lambda g=gateway: g.post(identified)[0] == 403, PROPAGATION_BOUND)
        assert status, f"port {gateway.port} still serves unproven users after the bound"
        status, body = gateway.post(identified)
        assert (status, body["error"]) == (403, "missing_user_hash")

    set_enforcement(workspace, "web", False, actor=None)
    for gateway in (first, second):
        assert wait_for(lambda g=gateway: g.post(identified)[0] == 200, PROPAGATION_BOUND)


def test_losing_redis_fails_closed_and_counting_recovers_by_itself(gateways, private_redis):
    workspace = make_workspace("Fail closed")
    set_enforcement(workspace, "web", True, actor=None)
    good = user_hash(secret_of(workspace, "web"), "42")
    base = {"app_id": workspace.app_id, "platform": "web"}
    visitor = base
    proven = {**base, "user_id": "42", "user_hash": good}
    unproven = {**base, "user_id": "42"}
    forged = {**base, "user_id": "42", "user_hash": "0" * 64}

    store = private_redis()
    gateway = gateways(
        "fail-closed",
        REDIS_URL=f"redis://127.0.0.1:{store.port}/0",
        VERITY_COUNT_FLUSHER="1",
        VERITY_COUNT_FLUSH_SECONDS="0.2",
    )

    def expect_correct_decisions():
        status, body = gateway.post(visitor)
        assert (status, body["identity"]) == (200, "visitor")
        status, body = gateway.post(proven)
        assert (status, body["identity"]) == (200, "verified")
        status, body = gateway.post(unproven)
        assert (status, body["error"]) == (403, "missing_user_hash")
        status, body = gateway.post(forged)
        assert (status, body["error"]) == (401, "invalid_user_hash")

    expect_correct_decisions()
    assert wait_for(lambda: store.client().hlen(COUNTS_KEY) > 0, 5), "counts never reached Redis"

    store.kill()
    started = time.monotonic()
    while time.monotonic() - started < 1.5:  # several flush intervals without Redis
        expect_correct_decisions()
    assert wait_for(lambda: "dropped" in gateway.log(), 5), gateway.log()
    assert "Traceback" not in gateway.log()

    store = private_redis(store.port)  # the same address, an empty server
    assert store.client().hlen(COUNTS_KEY) == 0

    def counted_again():
        expect_correct_decisions()
        return store.client().hlen(COUNTS_KEY) > 0

    assert wait_for(counted_again, 10, interval=0.3), "counting did not recover"
    fields = store.client().hkeys(COUNTS_KEY)
    assert any(f"\t{workspace.id}\tweb\t" in field for field in fields)
