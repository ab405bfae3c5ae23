#!/usr/bin/env python3
"""Runs meshtwin's benchmarks and prints one table (`make bench`): the engine's hold model
beside a bare std::priority_queue loop (and ns-3's schedulers when that peer benchmark was
built), Bookinfo hop-attempts/s with no, metrics-only and full recording, the synthetic-mesh
scale table, and duration scaling. Every rate is per wall-clock second (UseRealTime).

Usage: scripts/bench-table.py BUILD_DIR [--requests N] [--scale 10,100,1000,10000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def run_bench(binary, *args):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    try:
        subprocess.run([binary, *args, f"--benchmark_out={path}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with open(path) as f:
            return json.load(f)["benchmarks"]
    finally:
        os.unlink(path)


def by_name(results):
    return {b["name"]: b for b in results if b.get("run_type", "iteration") == "iteration"}


def rate(b):
    return b.get("items_per_second", 0.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--scale", default="10,100,1000,10000")
    parser.add_argument("--scale-requests", type=int, default=20_000)
    args = parser.parse_args()
    bench = os.path.join(args.build_dir, "bench")

    print("## Engine: hold model (events/s, wall clock)\n")
    engine = by_name(run_bench(os.path.join(bench, "engine_bench"),
                               "--benchmark_filter=BM_Hold/|BM_BarePriorityQueue|BM_EventQueuePopPush"))
    ns3 = {}
    ns3_bin = os.path.join(bench, "ns3", "ns3_hold_bench")
    if os.path.exists(ns3_bin):
        # The ns-3 binary also links the meshtwin loops: same process, same run, comparable.
        ns3 = {n: b for n, b in by_name(run_bench(ns3_bin, "--benchmark_filter=BM_Ns3")).items()}
    print("| loop | 1k pending | 100k pending |\n| --- | --- | --- |")
    for label, prefix in [("meshtwin Simulator (BM_Hold)", "BM_Hold/"),
                          ("bare std::priority_queue", "BM_BarePriorityQueue/"),
                          ("meshtwin EventQueue pop+push", "BM_EventQueuePopPush/")]:
        cells = []
        for n in ("1000", "100000"):
            hit = [b for name, b in engine.items() if name.startswith(prefix + n + "/")]
            cells.append(f"{rate(hit[0]) / 1e6:.2f} M" if hit else "-")
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    for name, b in sorted(ns3.items()):
        print(f"| ns-3 {name.split('/real_time')[0]} | {rate(b) / 1e6:.2f} M | |")
    if not ns3:
        print("\n(ns-3's schedulers: build with -DMESHTWIN_NS3_BENCH=ON and libns3-dev to add them.)")

    print(f"\n## Bookinfo reviews-80-20, {args.requests:,} client requests (hop attempts/s, wall clock)\n")
    bookinfo = by_name(run_bench(os.path.join(bench, "bookinfo_bench"), f"--requests={args.requests}"))
    print("| recording | hop attempts/s |\n| --- | --- |")
    for name, b in bookinfo.items():
        label = name.split("/iterations")[0].replace("BM_Bookinfo", "").replace("Sqlite/", "SQLite, ")
        print(f"| {label} | {b.get('hop_attempts_per_s', rate(b)) / 1e3:,.0f} k |")

    print(f"\n## Synthetic meshes (gen-mesh shape, {args.scale_requests:,} client requests, metrics only)\n")
    print("| services | setup s | peak RSS MB | ns per hop-attempt | proxy configs |\n| --- | --- | --- | --- | --- |")
    for n in args.scale.split(","):
        # One process per size, so that peak RSS is this size's own.
        rows = run_bench(os.path.join(bench, "mesh_scale_bench"), f"--requests={args.scale_requests}",
                         f"--benchmark_filter=BM_MeshScale/{n}/")
        for b in rows:
            print(f"| {n} | {b['setup_s']:.2f} | {b['peak_rss_mb']:.0f} | {b['ns_per_hop_attempt']:,.0f} | "
                  f"{b['proxy_configs']:.0f} |")

    print("\n## Duration scaling (Bookinfo, no recording)\n")
    print("| client requests | hop attempts/s |\n| --- | --- |")
    base = max(args.requests // 16, 1000)
    for factor in (1, 4, 16):
        rows = by_name(run_bench(os.path.join(bench, "bookinfo_bench"), f"--requests={base * factor}",
                                 "--benchmark_filter=BM_BookinfoNoRecording"))
        for b in rows.values():
            print(f"| {base * factor:,} | {b.get('hop_attempts_per_s', rate(b)) / 1e3:,.0f} k |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
