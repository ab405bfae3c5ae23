#!/usr/bin/env bash
# Every --format json output validates against its schema under docs/schemas/ (issue 10 part 4):
# real output of each command on bundled scenarios and manifests, checked by Debian's
# python3-jsonschema. Usage: json_outputs_test.sh MESHTWIN_BINARY SOURCE_DIR PYTHON3
set -u
BIN=$1; SRC=$2; PY=$3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
SCHEMAS=$SRC/docs/schemas
BI=$SRC/scenarios/bookinfo/manifests
pass=0; fail=0
validate() {  # name, schema, expected exit code, [--yaml], command... (stdout is the document)
  local name=$1 schema=$2 want=$3; shift 3
  local yaml=""
  if [ "$1" = "--yaml" ]; then yaml=--yaml; shift; fi
  local rc
  "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"; rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; head -5 "$TMP/$name.err"; fail=$((fail+1)); return
  fi
  if ! "$PY" "$SRC/tests/cli/validate_json.py" "$SCHEMAS/$schema.v1.schema.json" "$TMP/$name.out" $yaml; then
    echo "FAIL $name: does not validate against $schema.v1.schema.json"; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}

"$BIN" run "$SRC/scenarios/bookinfo/reviews-80-20.yaml" -o "$TMP/base.db" -q --duration 20s > /dev/null || exit 1
"$BIN" run "$SRC/scenarios/bookinfo/reviews-50-v3.yaml" -o "$TMP/v3.db" -q --duration 20s > /dev/null || exit 1
"$BIN" run "$SRC/scenarios/bookinfo/kill-ratings.yaml" -o "$TMP/kill.db" -q > /dev/null || exit 1

validate report report 0 "$BIN" report "$TMP/base.db" --format json
validate report-with-failures report 0 "$BIN" report "$TMP/kill.db" --format json
validate lint-clean lint 0 "$BIN" lint -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" --format json
cat > "$TMP/lint-bad.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v9}
YAML
validate lint-errors lint 1 "$BIN" lint -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" -f "$TMP/lint-bad.yaml" --format json
validate lint-yaml lint 1 --yaml "$BIN" lint -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" -f "$TMP/lint-bad.yaml" --format yaml
validate check-pass check 0 "$BIN" check "$SRC/scenarios/bookinfo/canary-v3-degrades.yaml" -q --format json -o "$TMP/check.db"
validate check-fail check 1 "$BIN" check "$SRC/scenarios/bookinfo/kill-ratings.yaml" -q --format json \
  --set 'spec.assertions[0].expect.successRate="< 0.5"'
validate diff diff 0 "$BIN" diff "$TMP/base.db" "$TMP/v3.db" --format json
validate diff-tripped diff 1 "$BIN" diff "$TMP/base.db" "$TMP/v3.db" --format json --fail-if 'p50 > -100%'
# Batches (issue 12): report FILE.db:bN, check --replications, diff between batches.
"$BIN" run "$SRC/scenarios/bookinfo/reviews-80-20.yaml" -o "$TMP/batch.db" -q --duration 5s --replications 3 > /dev/null || exit 1
"$BIN" run "$SRC/scenarios/bookinfo/reviews-50-v3.yaml" -o "$TMP/batch.db" -q --duration 5s --replications 3 > /dev/null || exit 1
validate report-batch report-batch 0 "$BIN" report "$TMP/batch.db:b1" --format json
validate check-batch check-batch 0 "$BIN" check "$SRC/scenarios/bookinfo/reviews-80-20.yaml" -q --format json \
  --replications 2 --duration 5s --set 'spec.assertions=[{name: no v3, where: {source: productpage-v1, destination: reviews, version: v3}, expect: {count: "== 0"}}, {name: p99, expect: {p99: "< 1s"}}]'
validate check-batch-inconclusive check-batch 1 "$BIN" check "$SRC/scenarios/bookinfo/reviews-80-20.yaml" -q --format json \
  --replications 3 --duration 5s -o "$TMP/cb.db" \
  --set 'spec.assertions=[{name: v2, where: {source: productpage-v1, destination: reviews, version: v2}, expect: {share: ">= 0.2"}}]'
validate diff-batches diff 0 "$BIN" diff "$TMP/batch.db:b1" "$TMP/batch.db:b2" --format json
# Sweeps and capacity searches (issue 12 §3): sweep --format json and report FILE.db:sN --format json
# (kind report-sweep), capacity --format json found (exit 0) and none (exit 1).
validate sweep report-sweep 0 "$BIN" sweep "$SRC/scenarios/bookinfo/reviews-80-20.yaml" -q --format json --duration 3s \
  --replications 2 -o "$TMP/sweep.db" --grid 'spec.clients[0].rate.poisson=20,40'
CAP=(capacity "$SRC/tests/capacity/mmc.yaml" --vary 'spec.clients[0].rate.poisson' --duration 10s --replications 2 -q --format json)
validate capacity capacity 0 "$BIN" "${CAP[@]}" --from 100 --to 400 --tolerance 50 --while 'p99 < 100ms' -o "$TMP/cap.db"
validate capacity-none capacity 1 "$BIN" "${CAP[@]}" --from 395 --to 399 --while 'p99 < 50ms' --while 'successRate > 99%'
validate report-sweep-capacity report-sweep 0 "$BIN" report "$TMP/cap.db:s1" --format json
validate conformance conformance 0 "$BIN" conformance "$SRC/tests/data/conformance/cases.yaml" \
  --expected-failures "$SRC/tests/data/conformance/expected-failures.txt" --format json
validate conformance-unlisted conformance 1 "$BIN" conformance "$SRC/tests/data/conformance/cases.yaml" --format json
validate explain explain 0 "$BIN" explain -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" \
  -f "$BI/virtual-service-reviews-test-v2.yaml" --from productpage-v1 http://reviews:9080/reviews/0 -H 'end-user: jason' --format json
validate explain-no-route explain 0 "$BIN" explain -f "$BI/bookinfo.yaml" -f "$BI/sleep.yaml" --from sleep \
  http://httpbin.org/headers --outbound-traffic-policy REGISTRY_ONLY --format json

# The schemas are strict (additionalProperties: false): a document with an unknown key fails,
# so this test can fail.
sed 's/"schemaVersion": 1,/"schemaVersion": 1, "surprise": true,/' "$TMP/report.out" > "$TMP/bad.json"
if "$PY" "$SRC/tests/cli/validate_json.py" "$SCHEMAS/report.v1.schema.json" "$TMP/bad.json" > /dev/null; then
  echo "FAIL strict: an unknown key validated"; fail=$((fail+1))
else
  pass=$((pass+1))
fi
echo "json outputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
