"""`make bench`: the gateway against its reference, enforcement propagation, the fold,
and the installation page, in one run on this machine. Prints one table.

The run uses its own database (``<name>_bench`` next to DATABASE_URL's, or a SQLite file
under var/bench) and its own Redis database (VERITY_BENCH_REDIS_DB, default 9, on
REDIS_URL's server, or a private redis-server), so it never touches the data of
`make run` or of the tests. Load generator (wrk) and servers share the machine's cores:
compare the ratios of one run, not absolute figures across machines.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.cost import cost_rows, server_cost
from bench.jobs import fold, installation_page, profile
from bench.load import (
    GATEWAY_APP,
    NOIO_APP,
    PRODUCTION_SERVER,
    REFERENCE_APP,
    SERVERS,
    WORKERS,
    WRK_THREADS,
    Server,
    check_answers,
    median_of,
    propagation,
    throughput,
)
from bench.mixes import cold_mix, hostile
from bench.setup import (
    REQUEST_MIX,
    WORKSPACES,
    log,
    migrate,
    prepare_environment,
    request_mix,
    seed_workspaces,
    setup_django,
)

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


def _rounds(runs, key, fmt):
    return " / ".join(fmt.format(run[key]) for run in runs)


def load_rows(name, apps):
    """Rows of one server: each mix's median and rounds, then the ratios."""
    rows = []
    for label, runs in apps.items():
        wrapped = label == "cold" and sum(1 for r in runs if r["requests"] > r["lines"])
        note = f" · {wrapped} round(s) replayed the file: tokens repeated" if wrapped else ""
        rows.append(
            (
                f"{name}: {label}",
                f"{median_of(runs, 'rps'):,.0f} req/s (rounds {_rounds(runs, 'rps', '{:,.0f}')})"
                f" · p50 {median_of(runs, 'p50'):.1f} ms · p99 {median_of(runs, 'p99'):.1f} ms"
                f" (rounds {_rounds(runs, 'p99', '{:.1f}')}){note}",
            )
        )
    gateway = median_of(apps["gateway"], "rps")
    ratios = []
    for label in ("reference", "noio"):
        if label in apps:
            ratio = gateway / median_of(apps[label], "rps")
            per_round = [
                g["rps"] / r["rps"] for g, r in zip(apps["gateway"], apps[label], strict=False)
            ]
            ratios.append(
                f"gateway / {label} {ratio:.2f}× (median of the rounds' ratios "
                f"{statistics.median(per_round):.2f}; rounds "
                + " / ".join(f"{x:.2f}" for x in per_round)
                + ")"
            )
    if "cold" in apps:
        per_round = [
            c["rps"] / g["rps"] for c, g in zip(apps["cold"], apps["gateway"], strict=False)
        ]
        ratios.append(
            f"cold / warm {median_of(apps['cold'], 'rps') / gateway:.2f}× (median of the "
            f"rounds' ratios {statistics.median(per_round):.2f}; rounds "
            + " / ".join(f"{x:.2f}" for x in per_round)
            + ")"
        )
    rows.append((f"{name}: ratios", " · ".join(ratios)))
    return rows


