#!/usr/bin/env bash
# Runs the libFuzzer targets of the `fuzz` preset (build/fuzz/fuzz/fuzz_*).
#   fuzz/run.sh MODE [RUNS [TARGET...]]; FUZZ_SECONDS=N also stops each target after N seconds.
#   fuzz/run.sh replay [RUNS]   CI: every checked-in seed, then RUNS mutations per target with a
#                               fixed -seed, so a run is deterministic; fails on any finding.
#   fuzz/run.sh explore [RUNS]  `make fuzz`: RUNS executions per target (default 2,500,000, so
#                               10 M in all) in the throughput build (preset fuzz-explore: -O2,
#                               UBSan, no ASan, about 2x the executions per second); then every
#                               input it kept (build/fuzz/corpus-new/<target>) runs once more
#                               under ASan+UBSan (preset fuzz), so a memory error that does not
#                               crash the fast build is still caught on each input that reached
#                               new code. Crashes go to build/fuzz/artifacts/. Add each finding
#                               to fuzz/corpus/<target> with its fix.
# Prints executions, coverage (cov: edges, ft: features) and corpus size per target.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-replay}
asan_bin=build/fuzz/fuzz
out=build/fuzz
case $mode in
  replay) runs=${2:-2000}; seed=1; bin=$asan_bin ;;
  explore) runs=${2:-2500000}; seed=0; bin=build/fuzz-explore/fuzz ;;  # seed 0: libFuzzer picks one and prints it
  *) echo "usage: $0 replay|explore [RUNS]" >&2; exit 2 ;;
esac
# The loaders must refuse hostile input quickly and within bounded memory: a slow input (5 s)
# or one that allocates more than 1 GB at once is a finding, like a crash.
common=(-seed=$seed -runs="$runs" -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=1024
        -print_final_stats=1 -detect_leaks=1)
[ -n "${FUZZ_SECONDS:-}" ] && common+=(-max_total_time="$FUZZ_SECONDS")
targets=(manifest scenario conformance results)
[ $# -gt 2 ] && targets=("${@:3}")
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=0:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
total=0
for target in "${targets[@]}"; do
  exe=$bin/fuzz_$target
  for need in "$exe" "$asan_bin/fuzz_$target"; do
    [ -x "$need" ] || { echo "missing $need: make fuzz (or fuzz-replay) builds it" >&2; exit 2; }
  done
  max_len=16384; [ $target = results ] && max_len=65536
  new=$out/corpus-new/$target; mkdir -p "$new" "$out/artifacts"
  [ "$mode" = replay ] && { rm -rf "$new"; mkdir -p "$new"; }
  log=$out/fuzz_$target.$mode.log
  start=$(date +%s)
  "$exe" "${common[@]}" -max_len=$max_len -artifact_prefix="$out/artifacts/$target-" \
    "$new" "fuzz/corpus/$target" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
  echo "fuzz_$target: exit $rc, ${execs:-?} executions in ${secs}s, $cov (log: $log)"
  total=$((total + ${execs:-0}))
  if [ $rc -ne 0 ]; then
    status=1
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -8
  fi
  if [ "$mode" = explore ]; then
    # -runs=0 executes each input of the folder once and mutates nothing.
    alog=$out/fuzz_$target.asan-check.log
    kept=$(find "$new" -type f | wc -l)
    "$asan_bin/fuzz_$target" "${common[@]/-runs=*/-runs=0}" -max_len=$max_len \
      -artifact_prefix="$out/artifacts/$target-asan-" "$new" >"$alog" 2>&1
    arc=$?
    echo "fuzz_$target: the $kept inputs it kept, once each under ASan+UBSan: exit $arc (log: $alog)"
    if [ $arc -ne 0 ]; then
      status=1
      grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$alog" | head -8
    fi
  fi
done
echo "fuzz $mode: $total executions in all; $([ $status -eq 0 ] && echo 'no findings' || echo 'FINDINGS (see above)')"
exit $status
