"""`make bench`, setting up: its own database and Redis, fresh keys, the workspaces and the
request mix."""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
PING_PATH = "/messenger/v1/ping"
WORKSPACES = 10
REQUEST_MIX = 2000
NOIO_SECRETS = VAR / "noio-secrets.json"  # bench/noio.py's dict, written by seed_workspaces


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _with_db(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def prepare_environment(stack):
    """Environment shared by this process and every server, with fresh keys."""
    from cryptography.fernet import Fernet

    VAR.mkdir(parents=True, exist_ok=True)
    env = {
        "VERITY_DEBUG": "0",
        "SECRET_KEY": "bench-" + os.urandom(24).hex(),
        "VERITY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "VERITY_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "VERITY_VAR_DIR": str(VAR),
        "VERITY_SECURE_COOKIES": "0",
        "VERITY_SSL_REDIRECT": "0",  # loopback without TLS; production refuses plain HTTP
        "VERITY_GATEWAY_WORKER_HEADER": "1",
        # The whole load comes from 127.0.0.1: limits high enough never to refuse it,
        # still counted on every request.
        "VERITY_GATEWAY_SOURCE_LIMIT": "1000000000",
        "VERITY_GATEWAY_WORKSPACE_LIMIT": "1000000000",
        "VERITY_LOG_LEVEL": "WARNING",
    }
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        name = urlsplit(database_url).path.lstrip("/") or "verity"
        bench_db = f"{name}_bench"
        admin = _with_db(database_url, "postgres")
        subprocess.run(
            ["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{bench_db}" WITH (FORCE)'],
            check=True,
        )
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{bench_db}"'], check=True)
        env["DATABASE_URL"] = _with_db(database_url, bench_db)
        database = f"PostgreSQL ({bench_db})"
    else:
        (VAR / "verity.sqlite3").unlink(missing_ok=True)
        database = "SQLite (var/bench)"
    redis_db = os.environ.get("VERITY_BENCH_REDIS_DB", "9")
    redis_url = os.environ.get("REDIS_URL", "")
    if redis_url:
        env["REDIS_URL"] = _with_db(redis_url, redis_db)
        redis_desc = f"Redis ({urlsplit(redis_url).netloc}, db {redis_db})"
    else:
        server = shutil.which("redis-server")
        if server is None:
            sys.exit("make bench needs Redis: set REDIS_URL or install redis-server.")
        port = free_port()
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        stack.append(process)
        wait_for_port(port, process)
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        redis_desc = "Redis (private redis-server)"
    env["VERITY_BENCH_REFERENCE_REDIS"] = env["REDIS_URL"]
    env["VERITY_BENCH_NOIO_SECRETS"] = str(NOIO_SECRETS)
    os.environ.update(env)
    # For re-running a server by hand against this run's data (var/ is never committed).
    (VAR / "env.json").write_text(json.dumps(env, indent=2))
    return env, database, redis_desc


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate():
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        check=True,
    )


def seed_workspaces():
    """WORKSPACES workspaces, two trusted domains each, web enforced on the even ones."""
    from installcheck.redis import client
    from security.actions.platforms import set_enforcement
    from security.actions.secrets import create_workspace
    from security.models import IdentitySecret, MessengerKey, SecretState
    from workspaces.actions import add_trusted_domain

    redis = client()
    redis.flushdb()
    workspaces, noio = [], {}
    for n in range(WORKSPACES):
        workspace = create_workspace(f"Bench {n}", with_test_twin=False)
        domains = [f"shop{n}.example.com", f"www.brand{n}.example.org"]
        for domain in domains:
            add_trusted_domain(workspace, domain, actor=None)
        if n % 2 == 0:
            set_enforcement(workspace, "web", True, actor=None)
        secrets = {
            s.platform: s.plaintext()
            for s in IdentitySecret.objects.filter(workspace=workspace, state=SecretState.CURRENT)
        }
        key = MessengerKey.objects.get(workspace=workspace, is_current=True)
        workspaces.append(
            {
                "workspace": workspace,
                "app_id": workspace.app_id,
                "domains": domains,
                "secrets": secrets,
                "kid": key.kid,
                "key": key.plaintext(),
                "enforced": n % 2 == 0,
            }
        )
        redis.hset(
            f"bench:ref:app:{workspace.app_id}",
            mapping={"secret": secrets["web"], "enforced": "1" if n % 2 == 0 else "0"},
        )
        noio[workspace.app_id] = secrets
    NOIO_SECRETS.write_text(json.dumps(noio))
    return workspaces


def request_mix(workspaces, path, seed=7):
    """REQUEST_MIX requests: 40 % valid user_hash (web, email, mobile), 15 % JWT, 30 %
    visitors, 10 % wrong user_hash, 5 % an Origin outside the trusted domains."""
    import jwt

    from security.hashing import user_hash

    rng = random.Random(seed)
    lines, expected = [], {}
    for i in range(REQUEST_MIX):
        ws = workspaces[i % len(workspaces)]
        origin = "https://" + rng.choice(ws["domains"])
        body = {"app_id": ws["app_id"], "platform": "web", "app_version": "5.2.0"}
        roll = rng.random()
        uid = f"user-{rng.randrange(100_000)}"
        if roll < 0.30:
            kind = "visitor"
        elif roll < 0.55:
            kind = "hmac"
            body.update(user_id=uid, user_hash=user_hash(ws["secrets"]["web"], uid))
        elif roll < 0.62:
            kind = "hmac"
            email = f"{uid}@example.net"
            body.update(email=email, user_hash=user_hash(ws["secrets"]["web"], email))
        elif roll < 0.70:
            kind = "hmac"
            platform = rng.choice(["ios", "android"])
            origin = ""
            body.update(
                platform=platform,
                app_bundle=f"com.brand{i % 10}.app",
                user_id=uid,
                user_hash=user_hash(ws["secrets"][platform], uid),
            )
        elif roll < 0.85:
            kind = "jwt"
            now = int(time.time())
            token = jwt.encode(
                {"user_id": uid, "iat": now, "exp": now + 86_400},
                ws["key"],
                algorithm="HS256",
                headers={"kid": ws["kid"]},
            )
            body.update(user_jwt=token)
        elif roll < 0.95:
            kind = "invalid"
            body.update(user_id=uid, user_hash="0" * 64)
        else:
            kind = "untrusted"
            origin = "https://evil.example.net"
        expected[kind] = expected.get(kind, 0) + 1
        lines.append(f"{origin}\t{json.dumps(body)}")
    path.write_text("\n".join(lines) + "\n")
    return expected
