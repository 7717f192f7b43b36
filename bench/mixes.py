"""`make bench`, the other mixes: cold tokens (every JWT new to the process) and the
hostile mix (a million requests of distinct Origins, app_ids, tokens and garbage), with
the RSS of each server worker before and after it."""

import json
import os
import subprocess
import time
from pathlib import Path

from bench.setup import ROOT, log

# --------------------------------------------------------------------------- cold tokens


def cold_mix(workspaces, warm_file, path, count, first=0):
    """``count`` requests: the warm mix in its order, but each JWT freshly minted (a
    distinct ``jti``), so that no token repeats within the file nor across files made
    with other ``first`` values. Returns how many tokens it minted."""
    import jwt

    by_app = {ws["app_id"]: ws for ws in workspaces}
    warm = warm_file.read_text().splitlines()
    now = int(time.time())
    lines, minted = [], 0
    for i in range(count):
        origin, body = warm[i % len(warm)].split("\t", 1)
        if "user_jwt" in body:
            ping = json.loads(body)
            ws = by_app[ping["app_id"]]
            claims = jwt.decode(ping["user_jwt"], options={"verify_signature": False})
            claims.update(iat=now, exp=now + 86_400, jti=f"cold-{first + i}")
            ping["user_jwt"] = jwt.encode(
                claims, ws["key"], algorithm="HS256", headers={"kid": ws["kid"]}
            )
            body = json.dumps(ping)
            minted += 1
        lines.append(f"{origin}\t{body}")
    path.write_text("\n".join(lines) + "\n")
    return minted


# --------------------------------------------------------------------------- hostile


def children(pid):
    """PIDs of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def workers_rss(server_pid):
    """{worker pid: RSS in KiB} of a server's worker processes (its children)."""
    return {pid: rss_kib(pid) for pid in children(server_pid)}


def run_hostile(url, app_ids, offset, seconds, connections):
    """One wrk run of hostile.lua starting at request number ``offset``; returns how many
    requests it sent."""
    env = {
        **os.environ,
        "VERITY_BENCH_APP_IDS": ",".join(app_ids),
        "VERITY_BENCH_OFFSET": str(offset),
    }
    out = subprocess.run(
        [
            "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
            "-s", str(ROOT / "bench" / "hostile.lua"), url,
        ],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for line in out.splitlines():
        if "requests in" in line:
            return int(line.split()[0])
    raise RuntimeError(f"wrk said nothing about requests:\n{out}")


def hostile(env, workspaces, warm_file, total, connections, server_name, gateway_app):
    """RSS of each worker after the warm mix, then after ``total`` hostile requests."""
    from bench.load import Server, run_wrk

    app_ids = [ws["app_id"] for ws in workspaces]
    with Server(server_name, gateway_app, env) as server:
        run_wrk(server.url, warm_file, 5, connections)  # every worker warm and steady
        before = workers_rss(server.process.pid)
        sent, started = 0, time.monotonic()
        while sent < total:
            sent += run_hostile(server.url, app_ids, sent, 20, connections)
            log(f"hostile: {sent:,} requests sent, workers' RSS {workers_rss(server.process.pid)}")
        elapsed = time.monotonic() - started
        after = workers_rss(server.process.pid)
    growth = {pid: (after.get(pid, 0) - kib) / 1024 for pid, kib in before.items()}
    return {
        "sent": sent,
        "seconds": elapsed,
        "before_mib": {pid: kib / 1024 for pid, kib in before.items()},
        "growth_mib": growth,
    }
