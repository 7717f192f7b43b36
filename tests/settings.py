"""Test settings: the real settings module, with keys generated for this run.

Values go into os.environ (not just settings) so that a Celery worker or server
started by a test as a subprocess shares them.
"""

import os
import sys
import tempfile

from cryptography.fernet import Fernet

os.environ.setdefault("SECRET_KEY", "test-" + os.urandom(16).hex())
os.environ.setdefault("VERITY_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("VERITY_DEBUG", "0")
os.environ.setdefault("VERITY_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("VERITY_CONFIG_POLL_SECONDS", "0")
os.environ.setdefault("VERITY_COUNT_FLUSHER", "0")
# Tests send bursts from one address; the rate-limit tests set their own limits.
os.environ.setdefault("VERITY_GATEWAY_SOURCE_LIMIT", "0")
os.environ.setdefault("VERITY_GATEWAY_WORKSPACE_LIMIT", "0")
os.environ.setdefault("VERITY_SECURE_COOKIES", "0")
# The test client and the live server speak plain HTTP.
os.environ.setdefault("VERITY_SSL_REDIRECT", "0")
os.environ.setdefault("VERITY_VAR_DIR", tempfile.mkdtemp(prefix="verity-test-"))
# Tests flush their Redis database: never the one `make run` uses, and one per pytest-xdist
# worker (gw0: VERITY_TEST_REDIS_DB, default 15; gw1: one less; ...). The marker says which
# process chose it: a worker re-chooses what the controller chose; a process a test starts
# inherits its worker's marker and keeps the URL, as does one given "1" by a test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_chooser = _worker or "main"
if os.environ.get("REDIS_URL") and os.environ.get("VERITY_TEST_REDIS_KEEP_DB") not in (
    "1",
    _chooser,
):
    test_db = int(os.environ.get("VERITY_TEST_REDIS_DB", "15")) - int(_worker[2:] or 0)
    base = os.environ["REDIS_URL"].rsplit("/", 1)
    if base[-1].isdigit():
        os.environ["REDIS_URL"] = f"{base[0]}/{test_db}"
    else:
        os.environ["REDIS_URL"] = os.environ["REDIS_URL"].rstrip("/") + f"/{test_db}"
    os.environ["VERITY_TEST_REDIS_KEEP_DB"] = _chooser

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Inside pytest the database is reached only through fixtures, so importing config.wsgi
# must not query it; the processes that tests start check the master key as production does.
VERITY_STARTUP_CHECK = "pytest" not in sys.modules
