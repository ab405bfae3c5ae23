#!/usr/bin/env bash
# Replications and batches (issue 12 §1-§2) through the binary: the same rows whatever --jobs is,
# batch addressing in report and diff, and check's pass / fail / inconclusive over a batch.
# Usage: replications_test.sh MESHTWIN_BINARY SOURCE_DIR PYTHON3
set -u
BIN=$1; SRC=$2; PY=$3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
S=$SRC/scenarios/bookinfo/reviews-80-20.yaml
# shellcheck source=check_lib.sh
source "$SRC/tests/cli/check_lib.sh"

# J-independence: 6 replications on 1 thread and on 4 threads give the same file, table by table
# and row by row (wall-clock columns aside), with full recording (requests, spans, metrics).
check jobs-1 0 'batch b1 .* 6 replications \(runs 1-6\)' "$BIN" run "$S" --duration 5s --replications 6 --jobs 1 -q -o "$TMP/j1.db"
check jobs-4 0 'batch b1 .* 6 replications \(runs 1-6\)' "$BIN" run "$S" --duration 5s --replications 6 --jobs 4 -q -o "$TMP/j4.db"
check jobs-equal 0 '^equal: ' "$PY" "$SRC/tests/cli/compare_results.py" "$TMP/j1.db" "$TMP/j4.db"
# The comparison can fail: a single run appended to one file makes them differ.
"$BIN" run "$S" --duration 1s -q -o "$TMP/j4.db" > /dev/null 2>&1
check jobs-compare-can-fail 1 'rows' "$PY" "$SRC/tests/cli/compare_results.py" "$TMP/j1.db" "$TMP/j4.db"
# No part files are left beside the output.
if ls -a "$TMP" | grep -q 'meshtwin-parts'; then echo "FAIL part files left"; fail=$((fail+1)); else pass=$((pass+1)); fi

# Replication 0 runs the scenario seed itself: its requests equal a plain run's.
"$BIN" run "$S" --duration 5s -q -o "$TMP/single.db" > /dev/null 2>&1
check replication-0-is-the-seed 0 '^same$' "$PY" - "$TMP/j1.db" "$TMP/single.db" <<'PY'
import sqlite3, sys
a = sqlite3.connect(sys.argv[1]).execute("SELECT request_id, start_ns, duration_ns, response_code, destination_version FROM requests WHERE run_id = 1 ORDER BY request_id").fetchall()
b = sqlite3.connect(sys.argv[2]).execute("SELECT request_id, start_ns, duration_ns, response_code, destination_version FROM requests WHERE run_id = 1 ORDER BY request_id").fetchall()
print("same" if a == b and a else f"differ: {len(a)} vs {len(b)}")
PY

# Addressing: FILE.db:bN in report (text, json) and diff; errors name what the file holds.
check report-batch 0 'batch b1' "$BIN" report "$TMP/j1.db:b1"
check report-batch-ci 0 'client requests +p99 +[0-9.]+m?s ± ' "$BIN" report "$TMP/j1.db:b1"
check report-no-batch 2 'has no batch b9; its batches are b1' "$BIN" report "$TMP/j1.db:b9"
check report-batch-fortio 2 'describes one run' "$BIN" report "$TMP/j1.db:b1" --format fortio-json
check report-run-of-batch 0 'run 3' "$BIN" report "$TMP/j1.db:3"
# export of a batch: every replication's series, labelled replication="R" (tests/cli/shards_test.sh
# checks the formats); traces take one run.
check export-batch 0 '' "$BIN" export "$TMP/j1.db:b1" --prometheus-text "$TMP/x.prom"
check export-batch-labels 0 'replication="5"' cat "$TMP/x.prom"
check export-batch-traces 2 'takes one run' "$BIN" export "$TMP/j1.db:b1" --traces "$TMP/x.json"
check export-run-of-batch 0 '' "$BIN" export "$TMP/j1.db:2" --prometheus-text "$TMP/x.prom"
"$BIN" run "$SRC/scenarios/bookinfo/reviews-50-v3.yaml" --duration 5s --replications 6 -q -o "$TMP/j1.db" > /dev/null 2>&1
check diff-batches 0 'Student t over 6 replication pairs' "$BIN" diff "$TMP/j1.db:b1" "$TMP/j1.db:b2"
check diff-batches-gate 1 'TRIPPED' "$BIN" diff "$TMP/j1.db:b1" "$TMP/j1.db:b2" --fail-if 'reviews:v3 count > +10'
check diff-run-vs-batch 2 'not a run with a batch' "$BIN" diff "$TMP/j1.db:b1" "$TMP/j1.db:2"
check diff-runs-caveat 0 'autocorrelated' "$BIN" diff "$TMP/j1.db:1" "$TMP/j1.db:7"

