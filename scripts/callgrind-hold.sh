#!/usr/bin/env bash
# Instructions per event of the hold-model loops (bench/engine_hold_bench.cc, and ns-3's
# schedulers when bench/ns3 was built): a load-independent companion to the wall-clock rates,
# for a machine that is busy. Each benchmark runs one timed batch of 1 M events under callgrind;
# only the out-of-line measured_* batch functions are counted (--toggle-collect), so set-up and
# warm-up are left out.
#
# Usage: scripts/callgrind-hold.sh BUILD_DIR [FILTER_REGEX]
#   e.g. scripts/callgrind-hold.sh build/release 'BM_Hold/|BM_BarePriorityQueue'
# Prints "benchmark  instructions/event". Needs valgrind. Takes about a minute per benchmark.
set -euo pipefail
build=${1:?usage: callgrind-hold.sh BUILD_DIR [FILTER_REGEX]}
filter=${2:-'BM_Hold/|BM_BarePriorityQueue/|BM_EventQueuePopPush/|BM_Ns3Simulator/sched:[03]/'}
bin=$build/bench/ns3/ns3_hold_bench
[ -x "$bin" ] || bin=$build/bench/engine_bench
command -v valgrind >/dev/null || { echo "callgrind-hold.sh: valgrind is not installed" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
events=1000000  # kBatch in bench/engine_hold_bench.cc and bench/ns3/ns3_hold_bench.cc
"$bin" --benchmark_list_tests --benchmark_filter="$filter" | while read -r name; do
  # One timed batch: --benchmark_min_time=0 stops after the first iteration.
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" --toggle-collect='*measured_*' \
    "$bin" --benchmark_filter="^${name}\$" --benchmark_min_time=0 >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; exit 1; }
  ir=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$tmp/out")
  printf '%-45s %8.1f\n' "$name" "$(echo "$ir / $events" | bc -l)"
done
