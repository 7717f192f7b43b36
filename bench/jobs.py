"""`make bench`, the rest: the fold of a million pings, the installation page, and the
in-process profile of the gateway."""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

from bench.setup import BIN, PING_PATH, ROOT, VAR, log

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


def _cpu_per_request(application, lines, count):
    """CPU seconds (this process's, not the wall clock's: the machine is shared) per
    request of the mix through ``application``."""

    def start_response(status, headers, exc_info=None):
        return None

    for origin, body in lines:  # warm the snapshots and the diagnosis extras
        application(wsgi_environ(origin, body), start_response)
    environs = [wsgi_environ(*lines[i % len(lines)]) for i in range(count)]
    started = time.process_time()
    for environ in environs:
        application(environ, start_response)
    return (time.process_time() - started) / count


def profile(requests_file, count=20_000):
    """cProfile, timed in CPU time, over ``count`` requests of the mix through the WSGI
    application, in this process (no server, no network): where the gateway's own time
    goes. Returns the CPU time per request of the gateway and of bench/noio.py."""
    import cProfile
    import io
    import pstats

    from bench import noio
    from config.wsgi import application

    lines = [line.split("\t", 1) for line in requests_file.read_text().splitlines()]
    gateway = _cpu_per_request(application, lines, count)
    floor = _cpu_per_request(noio.application, lines, count)

    def start_response(status, headers, exc_info=None):
        return None

    environs = [wsgi_environ(*lines[i % len(lines)]) for i in range(count)]
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for environ in environs:
        application(environ, start_response)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    out = VAR / "profile.txt"
    out.write_text(text.getvalue())
    log(
        f"profile: gateway {gateway * 1e6:.1f} µs CPU per request in-process, "
        f"bench/noio.py {floor * 1e6:.1f} µs; cProfile in {out}"
    )
    return gateway, floor
