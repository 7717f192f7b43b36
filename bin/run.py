#!/usr/bin/env python
"""Run the development stack: the web server, a Celery worker, Celery beat and the demo
shop (a customer's site on a second origin) as child processes; Ctrl-C stops them all.

With REDIS_URL set, Celery uses Redis; otherwise kombu's filesystem broker under var/,
which needs nothing installed and still connects the three processes.

The URLs and the demo logins are printed last, once the web server answers and the worker
and beat are up, so they do not scroll away under the start-up output. Celery logs only
warnings and errors (no banner, no line per fold): it speaks when something is wrong."""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

CELERY = [PY, "-m", "celery", "-A", "config", "--quiet"]
# How long the stack may take to answer before the banner is printed anyway.
READY_TIMEOUT = 60
# The processes have started once none has printed anything for this long.
SETTLE_SECONDS = 1.5
# Harmless start-up lines that would only bury the banner: (process, text in the line).
NOISE = (
    # kombu's filesystem broker (no REDIS_URL) has no host name, by design.
    ("worker", "No hostname was supplied"),
    ("beat", "No hostname was supplied"),
)


def commands(host, port, shop_port="8001"):
    return {
        "web": [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        # One solo worker: enough for folds and checks, and it works on every broker
        # (the filesystem transport has no fan-out for mingle/gossip).
        "worker": [
            *CELERY,
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
        ],
        # The schedule file lives in VAR_DIR (config.celery sets beat_schedule_filename).
        "beat": [*CELERY, "beat", "--loglevel", "WARNING"],
        # The demo shop: a customer's site on a second origin, embedding messenger.js.
        "shop": [
            *(PY, "-m", "demo.shop", "--host", host, "--port", shop_port),
            *("--verity", local_url(host, port).rstrip("/")),
        ],
    }


# Addresses meaning "every interface" (the user's choice with HOST=...; never a default).
WILDCARDS = ("0.0.0.0", "", "::")  # noqa: S104


def local_url(host, port):
    """The URL to open in a browser: a wildcard address is reached on the loopback."""
    shown = "127.0.0.1" if host in WILDCARDS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def var_dir():
    # As config/settings.py computes it (this supervisor does not load Django).
    return Path(os.environ.get("VERITY_VAR_DIR", ROOT / "var"))


def demo_logins(path):
    """{username: password} from seed_demo's file, or {} when there is none."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def mail_destination():
    """Where Django's mail goes, as config/settings.py reads EMAIL_URL (never the password)."""
    raw = os.environ.get("EMAIL_URL")
    if not raw:
        return f"written as files to {var_dir() / 'mail'}/"
    url = urlsplit(raw)
    if url.scheme == "console":
        return "printed by the web server and the worker (EMAIL_URL=console://)"
    if url.scheme == "file":
        return f"written as files to {ROOT / unquote(url.netloc + url.path)}/"
    return f"sent to the SMTP server {url.hostname} (EMAIL_URL)"


def banner(host, port, logins, shop_port=None):
    url = local_url(host, port)
    lines = ["", "=" * 64, f"Verity is running at {url}"]
    if shop_port:
        lines.append(f"The demo shop is at http://shop.localhost:{shop_port}/  (README: the tour)")
    if host in WILDCARDS:
        lines.append(f"  (listening on every interface, port {port})")
    lines += [
        f"  API docs   {url}api/docs/",
        f"  gateway    POST {url}messenger/v1/ping",
        f"  mail       {mail_destination()}",
    ]
    if logins:
        lines.append("Demo logins (username / password):")
        lines += [f"  {name:<10} {password}" for name, password in logins.items()]
    lines += ["Ctrl-C stops everything.", "=" * 64, ""]
    return "\n".join(lines)


class Output:
    """Copies each child's output to ours, line by line, minus the NOISE, and remembers
    when anything was last printed (start-up is over once everything is quiet)."""

    def __init__(self):
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def follow(self, name, stream):
        thread = threading.Thread(target=self._copy, args=(name, stream), daemon=True)
        thread.start()

    def _copy(self, name, stream):
        for line in stream:
            if any(name == who and text in line for who, text in NOISE):
                continue
            with self.lock:
                sys.stdout.write(line)
                sys.stdout.flush()
                self.last = time.monotonic()

    def quiet_for(self):
        return time.monotonic() - self.last


def answers(url):
    try:
        # Always the http:// URL built by local_url.
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False


def wait_until_ready(url, children, output, timeout=READY_TIMEOUT, poll=0.25):
    """True once ``url`` answers, every child is running and all have finished their
    start-up output; False if a child exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children.values()):
            return False
        answered = answered or answers(url)
        if answered and output.quiet_for() >= SETTLE_SECONDS:
            return True
        time.sleep(poll)
    return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    # Ctrl-C, and a plain kill too, stop every child (SIGINT may arrive ignored when the
    # supervisor itself was started in the background).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--shop-port", default="8001")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    output = Output()
    children = {}
    for name, cmd in commands(args.host, args.port, args.shop_port).items():
        children[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        output.follow(name, children[name].stdout)
    status = 0
    try:
        if wait_until_ready(local_url(args.host, args.port) + "login/", children, output):
            logins = demo_logins(var_dir() / "demo-logins.json")
            print(banner(args.host, args.port, logins, shop_port=args.shop_port))
        elif all(child.poll() is None for child in children.values()):
            print(f"\nVerity did not answer within {READY_TIMEOUT} s; still trying.\n")
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"{name} exited with {child.returncode}; stopping the others.")
                    status = child.returncode
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
    sys.exit(status)


if __name__ == "__main__":
    main()