# check over a batch: the share of reviews v2 is about 0.19 (80/20), so ">= 0.19" cannot be
# decided from 4 replications, ">= 0.5" fails for sure and ">= 0.1" passes.
A='spec.assertions=[{name: v2 share, where: {source: productpage-v1, destination: reviews, version: v2}, expect: {share: ">= 0.19"}}]'
check check-inconclusive 1 'v2 share .*INCONCLUSIVE' "$BIN" check "$S" --duration 10s --replications 4 -q --set "$A" --junit "$TMP/inc.xml"
check check-inconclusive-junit 0 'failure message=.*inconclusive.*type="AssertionInconclusive"' cat "$TMP/inc.xml"
check check-junit-interval 0 '<system-out>inconclusive: observed 0\.[0-9]+ \[0\.[0-9]+ \.\. 0\.[0-9]+\] n=4' cat "$TMP/inc.xml"
check check-inconclusive-pass 0 'INCONCLUSIVE' "$BIN" check "$S" --duration 10s --replications 4 -q --set "$A" --inconclusive=pass
check check-inconclusive-bad 2 '' "$BIN" check "$S" --replications 4 --inconclusive=maybe
check check-batch-fail 1 'v2 share .*FAIL' "$BIN" check "$S" --duration 10s --replications 4 -q \
  --set 'spec.assertions=[{name: v2 share, where: {source: productpage-v1, destination: reviews, version: v2}, expect: {share: ">= 0.5"}}]'
check check-batch-pass 0 '1 passed, 0 failed, 0 inconclusive' "$BIN" check "$S" --duration 10s --replications 4 -q \
  --set 'spec.assertions=[{name: v2 share, where: {source: productpage-v1, destination: reviews, version: v2}, expect: {share: ">= 0.1"}}]'
check check-until-conclusive 1 'sequential: up to 3 looks of 2 replications' "$BIN" check "$S" --duration 5s \
  --replications 2 --until-conclusive 6 -q --set "$A" -o "$TMP/uc.db"
check check-until-conclusive-kept 0 'batch b1' "$BIN" report "$TMP/uc.db:b1"
check check-until-conclusive-too-small 2 'must be at least --replications' "$BIN" check "$S" --replications 4 --until-conclusive 3

# spec.warmup: shorter than the duration, and reported.
check warmup-too-long 2 'warmup must be shorter than duration' "$BIN" run "$S" --set spec.warmup=2m -o "$TMP/w.db"
check warmup-reported 0 'Warm-up 2s left out' bash -c "'$BIN' run '$S' --duration 5s --set spec.warmup=2s -q -o '$TMP/w.db' >/dev/null 2>&1 && '$BIN' report '$TMP/w.db'"
check bad-replications 2 '' "$BIN" run "$S" --replications 0

# Sweep (issue 12 §3): the cross product, a batch per point, tagged in sweep_points; report per point.
check sweep 0 'sweep s1 written .*: 4 points' "$BIN" sweep "$S" --duration 3s --replications 2 -q -o "$TMP/sweep.db" \
  --grid 'spec.clients[0].rate.poisson=50,100' --grid 'spec.apps.ratings-v1.failures=[],[{rate: 0.5}]'
check sweep-points 0 '^ok$' "$PY" - "$TMP/sweep.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT point, batch_id, parameter, value FROM sweep_points WHERE sweep_id = 1 ORDER BY point, rowid").fetchall()
want = [(0, 1, "spec.clients[0].rate.poisson", "50"), (0, 1, "spec.apps.ratings-v1.failures", "[]"),
        (1, 2, "spec.clients[0].rate.poisson", "50"), (1, 2, "spec.apps.ratings-v1.failures", "[{rate: 0.5}]"),
        (2, 3, "spec.clients[0].rate.poisson", "100"), (2, 3, "spec.apps.ratings-v1.failures", "[]"),
        (3, 4, "spec.clients[0].rate.poisson", "100"), (3, 4, "spec.apps.ratings-v1.failures", "[{rate: 0.5}]")]
