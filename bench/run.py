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

from bench.jobs import fold, installation_page, profile
from bench.load import (
    GATEWAY_APP,
    PRODUCTION_SERVER,
    SERVERS,
    WORKERS,
    WRK_THREADS,
    Server,
    check_answers,
    median_of,
    propagation,
    throughput,
)
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
        worst_p99 = max(run["p99"] for run in gw)
        rows.append(
            (
                name,
                f"reference {ref_rps:,.0f} req/s (p99 {median_of(ref, 'p99'):.1f} ms) · "
                f"gateway {gw_rps:,.0f} req/s (p50 {median_of(gw, 'p50'):.1f} ms, "
                f"p99 {median_of(gw, 'p99'):.1f} ms, worst round {worst_p99:.1f} ms)"
                f" · ratio {ratio:.2f}×",
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
    parser.add_argument("--wrk-threads", type=int, default=WRK_THREADS)
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
            "load": f"wrk -t{args.wrk_threads} -c{args.connections}, {args.seconds} s × "
            f"{args.rounds} rounds, medians; wrk and servers share the cores",
            "mix": ", ".join(f"{k} {v / REQUEST_MIX:.0%}" for k, v in sorted(expected.items()))
            + f", {WORKSPACES} workspaces",
        }
        load = prop = folded = page = None
        if "profile" in only:
            meta["profile"] = profile(requests_file)
        if "load" in only:
            load = throughput(
                env,
                requests_file,
                args.seconds,
                args.rounds,
                args.connections,
                servers,
                args.wrk_threads,
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
