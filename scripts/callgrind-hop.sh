#!/usr/bin/env bash
# Instructions per simulated hop attempt of the Bookinfo benchmark (bench/bookinfo_bench.cc) with
# no recording, metrics-only and full SQLite recording: the load-independent companion of its
# wall-clock rates (docs/performance.md). Only the run is counted (callgrind --toggle-collect on
# MeshImpl::run and on the SQLite writer's own thread), not loading and compiling the scenario.
# The patterns name MeshImpl::run( itself (a toggle on entry and exit: `*MeshImpl::run*` also
# matched MeshImpl::run_step, which toggled counting off inside the run; figures before
# 2026-12-03 23:00 UTC miss run_step's instructions) and the writer thread's entry function (in
# an LTO build Background::run is inlined into it). Collection starts off (--collect-atstart=no),
# so no other thread counts: before 2026-12-04 23:10 UTC the loader's parse-ahead thread of the
# synthetic meshes (~1.2 G instructions at 1,000 services) was counted as the writer's, and LTO
# had inlined MeshImpl::run into mesh_scale_bench (its simulation thread counted nothing; it is
# [[gnu::noinline]] now).
#
# Usage: scripts/callgrind-hop.sh BUILD_DIR [REQUESTS] [FILTER_REGEX] [BENCH]
#   e.g. scripts/callgrind-hop.sh build/release 20000
# BENCH is another benchmark of bench/ with a hop_attempts counter, e.g. the synthetic meshes:
#   scripts/callgrind-hop.sh build/release 20000 'BM_MeshScale/(10|100|1000)$' mesh_scale_bench
# With CACHE=1 the caches are simulated too (--cache-sim=yes): D1 and LL read and write misses
# per hop attempt are added (LL modelled as a 2 MB, 16-way L2).
# Prints "benchmark  hop_attempts  instructions/hop (all threads)  simulation thread  writer thread".
# Needs valgrind and python3. About a minute per benchmark at 20,000 requests.
set -euo pipefail
build=${1:?usage: callgrind-hop.sh BUILD_DIR [REQUESTS] [FILTER_REGEX] [BENCH]}
requests=${2:-20000}
filter=${3:-'^BM_BookinfoNoRecording/|MetricsOnly|EverythingRecorded'}
bin=$build/bench/${4:-bookinfo_bench}
cache=()
# The last level is modelled as the 2 MB L2 of this machine (docs/performance.md), not its L3.
[ "${CACHE:-0}" = 1 ] && cache=(--cache-sim=yes --LL=2097152,16,64)
command -v valgrind >/dev/null || { echo "callgrind-hop.sh: valgrind is not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --benchmark_list_tests --benchmark_filter="$filter" | grep '^BM_' | while read -r name; do
  rm -f "$tmp"/cg.*
  valgrind --tool=callgrind "${cache[@]}" --separate-threads=yes --collect-atstart=no --callgrind-out-file="$tmp/cg" \
    --toggle-collect='*MeshImpl::run(*' --toggle-collect='*Background::Background*_M_run*' \
    "$bin" --requests="$requests" --benchmark_filter="^${name}\$" --benchmark_out="$tmp/json" --benchmark_out_format=json \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  python3 - "$tmp" "$name" <<'PY'
import glob, json, re, sys
tmp, name = sys.argv[1], sys.argv[2]
hops = json.load(open(tmp + "/json"))["benchmarks"][0]["hop_attempts"]
per_thread = {}
events = []
for f in glob.glob(tmp + "/cg-*"):
    thread = int(re.search(r"-(\d+)$", f).group(1))
    for line in open(f):
        if line.startswith("events:"):
            events = line.split()[1:]
        if line.startswith("summary:") or line.startswith("totals:"):
            per_thread[thread] = [int(x) for x in line.split()[1:]]
            break
width = len(events)
total = [sum(v[i] for v in per_thread.values() if i < len(v)) for i in range(width)]
main = per_thread.get(1, [0] * width)
ir = events.index("Ir")
row = f"{name:<40} {int(hops):>9} {total[ir] / hops:>9.0f} {main[ir] / hops:>9.0f} {(total[ir] - main[ir]) / hops:>9.0f}"
if "D1mr" in events:
    get = lambda k: total[events.index(k)] / hops
    row += f"  D1 misses {get('D1mr') + get('D1mw'):.1f}  LL misses {get('DLmr') + get('DLmw'):.2f}"
print(row, flush=True)
PY
done