n = [db.execute("SELECT count(*) FROM runs WHERE batch_id = ?", (b,)).fetchone()[0] for b in range(1, 5)]
# Twice the rate: about twice the requests; ratings failing half the time lowers productpage's success.
req = [db.execute("SELECT count(*) FROM requests r JOIN runs u USING (run_id) WHERE u.batch_id = ?", (b,)).fetchone()[0] for b in range(1, 5)]
print("ok" if rows == want and n == [2] * 4 and req[2] > 1.5 * req[0] else f"{rows} {n} {req}")
PY
check sweep-report 0 '=== point 3: spec.clients\[0\].rate.poisson=100, spec.apps.ratings-v1.failures=\[\{rate: 0.5\}\] \(batch b4\)' \
  "$BIN" report "$TMP/sweep.db:s1"
check sweep-report-missing 2 'has no sweep s2; its sweeps are s1' "$BIN" report "$TMP/sweep.db:s2"
check sweep-bad-grid 2 'expected PATH=V1,V2' "$BIN" sweep "$S" --grid 'spec.seed' -o "$TMP/sweep.db"
check sweep-bad-value 2 'rate' "$BIN" sweep "$S" --grid 'spec.clients[0].rate.poisson=10,abc' -q -o "$TMP/sweep2.db" --duration 1s
check sweep-one-replication 2 '' "$BIN" sweep "$S" --grid 'spec.seed=1,2' --replications 1 -o "$TMP/sweep.db"

# Sweep JSON: the same points as the text report, per point its parameters and batch figures.
check sweep-json 0 '^ok$' bash -c "'$BIN' report '$TMP/sweep.db:s1' --format json | '$PY' -c '
import json, sys
d = json.load(sys.stdin)
p = d[\"points\"]
ok = d[\"kind\"] == \"report-sweep\" and [x[\"batchId\"] for x in p] == [1, 2, 3, 4] and \\
    p[3][\"parameters\"] == [{\"path\": \"spec.clients[0].rate.poisson\", \"value\": \"100\"},
                            {\"path\": \"spec.apps.ratings-v1.failures\", \"value\": \"[{rate: 0.5}]\"}] and \\
    all(x[\"batch\"][\"replications\"] == 2 and x[\"clients\"] for x in p)
print(\"ok\" if ok else d)'"
check sweep-fortio-json 2 'fortio-json describes one run' "$BIN" report "$TMP/sweep.db:s1" --format fortio-json

# Capacity (issue 12 §3): bisection between --from and --to on batches; exit 0 found, 1 none of the
# range meets the conditions, 2 bad input. An M/M/4 pod (tests/capacity/mmc.yaml): p99 < 100ms
# holds up to about 350/s (tests/capacity/erlang_c_test.cc checks the value against Erlang C).
M=$SRC/tests/capacity/mmc.yaml
CAP=(capacity "$M" --vary 'spec.clients[0].rate.poisson' --duration 10s --replications 2 --max-replications 4 -q)
check capacity-found 0 'capacity mmc: spec.clients\[0\].rate.poisson=[0-9]+, in \[[0-9]+, [0-9]+\] .* probes' \
  "$BIN" "${CAP[@]}" --from 100 --to 400 --tolerance 40 --while 'p99 < 100ms' --while 'successRate >= 99%' -o "$TMP/cap.db"
check capacity-probes-stored 0 'Grid: capacity spec.clients\[0\].rate.poisson from 100 to 400 while p99 < 100ms; successRate >= 99%' \
  "$BIN" report "$TMP/cap.db:s1"
check capacity-none 1 'none: spec.clients\[0\].rate.poisson=395 already fails' \
  "$BIN" "${CAP[@]}" --from 395 --to 399 --while 'p99 < 50ms'
check capacity-whole-range 0 'the whole range meets the conditions' \
  "$BIN" "${CAP[@]}" --from 10 --to 20 --while 'p99 < 1s'
check capacity-bad-while 2 "expected METRIC OP VALUE" "$BIN" "${CAP[@]}" --from 1 --to 2 --while 'p99 300ms'
check capacity-bad-metric 2 'unknown metric "p98"' "$BIN" "${CAP[@]}" --from 1 --to 2 --while 'p98 < 300ms'
check capacity-bad-range 2 '--from must be below --to' "$BIN" "${CAP[@]}" --from 5 --to 2 --while 'p99 < 1s'
check capacity-bad-path 2 'nosuchfield' "$BIN" capacity "$M" --vary spec.nosuchfield --from 1 --to 2 --while 'p99 < 1s' -q

echo "replications: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
