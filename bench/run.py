"""`make bench`: the gateway against its reference, enforcement propagation, the fold,
and the installation page, in one run on this machine. Prints one table.

The run uses its own database (``<name>_bench`` next to DATABASE_URL's, or a SQLite file
under var/bench) and its own Redis database (VERITY_BENCH_REDIS_DB, default 9, on
REDIS_URL's server, or a private redis-server), so it never touches the data of
`make run` or of the tests. Load generator (wrk) and servers share the machine's cores:
compare the ratios of one run, not absolute figures across machines.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
PING_PATH = "/messenger/v1/ping"

# name -> command line (APP and PORT filled in). The one marked production is what
# deploy/Procfile serves; the comparison is what chose it.
SERVERS = {
    "gunicorn sync (4 workers)": [
        "gunicorn", "--workers", "4", "--worker-class", "sync",
        "--bind", "127.0.0.1:{port}", "--log-level", "warning", "{app}",
    ],
    "gunicorn gthread (2×8)": [
        "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "8",
        "--bind", "127.0.0.1:{port}", "--log-level", "warning", "{app}",
    ],
    "uvicorn wsgi (2 workers)": [
        "uvicorn", "--interface", "wsgi", "--workers", "2", "--host", "127.0.0.1",
        "--port", "{port}", "--log-level", "warning", "--no-access-log", "{wsgi_app}",
    ],
    "granian wsgi (2 workers)": [
        "granian", "--interface", "wsgi", "--workers", "2", "--blocking-threads", "1",
        "--host", "127.0.0.1", "--port", "{port}", "--log-level", "warning",
        "--no-ws", "{app}",
    ],
}  # fmt: skip
PRODUCTION_SERVER = "granian wsgi (2 workers)"
WORKERS = 2  # of the production server, as above
GATEWAY_APP = "config.wsgi:application"
REFERENCE_APP = "bench.reference:application"

WORKSPACES = 10
REQUEST_MIX = 2000


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


# --------------------------------------------------------------------------- setup


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
    from security.actions import create_workspace, set_enforcement
    from security.models import IdentitySecret, MessengerKey, SecretState
    from workspaces.actions import add_trusted_domain

    redis = client()
    redis.flushdb()
    workspaces = []
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


# --------------------------------------------------------------------------- load


class Server:
    def __init__(self, name, app, env):
        self.name, self.app, self.env = name, app, env
        self.port = free_port()
        self.process = None

    def __enter__(self):
        command = [
            part.format(port=self.port, app=self.app, wsgi_app=self.app)
            for part in SERVERS[self.name]
        ]
        command[0] = str(BIN / command[0])
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **self.env}, start_new_session=True
        )
        wait_for_port(self.port, self.process)
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url, requests_file, seconds, connections, threads=2):
    env = {**os.environ, "VERITY_BENCH_REQUESTS": str(requests_file)}
    out = subprocess.run(
        [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "-s", str(ROOT / "bench" / "ping.lua"), url,
        ],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        result[f"p{pct}"] = _ms(value, unit)
    errors = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = errors.group(1) if errors else ""
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    return result


def check_answers(url, requests_file):
    """Every request of the mix once: the gateway must answer as SPEC §3 says."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(url).port, timeout=10)
    statuses = {}
    for line in requests_file.read_text().splitlines()[:400]:
        origin, body = line.split("\t", 1)
        headers = {"Content-Type": "application/json"}
        if origin:
            headers["Origin"] = origin
        conn.request("POST", PING_PATH, body, headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        statuses[(response.status, answer.get("identity") or answer.get("error"))] = (
            statuses.get((response.status, answer.get("identity") or answer.get("error")), 0) + 1
        )
    conn.close()
    return statuses


def throughput(env, requests_file, seconds, rounds, connections, servers):
    """{server: {app: [result per round]}}, reference and gateway alternating."""
    results = {}
    for round_no in range(rounds):
        for name in servers:
            for label, app in (("reference", REFERENCE_APP), ("gateway", GATEWAY_APP)):
                with Server(name, app, env) as server:
                    run_wrk(server.url, requests_file, 2, connections)  # warm-up
                    result = run_wrk(server.url, requests_file, seconds, connections)
                results.setdefault(name, {}).setdefault(label, []).append(result)
                log(
                    f"round {round_no + 1}/{rounds} {name:28} {label:9} "
                    f"{result['rps']:8.0f} req/s  p50 {result['p50']:.2f} ms  "
                    f"p99 {result['p99']:.2f} ms"
                )
    return results


def median_of(runs, key):
    return statistics.median(run[key] for run in runs)


# --------------------------------------------------------------------------- propagation


class Prober:
    """Threads sending one unproven ping in a loop, noting per worker pid the status
    each answer had and when."""

    def __init__(self, url, body, origin, connections=16):
        self.port = urlsplit(url).port
        self.body, self.origin = body, origin
        self.connections = connections
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.events = []  # (monotonic time, pid, status)
        self.threads = []

    def _loop(self):
        import http.client

        headers = {"Content-Type": "application/json", "Origin": self.origin}
        while not self.stop.is_set():
            # A new connection each time, so that the kernel hands probes to every worker.
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            conn.request("POST", PING_PATH, self.body, headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            pid = response.getheader("X-Verity-Worker")
            with self.lock:
                self.events.append((time.monotonic(), pid, response.status))

    def __enter__(self):
        for _ in range(self.connections):
            thread = threading.Thread(target=self._loop, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def pids(self):
        with self.lock:
            return {pid for _, pid, _ in self.events}

    def obeyed_at(self, since, status):
        """When every worker seen answers ``status`` from then on, or None."""
        with self.lock:
            events = [e for e in self.events if e[0] >= since]
        last_wrong, seen_right = {}, {}
        for moment, pid, got in events:
            if got == status:
                seen_right.setdefault(pid, moment)
            else:
                last_wrong[pid] = moment
                seen_right.pop(pid, None)
        pids = self.pids()
        if not pids or set(seen_right) != pids:
            return None
        return max(seen_right.values())


def propagation(env, requests_file, workspaces, toggles, server_name, workers):
    """Seconds from the committed toggle until every worker answers accordingly."""
    from security.actions import set_enforcement

    rng = random.Random(11)
    ws = next(w for w in workspaces if not w["enforced"])
    body = json.dumps({"app_id": ws["app_id"], "platform": "web", "user_id": "probe-user"})
    origin = "https://" + ws["domains"][0]
    delays = []
    with Server(server_name, GATEWAY_APP, env) as server:
        background = threading.Thread(
            target=run_wrk,
            args=(server.url, requests_file, toggles * 2 + 10, 16),
            daemon=True,
        )
        background.start()
        with Prober(server.url, body, origin) as prober:
            deadline = time.monotonic() + 30
            while len(prober.pids()) < workers and time.monotonic() < deadline:
                time.sleep(0.1)
            log(f"propagation: probing workers {sorted(prober.pids())}")
            if len(prober.pids()) < workers:
                raise RuntimeError(f"the probes reached {len(prober.pids())} of {workers} workers")
            enforced = False
            for _ in range(toggles):
                enforced = not enforced
                set_enforcement(ws["workspace"], "web", enforced, actor=None)
                committed = time.monotonic()
                want = 403 if enforced else 200
                deadline = committed + 10
                while time.monotonic() < deadline:
                    time.sleep(0.02)
                    moment = prober.obeyed_at(committed, want)
                    if moment is not None and time.monotonic() - moment > 0.1:
                        delays.append(moment - committed)
                        break
                else:
                    delays.append(float("inf"))
                # A random pause, so that toggles do not fall into step with the polls.
                time.sleep(rng.uniform(0.2, 1.2))
        background.join()
    if enforced:
        set_enforcement(ws["workspace"], "web", False, actor=None)
    return delays, workers


# --------------------------------------------------------------------------- fold


def fold(env, workspaces, total=1_000_000, installations_per_workspace=100):
    """``total`` pings counted into Redis the way the gateway's flusher writes them, over
    WORKSPACES × installations_per_workspace installations, folded by a real worker."""
    from django.conf import settings as dj
    from django.db.models import Sum

    from installcheck.counting import COUNTS_KEY, VLOG_DIRTY_KEY, VLOG_KEY, CountKey
    from installcheck.models import DailyCount, FoldBatch, Installation
    from installcheck.redis import client

    redis = client()
    # Only this measure's pings: what earlier measures counted is dropped from Redis.
    redis.delete(*redis.keys("verity:vlog:*"), *redis.keys("verity:counts*"), VLOG_DIRTY_KEY)
    before = DailyCount.objects.aggregate(n=Sum("count"))["n"] or 0
    installations_before = Installation.objects.count()
    day = time.strftime("%Y-%m-%d", time.gmtime())
    now = int(time.time())
    kinds = [
        ("verified", "", "web:v1", 6),
        ("visitor", "", "", 3),
        ("unverified", "missing_user_hash", "", 1),
        ("unverified", "invalid_user_hash", "", 1),
    ]
    weight = sum(k[3] for k in kinds)
    fields, seen = {}, {}
    n_installations = len(workspaces) * installations_per_workspace
    per_installation = total // n_installations
    for ws in workspaces:
        for i in range(installations_per_workspace):
            name = f"site{i}.{ws['domains'][0]}"
            left = per_installation
            for j, (outcome, code, proof, w) in enumerate(kinds):
                n = left if j == len(kinds) - 1 else per_installation * w // weight
                left -= n
                key = CountKey(ws["workspace"].id, "web", name, outcome, code, proof, "5.2.0", day)
                fields[key.field()] = n
                seen[key.seen_field()] = now
    pipe = redis.pipeline(transaction=False)
    for field, n in fields.items():
        pipe.hincrby(COUNTS_KEY, field, n)
    pipe.hset(COUNTS_KEY, mapping=seen)
    cap = dj.VERITY_VERIFICATION_LOG_CAP
    for ws in workspaces:
        entry = {
            "ts": now,
            "platform": "web",
            "installation": f"site0.{ws['domains'][0]}",
            "identifier_type": "user_id",
            "identifier": "user-1",
            "code": "invalid_user_hash",
            "rejected": ws["enforced"],
            "app_version": "5.2.0",
            "diagnosis": [],
            "request_id": "0" * 16,
        }
        key = VLOG_KEY.format(workspace_id=ws["workspace"].id)
        pipe.lpush(key, *[json.dumps({**entry, "request_id": f"{k:016x}"}) for k in range(cap)])
        pipe.sadd(VLOG_DIRTY_KEY, ws["workspace"].id)
    pipe.execute()
    assert sum(fields.values()) == total

    worker = subprocess.Popen(
        [
            str(BIN / "celery"), "-A", "config", "worker", "--pool", "solo",
            "--loglevel", "WARNING", "--without-heartbeat", "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
    )  # fmt: skip
    try:
        from installcheck.tasks import fold_counts

        time.sleep(3)  # the worker connects to the broker
        started = time.monotonic()
        fold_counts.delay()
        while not FoldBatch.objects.filter(counts__gt=0).exists():
            if worker.poll() is not None:
                raise RuntimeError("the Celery worker exited during the fold")
            if time.monotonic() - started > 300:
                raise RuntimeError("the fold did not finish in 300 s")
            time.sleep(0.02)
        elapsed = time.monotonic() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    folded = (DailyCount.objects.aggregate(n=Sum("count"))["n"] or 0) - before
    return elapsed, folded, Installation.objects.count() - installations_before, len(fields)


# --------------------------------------------------------------------------- page


def installation_page(workspaces, sizes=(100, 10_000), repeats=15):
    """Median server time and query count of the page and the API per size."""
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from installcheck.models import Installation
    from workspaces.actions import add_member, get_or_create_user
    from workspaces.models import Role

    user, _ = get_or_create_user("bench-admin", password=os.urandom(12).hex())
    client = Client()
    client.force_login(user)
    results = {}
    for size in sizes:
        ws = workspaces[-1]["workspace"] if size == sizes[-1] else workspaces[-2]["workspace"]
        add_member(ws, user, Role.ADMIN)
        now = timezone.now()
        statuses = ["verified", "warning", "failing"]
        Installation.objects.bulk_create(
            [
                Installation(
                    workspace=ws,
                    platform="web" if i % 3 else "ios",
                    name=f"host{i}.example.com",
                    first_seen=now - timedelta(days=30),
                    last_seen=now - timedelta(minutes=i),
                    status=statuses[i % 3],
                    top_reason="missing_user_hash" if i % 3 == 1 else "",
                    identified=100,
                    verified=90,
                    missing=10,
                    visitors=50,
                )
                for i in range(size)
            ],
            batch_size=2000,
        )
        urls = {
            "page": f"/w/{ws.app_id}/installation/",
            "api": f"/api/v1/workspaces/{ws.app_id}/installations/",
        }
        for label, url in urls.items():
            times, queries = [], set()
            for _ in range(repeats):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url, HTTP_HOST="127.0.0.1")
                    times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                queries.add(len(captured.captured_queries))
            results[(label, size)] = (statistics.median(times), sorted(queries))
    return results


# --------------------------------------------------------------------------- profile


def wsgi_environ(origin, body):
    import io

    data = body.encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PING_PATH,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if origin:
        environ["HTTP_ORIGIN"] = origin
    return environ


def profile(requests_file, count=20_000):
    """pyinstrument over ``count`` requests of the mix through the WSGI application,
    in this process (no server, no network): where the gateway's own time goes."""
    from pyinstrument import Profiler

    from config.wsgi import application

    lines = [line.split("\t", 1) for line in requests_file.read_text().splitlines()]

    def start_response(status, headers, exc_info=None):
        return None

    for origin, body in lines:  # warm the snapshots and the diagnosis extras
        application(wsgi_environ(origin, body), start_response)
    started = time.perf_counter()
    for i in range(count):
        origin, body = lines[i % len(lines)]
        application(wsgi_environ(origin, body), start_response)
    plain = (time.perf_counter() - started) / count
    profiler = Profiler(interval=0.0002)
    profiler.start()
    started = time.perf_counter()
    for i in range(count):
        origin, body = lines[i % len(lines)]
        application(wsgi_environ(origin, body), start_response)
    elapsed = time.perf_counter() - started
    profiler.stop()
    out = VAR / "profile.txt"
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    log(
        f"profile: {plain * 1e6:.0f} µs per request in-process ({elapsed / count * 1e6:.0f} "
        f"under the profiler); tree in {out}"
    )
    return plain


# --------------------------------------------------------------------------- report


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def report(meta, load, prop, folded, page):
    rows = []
    rows.append(("Machine", meta["machine"]))
    rows.append(("Stores", f"{meta['database']}, {meta['redis']}"))
    rows.append(("Load", meta["load"]))
    rows.append(("Mix", meta["mix"]))
    if "profile" in meta:
        rows.append(
            ("Gateway in-process", f"{meta['profile'] * 1e6:.0f} µs per request (no server)")
        )
    best = None
    for name, apps in load.items():
        ref, gw = apps["reference"], apps["gateway"]
        ref_rps, gw_rps = median_of(ref, "rps"), median_of(gw, "rps")
        ratio = gw_rps / ref_rps
        rows.append(
            (
                name,
                f"reference {ref_rps:,.0f} req/s (p99 {median_of(ref, 'p99'):.1f} ms) · "
                f"gateway {gw_rps:,.0f} req/s (p50 {median_of(gw, 'p50'):.1f} ms, "
                f"p99 {median_of(gw, 'p99'):.1f} ms) · ratio {ratio:.2f}×",
            )
        )
        if best is None or gw_rps > best[1]:
            best = (name, gw_rps)
    if best:
        rows.append(("Fastest gateway server", best[0]))
    if prop:
        delays, workers = prop
        rows.append(
            (
                "Enforcement propagation",
                f"{len(delays)} toggles over {workers} workers: median "
                f"{statistics.median(delays) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms",
            )
        )
    if folded:
        elapsed, total, installations, fields = folded
        rows.append(
            (
                "Fold",
                f"{total:,} pings ({fields:,} counters, {installations:,} installations) "
                f"in {elapsed:.2f} s",
            )
        )
    for (label, size), (ms, queries) in sorted((page or {}).items()):
        what = "Installation page" if label == "page" else "Installation API"
        rows.append(
            (
                f"{what}, {size:,} installations",
                f"median {ms:.1f} ms server time, {'/'.join(map(str, queries))} queries",
            )
        )
    width = max(len(r[0]) for r in rows)
    print()
    print(f"| {'Measure':{width}} | Result |")
    print(f"|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name:{width}} | {value} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per measure")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are shown")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--toggles", type=int, default=20)
    parser.add_argument(
        "--servers", default="all", help="'all', 'production', or names separated by ';'"
    )
    parser.add_argument(
        "--only",
        default="load,propagation,fold,page",
        help="comma-separated subset of load,propagation,fold,page,profile",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    if shutil.which("wrk") is None and only & {"load", "propagation"}:
        sys.exit("make bench needs wrk (Debian package wrk).")
    if args.servers == "all":
        servers = list(SERVERS)
    elif args.servers == "production":
        servers = [PRODUCTION_SERVER]
    else:
        servers = args.servers.split(";")
    stack = []
    try:
        env, database, redis_desc = prepare_environment(stack)
        log(f"migrating {database}")
        migrate()
        setup_django()
        workspaces = seed_workspaces()
        requests_file = Path(tempfile.mkdtemp(prefix="verity-bench-")) / "requests.txt"
        expected = request_mix(workspaces, requests_file)
        with Server(PRODUCTION_SERVER, GATEWAY_APP, env) as server:
            answers = check_answers(server.url, requests_file)
        log(f"gateway answers on the mix: {answers}")
        meta = {
            "machine": machine(),
            "database": database,
            "redis": redis_desc,
            "load": f"wrk -t2 -c{args.connections}, {args.seconds} s × {args.rounds} rounds, "
            "medians; wrk and servers share the cores",
            "mix": ", ".join(f"{k} {v / REQUEST_MIX:.0%}" for k, v in sorted(expected.items()))
            + f", {WORKSPACES} workspaces",
        }
        load = prop = folded = page = None
        if "profile" in only:
            meta["profile"] = profile(requests_file)
        if "load" in only:
            load = throughput(
                env, requests_file, args.seconds, args.rounds, args.connections, servers
            )
        if "propagation" in only:
            prop = propagation(
                env, requests_file, workspaces, args.toggles, PRODUCTION_SERVER, WORKERS
            )
        if "fold" in only:
            folded = fold(env, workspaces)
        if "page" in only:
            page = installation_page(workspaces)
        report(meta, load or {}, prop, folded, page)
    finally:
        for process in stack:
            process.terminate()


if __name__ == "__main__":
    main()
