"""Processes refuse to start serving when the master key cannot open the stored secrets.

Each test starts a real process (the WSGI and ASGI entry points, a Celery worker,
`manage.py check`: plain, with --database, with --deploy) on the test database, so the
stored secrets are committed (transactional_db) and PostgreSQL is required.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from tests.installcheck.celery_worker import _database_url, worker_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = "VERITY_ENCRYPTION_KEYS cannot decrypt"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENTRY_POINTS = {
    "wsgi": [sys.executable, "-c", "import config.wsgi"],
    "asgi": [sys.executable, "-c", "import config.asgi"],
    "check": [sys.executable, "manage.py", "check"],
    "check-database": [sys.executable, "manage.py", "check", "--database", "default"],
    "check-deploy": [sys.executable, "manage.py", "check", "--deploy"],
}


def run(command, database_url, **env):
    return subprocess.run(
        command,
        cwd=ROOT,
        env={
            # The browser tests allow the ORM in Playwright's event loop for their own
            # process; `check --deploy` rightly refuses that flag in a deployment.
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def stored(postgres, workspace):
    """The test database URL, holding the workspace's secrets under the test master key."""
    return _database_url()


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_a_wrong_master_key_stops_the_start_loudly(stored, entry):
    wrong = Fernet.generate_key().decode()
    result = run(ENTRY_POINTS[entry], stored, VERITY_ENCRYPTION_KEYS=wrong)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert REFUSAL in output
    assert wrong not in output


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_the_right_master_key_starts(stored, entry):
    result = run(ENTRY_POINTS[entry], stored)
    assert result.returncode == 0, result.stderr
    assert REFUSAL not in result.stdout + result.stderr


def test_an_old_key_still_listed_for_rotation_starts(stored):
    keys = f"{Fernet.generate_key().decode()},{settings.VERITY_ENCRYPTION_KEYS[0]}"
    result = run(ENTRY_POINTS["wsgi"], stored, VERITY_ENCRYPTION_KEYS=keys)
    assert result.returncode == 0, result.stderr


def test_an_unreachable_database_is_logged_and_the_server_still_starts(db):
    """The gateway answers 503 until the database is back; refusing to start would turn
    a database outage into a web-server outage."""
    result = run(ENTRY_POINTS["wsgi"], "postgres://postgres@127.0.0.1:1/verity_nowhere")
    assert result.returncode == 0, result.stderr
    assert "master key not checked at start: the database cannot be reached" in result.stderr


def test_a_worker_with_a_wrong_master_key_does_not_start(stored, redis_client):
    wrong = Fernet.generate_key().decode()
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"]
    command += ["--without-mingle", "--without-gossip", "-l", "INFO"]
    result = run(
        command,
        stored,
        VERITY_ENCRYPTION_KEYS=wrong,
        REDIS_URL=settings.REDIS_URL,
        VERITY_TEST_REDIS_KEEP_DB="1",
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Verity worker refuses to start" in output and REFUSAL in output
    assert " ready." not in output


def test_a_worker_with_the_right_master_key_starts(stored, worker):
    process = worker()  # waits for " ready." and fails if the worker exits
    assert REFUSAL not in process.log_text()
