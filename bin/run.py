#!/usr/bin/env python
"""Run the development stack: the web server, a Celery worker and Celery beat as child
processes; Ctrl-C stops them all.

With REDIS_URL set, Celery uses Redis; otherwise kombu's filesystem broker under var/,
which needs nothing installed and still connects the three processes."""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


CELERY = [PY, "-m", "celery", "-A", "config"]


def commands(host, port, shop_port):
    # Not a bind: a wildcard address is no URL to open, localhost is.
    browser_host = "localhost" if host in ("0.0.0.0", "::") else host  # noqa: S104
    return {
        "web": [PY, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        # The demo shop: a customer's site on a second origin, embedding messenger.js.
        "shop": [
            *(PY, "-m", "demo.shop", "--host", host, "--port", shop_port),
            *("--verity", f"http://{browser_host}:{port}"),
        ],
        # One solo worker: enough for folds and checks, and it works on every broker
        # (the filesystem transport has no fan-out for mingle/gossip).
        "worker": [
            *CELERY,
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        # The schedule file lives in VAR_DIR (config.celery sets beat_schedule_filename).
        "beat": [*CELERY, "beat", "--loglevel", "INFO"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--shop-port", default="8001")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    children = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env)
        for name, cmd in commands(args.host, args.port, args.shop_port).items()
    }
    print(f"\nVerity is running at http://{args.host}:{args.port}/  (Ctrl-C stops everything)")
    print(f"The demo shop is at   http://shop.localhost:{args.shop_port}/  (README: the tour)\n")
    status = 0
    try:
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
