"""Every Procfile process starts from a fresh clone with the production configuration:
only the environment variables the README asks for, no var/ folder, an empty database."""

import os
import secrets
import subprocess
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import connection

from tests.config.test_deploy import ROOT, Process, procfile
from tests.installcheck.test_gateway_processes import (
    database_url_of_the_test_database,
    free_port,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.celery]

# How long beat, worker and web must stay up once started.
STAYS_UP_SECONDS = 5


@pytest.fixture
def clone(tmp_path):
    """This checkout's HEAD, cloned: no var/, no staticfiles/, nothing uncommitted."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    path = tmp_path / "verity"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(path)], check=True)
    subprocess.run(["git", "checkout", "--quiet", "--detach", head], cwd=path, check=True)
    assert not (path / "var").exists()
    return path


@pytest.fixture
def empty_database(postgres):
    """A throwaway PostgreSQL database, dropped afterwards."""
    name = f"verity_fresh_{secrets.token_hex(4)}"
    server = {
        key: value
        for key, value in {
            "host": connection.settings_dict["HOST"] or "127.0.0.1",
            "port": connection.settings_dict["PORT"] or 5432,
            "user": connection.settings_dict["USER"] or None,
            "password": connection.settings_dict["PASSWORD"] or None,
            "dbname": "postgres",
        }.items()
        if value is not None
    }
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url_of_the_test_database().rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_variables(database_url, home, **overrides):
    """Only the environment the README asks for in production (new keys unless given),
    behind one proxy: the test stands in for it and sends X-Forwarded-Proto itself."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "VERITY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "VERITY_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VERITY_TRUSTED_PROXY_COUNT": "1",
        **overrides,
    }


@pytest.fixture
def production_environment(empty_database, redis_client, tmp_path):
    return production_variables(empty_database, tmp_path)


def login_page_status(port):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/login/", headers={"X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as answer:
        return answer.code
    except OSError:
        return None


def test_every_procfile_process_starts_from_a_fresh_clone(clone, production_environment, tmp_path):
    lines = procfile()
    with Process(
        lines["release"], tmp_path / "release.log", cwd=clone, environ=production_environment
    ) as release:
        assert release.process.wait(timeout=300) == 0, release.output()

    port = free_port()
    web = Process(
        lines["web"],
        tmp_path / "web.log",
        cwd=clone,
        environ=production_environment,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    worker = Process(
        lines["worker"],
        tmp_path / "worker.log",
        cwd=clone,
        environ=production_environment,
        CELERY_CONCURRENCY="1",
    )
    beat = Process(lines["beat"], tmp_path / "beat.log", cwd=clone, environ=production_environment)
    with web, worker, beat:
        assert wait_for(lambda: login_page_status(port), 60) == 200, web.output()
        assert wait_for(lambda: " ready." in worker.output() or not worker.running(), 60)
        assert wait_for(lambda: "beat: Starting" in beat.output() or not beat.running(), 60)
        time.sleep(STAYS_UP_SECONDS)
        for name, process in (("web", web), ("worker", worker), ("beat", beat)):
            assert process.running(), f"{name} exited:\n{process.output()}"
        assert " ready." in worker.output(), worker.output()
        assert login_page_status(port) == 200, web.output()
        assert list((clone / "var").glob("celerybeat-schedule*")), beat.output()
