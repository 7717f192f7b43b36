"""`make bench`, load: the servers compared, wrk, and enforcement propagation under load."""

import json
import os
import random
import re
import signal
import statistics
import subprocess
import threading
import time
from urllib.parse import urlsplit

from bench.setup import BIN, PING_PATH, ROOT, free_port, log, wait_for_port

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
# One wrk thread drives the gateway as hard as two and leaves more of the second core to
# the servers: with two, wrk's threads competing with granian's workers on 2 cores about
# doubled the gateway's p99 (BENCHMARKS.md, "Latency"). --wrk-threads compares.
WRK_THREADS = 1
WARM_UP_RUNS = 3
GATEWAY_APP = "config.wsgi:application"
REFERENCE_APP = "bench.reference:application"
NOIO_APP = "bench.noio:application"

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


def run_wrk(url, requests_file, seconds, connections, threads=WRK_THREADS):
    env = {**os.environ, "VERITY_BENCH_REQUESTS": str(requests_file)}
    out = subprocess.run(
        [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "-s", str(ROOT / "bench" / "ping.lua"), url,
        ],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }
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


def throughput(mixes, env, seconds, rounds, connections, servers, threads=WRK_THREADS):
    """{server: {label: [result per round]}}; ``mixes`` is {label: (app, warm-up file,
    measured file)}, run in turn in each round, a fresh server for each."""
    results = {}
    for round_no in range(rounds):
        for name in servers:
            for label, (app, warm_file, requests_file) in mixes.items():
                # Without the bench-only X-Verity-Worker header (propagation needs it):
                # the gateway answers the load as in production, the references never add it.
                with Server(name, app, {**env, "VERITY_GATEWAY_WORKER_HEADER": "0"}) as server:
                    # Warm-up over fresh connections, three times: the kernel hands each
                    # run's connections to the workers unevenly, and a worker first
                    # reached in the measured run would load every snapshot in it.
                    for _ in range(WARM_UP_RUNS):
                        run_wrk(server.url, warm_file, 2, connections, threads)
                    result = run_wrk(server.url, requests_file, seconds, connections, threads)
                result["lines"] = sum(1 for _ in requests_file.open())
                results.setdefault(name, {}).setdefault(label, []).append(result)
                log(
                    f"round {round_no + 1}/{rounds} {name:28} {label:9} "
                    f"{result['rps']:8.0f} req/s  p50 {result['p50']:.2f} ms  "
                    f"p99 {result['p99']:.2f} ms  ({result['requests']:,} requests)"
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
    from security.actions.platforms import set_enforcement

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
