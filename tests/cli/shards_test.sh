#!/usr/bin/env bash
# Shards and merge (issue 12 §4, docs/scale-out.md) through the binary: `--shard K/N` on run
# --replications and sweep, and `meshtwin merge` of the shards' files, which must equal the
# unsharded run's or sweep's file table by table, row for row (wall-clock columns aside); that
# the comparison can fail; merge's refusals (exit 2, one line) and that it never writes its inputs.
# Usage: shards_test.sh MESHTWIN_BINARY SOURCE_DIR PYTHON3
set -u
BIN=$1; SRC=$2; PY=$3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
S=$SRC/scenarios/bookinfo/reviews-80-20.yaml
CMP=$SRC/tests/cli/compare_results.py
# shellcheck source=check_lib.sh
source "$SRC/tests/cli/check_lib.sh"
one_line() {  # name, command...: exit 2 with exactly one line on stderr and nothing on stdout
  local name=$1; shift
  local err rc
  err=$("$@" 2>&1 >"$TMP/stdout"); rc=$?
  if [ "$rc" -ne 2 ] || [ "$(wc -l <<<"$err")" -ne 1 ] || [ -s "$TMP/stdout" ]; then
    echo "FAIL $name: exit $rc, want 2 with one line: $err"; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}

# run --replications 7 as one batch, and as 3 shards (7 is not a multiple of 3: uneven shards).
R=(run "$S" --duration 3s --replications 7 --jobs 2 -q --set spec.record.spans=all)
check run-unsharded 0 'batch b1 .* 7 replications' "$BIN" "${R[@]}" -o "$TMP/all.db"
check run-shard-0 0 '3 replications .*\[shard 0/3: replications 0, 3, 6 of 7\]' "$BIN" "${R[@]}" --shard 0/3 -o "$TMP/r0.db"
check run-shard-1 0 '\[shard 1/3: replications 1, 4 of 7\]' "$BIN" "${R[@]}" --shard 1/3 -o "$TMP/r1.db"
check run-shard-2 0 '\[shard 2/3: replications 2, 5 of 7\]' "$BIN" "${R[@]}" --shard 2/3 -o "$TMP/r2.db"
# The shards keep the unsharded replication numbers and seeds.
check shard-seeds 0 '^same$' "$PY" - "$TMP/all.db" "$TMP/r1.db" <<'PY'
import sqlite3, sys
a = sqlite3.connect(sys.argv[1]).execute("SELECT replication, seed FROM runs WHERE replication IN (1, 4) ORDER BY 1").fetchall()
b = sqlite3.connect(sys.argv[2]).execute("SELECT replication, seed FROM runs ORDER BY 1").fetchall()
print("same" if a == b and len(a) == 2 else f"{a} vs {b}")
PY
sha_before=$(cat "$TMP"/r?.db | sha256sum)
# Merged in any order of the files, the shards equal the unsharded batch.
check run-merge 0 'merged 3 files into .*: 7 runs in 1 batches' "$BIN" merge "$TMP/r2.db" "$TMP/r0.db" "$TMP/r1.db" -o "$TMP/m.db"
check run-merge-equal 0 '^equal: ' "$PY" "$CMP" "$TMP/all.db" "$TMP/m.db"
check merge-reads-only 0 '' test "$(cat "$TMP"/r?.db | sha256sum)" = "$sha_before"
check merged-report 0 '7 replications \(runs 1-7\)' "$BIN" report "$TMP/m.db:b1"
# The comparison can fail: without shard 1 the merged batch lacks replications 1 and 4 (merge warns).
check merge-missing-shard 0 'warning: batch 1 has no replication 1' "$BIN" merge "$TMP/r0.db" "$TMP/r2.db" -o "$TMP/m2.db"
check merge-missing-compare-fails 1 'differ' "$PY" "$CMP" "$TMP/all.db" "$TMP/m2.db"

# Sweep: 2 x 2 points of 3 replications = 12 units over 5 shards (some shards hold no replication
# of a point, and shard files still hold every point's batch).
G=(--grid 'spec.clients[0].rate.poisson=50,100' --grid 'spec.apps.ratings-v1.failures=[],[{rate: 0.5}]')
W=(sweep "$S" --duration 2s --replications 3 --jobs 2 -q "${G[@]}")
check sweep-unsharded 0 'sweep s1 written .*: 4 points' "$BIN" "${W[@]}" -o "$TMP/sweep.db"
for k in 0 1 2 3 4; do
  check "sweep-shard-$k" 0 "sweep s1 shard $k/5 written" "$BIN" "${W[@]}" --shard "$k/5" -o "$TMP/w$k.db"
done
check sweep-shard-empty-point 0 'batch b1 \(0 replications' "$BIN" "${W[@]}" --shard 4/5 -o "$TMP/w4b.db"
check sweep-merge 0 'merged 5 files .*: 12 runs in 4 batches, 1 sweeps' \
  "$BIN" merge "$TMP/w3.db" "$TMP/w0.db" "$TMP/w4.db" "$TMP/w2.db" "$TMP/w1.db" -o "$TMP/wm.db"