def report(meta, load, prop, folded, page, hostile_run=None, cost=None):
    rows = []
    rows.append(("Machine", meta["machine"]))
    rows.append(("Stores", f"{meta['database']}, {meta['redis']}"))
    rows.append(("Load", meta["load"]))
    rows.append(("Mix", meta["mix"]))
    if "profile" in meta:
        gateway, floor = meta["profile"]
        rows.append(
            (
                "In-process CPU per request (no server)",
                f"gateway {gateway * 1e6:.1f} µs, bench/noio.py {floor * 1e6:.1f} µs",
            )
        )
    best = None
    for name, apps in load.items():
        rows.extend(load_rows(name, apps))
        gw_rps = median_of(apps["gateway"], "rps")
        if best is None or gw_rps > best[1]:
            best = (name, gw_rps)
    if best and len(load) > 1:
        rows.append(("Fastest gateway server", best[0]))
    if cost:
        rows.extend(cost_rows(cost))
    if hostile_run:
        growth = hostile_run["growth_mib"]
        rows.append(
            (
                "Hostile mix, RSS growth per worker",
                f"{hostile_run['sent']:,} requests in {hostile_run['seconds']:.0f} s: "
                + ", ".join(
                    f"{growth[pid]:+.1f} MiB (from {mib:.0f})"
                    for pid, mib in sorted(hostile_run["before_mib"].items())
                )
                + f"; max {max(growth.values()):+.1f} MiB (goal ≤ 20)",
            )
        )
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
    parser.add_argument("--wrk-threads", type=int, default=WRK_THREADS)
    parser.add_argument("--toggles", type=int, default=20)
    parser.add_argument(
        "--servers", default="production", help="'all', 'production', or names separated by ';'"
    )
    parser.add_argument(
        "--only",
        default="load,cold,cost,hostile,propagation,fold,page",
        help="comma-separated subset of load,cold,hostile,propagation,fold,page,profile,cost",
    )
    parser.add_argument("--hostile-requests", type=int, default=1_000_000)
    args = parser.parse_args()
    only = set(args.only.split(","))
    if shutil.which("wrk") is None and only & {"load", "cold", "hostile", "propagation", "cost"}:
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
            "load": f"wrk -t{args.wrk_threads} -c{args.connections}, {args.seconds} s × "
            f"{args.rounds} rounds, medians; wrk and servers share the cores",
            "mix": "warm: "
            + ", ".join(f"{k} {v / REQUEST_MIX:.0%}" for k, v in sorted(expected.items()))
            + f", {WORKSPACES} workspaces",
        }
        load = prop = folded = page = hostile_run = cost = None
        if "profile" in only:
            meta["profile"] = profile(requests_file)
        if only & {"load", "cold"}:
            mixes = {}
            if "load" in only:
                mixes["reference"] = (REFERENCE_APP, requests_file, requests_file)
                mixes["noio"] = (NOIO_APP, requests_file, requests_file)
                mixes["gateway"] = (GATEWAY_APP, requests_file, requests_file)
            if "cold" in only:
                # Enough lines that no token repeats at 40,000 req/s; the warm-up gets
                # tokens of its own, so the measured ones are all new to the server.
                count = 40_000 * args.seconds
                warm_up, cold = (
                    requests_file.with_name("cold-warm-up.txt"),
                    requests_file.with_name("cold.txt"),
                )
                cold_mix(workspaces, requests_file, warm_up, 40_000 * 6, first=0)
                minted = cold_mix(workspaces, requests_file, cold, count, first=10**9)
                log(f"cold mix: {count:,} requests, {minted:,} distinct tokens")
                mixes.setdefault("gateway", (GATEWAY_APP, requests_file, requests_file))
                mixes["cold"] = (GATEWAY_APP, warm_up, cold)
            load = throughput(
                mixes,
                env,
                args.seconds,
                args.rounds,
                args.connections,
                servers,
                args.wrk_threads,
            )
        if "cost" in only:
            cost = server_cost(
                (("noio", NOIO_APP), ("gateway", GATEWAY_APP)),
                env,
                requests_file,
                args.seconds,
                args.connections,
                PRODUCTION_SERVER,
                args.wrk_threads,
            )
        if "hostile" in only:
            hostile_run = hostile(
                env,
                workspaces,
                requests_file,
                args.hostile_requests,
                args.connections,
                PRODUCTION_SERVER,
                GATEWAY_APP,
            )
        if "propagation" in only:
            prop = propagation(
                env, requests_file, workspaces, args.toggles, PRODUCTION_SERVER, WORKERS
            )
        if "fold" in only:
            folded = fold(env, workspaces)
        if "page" in only:
            page = installation_page(workspaces)
        report(meta, load or {}, prop, folded, page, hostile_run, cost)
    finally:
        for process in stack:
            process.terminate()


if __name__ == "__main__":
    main()
