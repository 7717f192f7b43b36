"""`make bench`, cost (``--only=cost``): where a request's CPU goes under the server.

For the no-I/O handler and the gateway in turn, under the production server and the same
load: the CPU time of the server's processes and of wrk per request (from
/proc/<pid>/stat and getrusage), and the context switches per request of the server's
threads (/proc/<pid>/task/*/status). The gateway's own Python is a fraction of what the
server spends per request; these figures show the rest (BENCHMARKS.md, "Why 0.49×").
"""

import os
import resource
from pathlib import Path

from bench.load import WARM_UP_RUNS, Server, run_wrk
from bench.mixes import children

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pids):
    """{pid: CPU seconds so far} of ``pids`` (a process gone meanwhile is left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def _switches(pids):
    """(voluntary, involuntary) context switches of every thread of ``pids``."""
    voluntary = involuntary = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                lines = Path(f"/proc/{pid}/task/{task}/status").read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith("voluntary_ctxt_switches"):
                    voluntary += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    involuntary += int(line.split()[1])
    return voluntary, involuntary


def _reaped_children_cpu():
    """CPU seconds of this process's finished children: wrk's, once its run returns."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_cost(apps, env, requests_file, seconds, connections, server_name, threads):
    """{label: figures} for each (label, app) of ``apps``, one fresh server each."""
    results = {}
    for label, app in apps:
        with Server(server_name, app, {**env, "VERITY_GATEWAY_WORKER_HEADER": "0"}) as server:
            for _ in range(WARM_UP_RUNS):
                run_wrk(server.url, requests_file, 2, connections, threads)
            processes = [server.process.pid, *children(server.process.pid)]
            cpu_before, wrk_before = _cpu(processes), _reaped_children_cpu()
            switches_before = _switches(cpu_before)
            result = run_wrk(server.url, requests_file, seconds, connections, threads)
            cpu_after, wrk_after = _cpu(processes), _reaped_children_cpu()
            switches_after = _switches(cpu_after)
        n = result["requests"]
        server_cpu = sum(cpu_after[p] - cpu_before.get(p, 0.0) for p in cpu_after)
        results[label] = {
            "rps": result["rps"],
            "server_us": server_cpu / n * 1e6,
            "wrk_us": (wrk_after - wrk_before) / n * 1e6,
            "voluntary": (switches_after[0] - switches_before[0]) / n,
            "involuntary": (switches_after[1] - switches_before[1]) / n,
        }
    return results


def cost_rows(results):
    return [
        (
            f"Cost per request under the server: {label}",
            f"{r['rps']:,.0f} req/s · server CPU {r['server_us']:.1f} µs · wrk CPU "
            f"{r['wrk_us']:.1f} µs · context switches {r['voluntary']:.2f} voluntary, "
            f"{r['involuntary']:.2f} involuntary",
        )
        for label, r in results.items()
    ]