check sweep-merge-equal 0 '^equal: ' "$PY" "$CMP" "$TMP/sweep.db" "$TMP/wm.db"
check sweep-merged-report 0 '=== point 3: .* \(batch b4\)' "$BIN" report "$TMP/wm.db:s1"

# export FILE.db:bN: each replication's series carry replication="R"; replication 0's are exactly
# the series of its run exported alone; OpenMetrics and the text format pass promtool; traces
# are refused (trace ids are request ids, which every replication reuses).
check export-batch 0 '' "$BIN" export "$TMP/m.db:b1" --openmetrics "$TMP/b.om" --prometheus-text "$TMP/b.prom" \
  --prometheus-json "$TMP/b.json" --epoch 1700000000
check export-run 0 '' "$BIN" export "$TMP/m.db:1" --openmetrics "$TMP/r.om" --prometheus-json "$TMP/r.json" --epoch 1700000000
check export-batch-series 0 '^ok$' "$PY" - "$TMP" <<'PY'
import json, re, sys
d = sys.argv[1]
om = open(f"{d}/b.om").read().splitlines()
reps = {m.group(1) for l in om for m in [re.search(r'replication="(\d+)"', l)] if m}
rep0 = [l.replace(',replication="0"', '') for l in om if 'replication="0"' in l]
alone = [l for l in open(f"{d}/r.om").read().splitlines() if not l.startswith("#")]
every = all('replication="' in l for l in om if not l.startswith("#"))
j = json.load(open(f"{d}/b.json"))["data"]["result"]
jr = {s["metric"].get("replication") for s in j}
j0 = [s for s in j if s["metric"]["replication"] == "0"]
for s in j0: del s["metric"]["replication"]
ja = json.load(open(f"{d}/r.json"))["data"]["result"]
ok = reps == {str(r) for r in range(7)} and rep0 == alone and every and jr == reps and j0 == ja
print("ok" if ok else f"{sorted(reps)} {rep0 == alone} {every} {sorted(jr, key=str)} {j0 == ja}")
PY
if command -v promtool > /dev/null; then
  check export-batch-promtool 0 '' bash -c "promtool check metrics < '$TMP/b.prom' 2>&1 | grep -v 'base unit' | (! grep .)"
  check export-batch-backfill 0 '' promtool tsdb create-blocks-from openmetrics "$TMP/b.om" "$TMP/blocks"
fi
check export-batch-traces 2 'trace ids would collide' "$BIN" export "$TMP/m.db:b1" --traces "$TMP/t.json"

# Refusals: exit 2, one line, no output file.
one_line merge-exists "$BIN" merge "$TMP/r0.db" -o "$TMP/m.db"
one_line merge-twice "$BIN" merge "$TMP/r0.db" "$TMP/r0.db" -o "$TMP/x.db"
one_line merge-overlap "$BIN" merge "$TMP/r0.db" "$TMP/all.db" -o "$TMP/x.db"
one_line merge-run-and-sweep "$BIN" merge "$TMP/r0.db" "$TMP/w0.db" -o "$TMP/x.db"
"$BIN" "${R[@]}" --shard 1/3 --duration 2s -o "$TMP/d1.db" > /dev/null 2>&1
one_line merge-other-duration "$BIN" merge "$TMP/r0.db" "$TMP/d1.db" -o "$TMP/x.db"
"$BIN" "${R[@]}" --shard 1/3 --set 'spec.clients[0].rate.poisson=20' -o "$TMP/o1.db" > /dev/null 2>&1
check merge-other-inputs 2 'other inputs \(--set differs\)' "$BIN" merge "$TMP/r0.db" "$TMP/o1.db" -o "$TMP/x.db"
"$BIN" run "$SRC/scenarios/bookinfo/reviews-50-v3.yaml" --duration 3s --replications 7 -q --shard 1/3 -o "$TMP/v1.db" > /dev/null 2>&1
check merge-other-scenario 2 'its batch 1 is scenario bookinfo-reviews-50-v3' "$BIN" merge "$TMP/r0.db" "$TMP/v1.db" -o "$TMP/x.db"
cp "$TMP/r1.db" "$TMP/old.db" && sqlite3 "$TMP/old.db" "PRAGMA user_version = 4"
check merge-schema-version 2 'old.db: schema version 4, this meshtwin writes version' "$BIN" merge "$TMP/r0.db" "$TMP/old.db" -o "$TMP/x.db"
check merge-missing-file 2 'does not exist' "$BIN" merge "$TMP/r0.db" "$TMP/nope.db" -o "$TMP/x.db"
if ls "$TMP" | grep -q '^x\.db'; then echo "FAIL a refused merge left x.db"; fail=$((fail+1)); else pass=$((pass+1)); fi
one_line shard-bad "$BIN" "${R[@]}" --shard 3/3 -o "$TMP/x.db"
one_line shard-bad-text "$BIN" "${R[@]}" --shard 1of3 -o "$TMP/x.db"
one_line shard-single-run "$BIN" run "$S" --shard 0/2 -o "$TMP/x.db"

echo "shards: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
