#!/usr/bin/env python3
"""Runs meshtwin's benchmarks and prints one table (`make bench`): the engine's hold model
beside a bare std::priority_queue loop and ns-3's schedulers (when that peer benchmark was
built), Bookinfo hop-attempts/s with no, metrics-only and full recording, the synthetic-mesh
scale table, and duration scaling. Every rate is per wall-clock second (UseRealTime).

Each program runs --runs times (default 3), one after the other, and every cell is
"median (min-max)" of those runs; the first line says the machine's load average before and
after, since on a shared machine wall-clock figures are only as good as that.

--sim-cpu N runs the simulation's thread on CPU N (the mesh benchmarks' --sim-cpu flag; the
engine benchmarks, single-threaded, run pinned to N whole); --sim-cpu all prints every table once
per CPU. On the 2-vCPU VMs the project is measured on the two vCPUs ran the same benchmark up to
45 % apart for minutes at a time (docs/performance.md, "Which CPU"): a ratio is only meaningful
between figures measured on the same CPU, which within one --sim-cpu section they are.

A fourth table splits a run's wall time into a fixed part and a part per hop attempt (two run
lengths, --scale-requests and 4x that, metrics only, for the --marginal sizes), beside Bookinfo's.

Usage: scripts/bench-table.py BUILD_DIR [--runs 3] [--requests N] [--scale 10,100,1000,10000]
                              [--marginal 1000] [--sim-cpu N|all]
                              [--only engine,bookinfo,scale,marginal,duration]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile


# The CPU the simulation's thread runs on (None: wherever the kernel puts it).
SIM_CPU = None
# The programs that take --sim-cpu themselves (the others are single-threaded: pinned whole).
SIM_CPU_FLAG = ("bookinfo_bench", "mesh_scale_bench")


def run_bench(binary, *args):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    pin = None
    if SIM_CPU is not None:
        if os.path.basename(binary) in SIM_CPU_FLAG:
            args = (*args, f"--sim-cpu={SIM_CPU}")
        else:
            def pin():
                os.sched_setaffinity(0, {SIM_CPU})
    try:
        subprocess.run([binary, *args, f"--benchmark_out={path}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=pin)
        with open(path) as f:
            return json.load(f)["benchmarks"]
    finally:
        os.unlink(path)


def collect(runs, binary, *args):
    """{benchmark name: [result of run 1, run 2, ...]}"""
    out = {}
    for _ in range(runs):
        for b in run_bench(binary, *args):
            if b.get("run_type", "iteration") == "iteration":
                out.setdefault(b["name"], []).append(b)
    return out


def spread(values, scale=1.0, fmt="{:.2f}", unit=""):
    """median (min-max) of the runs; one value alone when there was one run."""
    v = sorted(x / scale for x in values)
    med = statistics.median(v)
    if len(v) == 1:
        return fmt.format(med) + unit
    return f"{fmt.format(med)}{unit} ({fmt.format(v[0])}-{fmt.format(v[-1])})"


def rate(b):
    return b.get("items_per_second", 0.0)


def hop_rate(b):
    return b.get("hop_attempts_per_s", rate(b))


def engine_table(bench, runs):
    print("## Engine: hold model (events/s, wall clock)\n")
    filt = "BM_Hold/|BM_BarePriorityQueue|BM_EventQueuePopPush"
    ns3_bin = os.path.join(bench, "ns3", "ns3_hold_bench")
    if os.path.exists(ns3_bin):
        # The ns-3 binary also links the meshtwin loops: one process, one run, comparable.
        engine = collect(runs, ns3_bin, f"--benchmark_filter={filt}|BM_Ns3Simulator")
    else:
        engine = collect(runs, os.path.join(bench, "engine_bench"), f"--benchmark_filter={filt}")

    def cell(prefix, n):
        # BM_Hold/1000/real_time, BM_Ns3Simulator/sched:3/pending:1000/real_time
        for name, results in engine.items():
            if name.startswith(prefix) and name[len(prefix):].split("/")[0] in (n, f"pending:{n}"):
                return [rate(b) for b in results]
        return None

    sizes = ("1000", "100000")
    rows = [("meshtwin Simulator (BM_Hold)", "BM_Hold/"),
            ("bare std::priority_queue", "BM_BarePriorityQueue/"),
            ("meshtwin EventQueue pop+push", "BM_EventQueuePopPush/")]
    ns3_names = {0: "MapScheduler", 1: "HeapScheduler", 2: "CalendarScheduler", 3: "PriorityQueueScheduler"}
    rows += [(f"ns-3 {label} (ns3::Simulator)", f"BM_Ns3Simulator/sched:{i}/") for i, label in ns3_names.items()]
    print("| loop | 1k pending, M/s | 100k pending, M/s |\n| --- | --- | --- |")
    table = {}
    for label, prefix in rows:
        cells = [cell(prefix, n) for n in sizes]
        if all(c is None for c in cells):
            continue
        table[prefix] = cells
        print(f"| {label} | " + " | ".join(spread(c, 1e6) if c else "-" for c in cells) + " |")

    # Ratios run by run (run i of one loop against run i of the other: the same minute of load).
    def ratios(a, b):
        return [x / y for x, y in zip(a, b) if y]

    hold = table.get("BM_Hold/")
    bare = table.get("BM_BarePriorityQueue/")
    ns3 = [v for k, v in table.items() if k.startswith("BM_Ns3Simulator/")]
    if hold and bare:
        print("| BM_Hold / bare loop (target >= 1.2) | " +
              " | ".join(spread(ratios(h, b)) if h and b else "-" for h, b in zip(hold, bare)) + " |")
    if hold and ns3:
        cells = []
        for i in range(len(sizes)):
            if not hold[i] or not any(v[i] for v in ns3):
                cells.append("-")
                continue
            best = [max(v[i][r] for v in ns3 if v[i]) for r in range(len(hold[i]))]
            cells.append(spread(ratios(hold[i], best)))
        print("| BM_Hold / best ns-3 (target >= 2) | " + " | ".join(cells) + " |")
    if not ns3:
        print("\n(ns-3's schedulers: install libns3-dev (scripts/install-deps.sh --bench) and configure "
              "with -DMESHTWIN_NS3_BENCH=ON, as `make bench` does.)")


def run_time(b):
    """(hop attempts, wall-clock ns of the run) of one benchmark result."""
    hops = b["hop_attempts"]
    if "ns_per_hop_attempt" in b:
        return hops, b["ns_per_hop_attempt"] * hops
    return hops, hops * 1e9 / hop_rate(b)


def fixed_and_marginal(short, long):
    """A run's time as fixed + marginal x hop attempts, through two runs of different lengths:
    (fixed ms, marginal ns per hop attempt)."""
    (h1, t1), (h4, t4) = run_time(short), run_time(long)
    marginal = (t4 - t1) / (h4 - h1) if h4 != h1 else float("nan")
    return (t1 - h1 * marginal) / 1e6, marginal


def marginal_table(bench, args):
    # A run's wall time is a fixed part (begin and end: the results file's first and last
    # commits, the last windows; and the first use of each cluster, connection pool and label
    # set, whose memory is touched for the first time) plus a part per hop attempt. Issue 15's
    # ratio divides the whole run by its hop attempts; at 20,000 requests a 1,000-service run's
    # fixed part is a fifth to a third of it, Bookinfo's a few per cent. Here each size runs
    # metrics-only with --scale-requests and 4x that, paired with Bookinfo runs of the same two
    # lengths made just before, and the two lengths give each side's fixed ms and marginal ns per
    # hop attempt (the slope); "x Bookinfo" is the ratio of the slopes, run pair by run pair.
    short, long = args.scale_requests, 4 * args.scale_requests
    print(f"\n## Fixed and per-hop cost of a run (metrics only; {short:,} and {long:,} client requests)\n")
    print("| services | ns per hop attempt at 1x | at 4x | marginal ns per hop attempt | x Bookinfo's marginal | "
          "fixed ms per run | Bookinfo's fixed ms |\n| --- | --- | --- | --- | --- | --- | --- |")
    bookinfo_filter = "--benchmark_filter=MetricsOnly"
    for n in args.marginal.split(","):
        listed = subprocess.run([os.path.join(bench, "mesh_scale_bench"), "--benchmark_list_tests",
                                 f"--benchmark_filter=^BM_MeshScale/{n}/"], capture_output=True, text=True).stdout
        if not listed.strip():
            print(f"| {n} | (mesh_scale_bench has no size {n}) | | | | | |")
            continue
        cols = {k: [] for k in ("ns1", "ns4", "marginal", "ratio", "fixed", "bfixed")}
        for _ in range(args.runs):
            book = [run_bench(os.path.join(bench, "bookinfo_bench"), f"--requests={r}", bookinfo_filter)[0]
                    for r in (short, long)]
            mesh = [run_bench(os.path.join(bench, "mesh_scale_bench"), f"--requests={r}",
                              f"--benchmark_filter=^BM_MeshScale/{n}/")[0] for r in (short, long)]
            bfixed, bmarginal = fixed_and_marginal(*book)
            fixed, marginal = fixed_and_marginal(*mesh)
            cols["ns1"].append(mesh[0]["ns_per_hop_attempt"])
            cols["ns4"].append(mesh[1]["ns_per_hop_attempt"])
            cols["marginal"].append(marginal)
            cols["ratio"].append(marginal / bmarginal)
            cols["fixed"].append(fixed)
            cols["bfixed"].append(bfixed)
        print(f"| {n} | " + " | ".join([spread(cols["ns1"], fmt="{:,.0f}"), spread(cols["ns4"], fmt="{:,.0f}"),
                                       spread(cols["marginal"], fmt="{:,.0f}"), spread(cols["ratio"]),
                                       spread(cols["fixed"], fmt="{:.1f}"), spread(cols["bfixed"], fmt="{:.1f}")])
              + " |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--scale", default="10,100,1000,10000")
    parser.add_argument("--scale-requests", type=int, default=20_000)
    parser.add_argument("--marginal", default="1000",
                        help="comma-separated mesh sizes for the fixed-and-per-hop table")
    parser.add_argument("--only", default="engine,bookinfo,scale,marginal,duration",
                        help="comma-separated subset of the tables")
    parser.add_argument("--sim-cpu", default=None,
                        help="CPU for the simulation's thread, or 'all' for one set of tables per CPU")
    args = parser.parse_args()
    global SIM_CPU
    allowed = sorted(os.sched_getaffinity(0))
    if args.sim_cpu == "all":
        cpus = allowed
    elif args.sim_cpu is not None:
        if not args.sim_cpu.isdigit() or int(args.sim_cpu) not in allowed:
            print(f"bench-table.py: --sim-cpu wants 'all' or one of the CPUs this process may use "
                  f"({', '.join(map(str, allowed))}), not '{args.sim_cpu}'", file=sys.stderr)
            return 2
        cpus = [int(args.sim_cpu)]
    else:
        cpus = [None]
    for cpu in cpus:
        SIM_CPU = cpu
        if cpu is not None:
            print(f"# Simulation thread on CPU {cpu}\n")
        tables(args)
        print()
    return 0


def tables(args):
    bench = os.path.join(args.build_dir, "bench")
    only = set(args.only.split(","))
    load_before = os.getloadavg()
    print(f"Each cell: median (min-max) of {args.runs} runs. Load average before: "
          f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} on {os.cpu_count()} CPUs.\n")

    if "engine" in only:
        engine_table(bench, args.runs)

    if "bookinfo" in only:
        print(f"\n## Bookinfo reviews-80-20, {args.requests:,} client requests (hop attempts/s, wall clock)\n")
        bookinfo = collect(args.runs, os.path.join(bench, "bookinfo_bench"), f"--requests={args.requests}")
        print("| recording | k hop attempts/s |\n| --- | --- |")
        for name, results in bookinfo.items():
            label = name.split("/iterations")[0].replace("BM_Bookinfo", "").replace("Sqlite/", "SQLite, ")
            print(f"| {label} | {spread([hop_rate(b) for b in results], 1e3, '{:,.0f}')} |")

    if "scale" in only:
        # Each run of a size is paired with Bookinfo runs made just before it, in the same two
        # settings, and each "x Bookinfo" cell is the median (min-max) of those pairs' ratios
        # (issue 15: a 1,000-service mesh at most 2x Bookinfo): on a shared VM the machine's speed
        # drifts within minutes, and a ratio of figures from different minutes measures that.
        # Two references: Bookinfo with the same number of client requests as the mesh (the same
        # run length, begin and end included: like with like, as in issue 15's own table), and
        # Bookinfo with --requests (the Bookinfo table's setting, where a run's fixed begin and
        # end, a few to tens of milliseconds, are spread over 30 times as many hop attempts).
        print(f"\n## Synthetic meshes (gen-mesh shape, {args.scale_requests:,} client requests)\n")
        print(f"x Bookinfo: the ratio to Bookinfo run just before with the same {args.scale_requests:,} client "
              f"requests; in brackets, to Bookinfo with {args.requests:,}.\n")
        print("| services | setup s | peak RSS MB | ns per hop attempt, metrics only | x Bookinfo | "
              "ns per hop attempt, no recording | x Bookinfo | proxy configs |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- |")
        bookinfo_filter = "--benchmark_filter=^BM_BookinfoNoRecording/|MetricsOnly"
        references = {"same": args.scale_requests, "long": args.requests}
        for n in args.scale.split(","):
            by_kind = {}
            ratios = {(kind, ref): [] for kind in ("metrics", "none") for ref in references}
            for _ in range(args.runs):
                paired = {}
                for ref, requests in references.items():
                    for b in run_bench(os.path.join(bench, "bookinfo_bench"), f"--requests={requests}",
                                       bookinfo_filter):
                        key = "metrics" if "MetricsOnly" in b["name"] else "none"
                        paired[(key, ref)] = 1e9 / hop_rate(b)
                # One process per size, so that peak RSS is this size's own.
                for b in run_bench(os.path.join(bench, "mesh_scale_bench"), f"--requests={args.scale_requests}",
                                   f"--benchmark_filter=BM_MeshScale(NoRecording)?/{n}/"):
                    kind = "none" if "NoRecording" in b["name"] else "metrics"
                    by_kind.setdefault(kind, []).append(b)
                    for ref in references:
                        if (kind, ref) in paired:
                            ratios[(kind, ref)].append(b["ns_per_hop_attempt"] / paired[(kind, ref)])
            row = by_kind.get("metrics") or by_kind.get("none")
            cells = [n, spread([b['setup_s'] for b in row]), spread([b['peak_rss_mb'] for b in row], fmt='{:.0f}')]
            for kind in ("metrics", "none"):
                rs = by_kind.get(kind)
                if not rs:
                    cells += ["-", "-"]
                    continue
                cells.append(spread([b['ns_per_hop_attempt'] for b in rs], fmt='{:,.0f}'))
                same, long = ratios[(kind, "same")], ratios[(kind, "long")]
                cells.append(f"{spread(same) if same else '-'} [{spread(long) if long else '-'}]")
            cells.append(f"{row[0]['proxy_configs']:.0f}")
            print("| " + " | ".join(str(c) for c in cells) + " |")

    if "marginal" in only:
        marginal_table(bench, args)

    if "duration" in only:
        print("\n## Duration scaling (Bookinfo, no recording)\n")
        print("| client requests | k hop attempts/s |\n| --- | --- |")
        base = max(args.requests // 16, 1000)
        for factor in (1, 4, 16):
            results = collect(args.runs, os.path.join(bench, "bookinfo_bench"), f"--requests={base * factor}",
                              "--benchmark_filter=^BM_BookinfoNoRecording/")
            for rs in results.values():
                print(f"| {base * factor:,} | {spread([hop_rate(b) for b in rs], 1e3, '{:,.0f}')} |")

    load_after = os.getloadavg()
    print(f"\nLoad average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}.")


if __name__ == "__main__":
    sys.exit(main())
