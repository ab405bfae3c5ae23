#!/usr/bin/env bash
# `meshtwin trace` and `--lang zh-CN` (issue 16 §3): golden outputs of trace on a retried,
# timed-out request (per-try timeouts, the backoff between attempts, the route timeout) in both
# languages and of explain in Chinese; the refusal when a stored row was tampered with; a run
# with --set overrides traced from what the file stores. The goldens are in tests/data/trace/
# (rewrite them with --update after a deliberate change, and read the diff).
# Usage: trace_test.sh MESHTWIN SOURCE_DIR [--update]
set -u
M=$1; SRC=$2; UPDATE=${3:-}
G=$SRC/tests/data/trace
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cd "$SRC" || exit 2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# golden NAME FILE: FILE's text must equal tests/data/trace/NAME
golden() {
  if [ "$UPDATE" = "--update" ]; then cp "$2" "$G/$1"; echo "wrote $G/$1"; return; fi
  diff -u "$G/$1" "$2" > "$TMP/diff" || { fail "$1 differs from the golden output:"; cat "$TMP/diff"; }
}

scenario=scenarios/tutorial/06-timeouts/retries-and-timeout.yaml
"$M" run "$scenario" -o "$TMP/r.db" -q > /dev/null 2>&1 || { echo "FAIL: run $scenario"; exit 1; }
# The first request whose three tries all hung: two per-try timeouts, then the route timeout.
id=$(sqlite3 "$TMP/r.db" "SELECT min(request_id) FROM requests WHERE response_code = 504 AND attempts = 3")
[ -n "$id" ] || { echo "FAIL: no 504 request with 3 attempts in $scenario"; exit 1; }
for lang in en zh-CN; do
  if "$M" trace "$TMP/r.db" "$id" --lang "$lang" > "$TMP/out" 2> "$TMP/err"; then
    sed "s|$TMP/r.db|RESULTS.db|" "$TMP/out" > "$TMP/trace.$lang.txt"
    golden "retries-and-timeout.$lang.txt" "$TMP/trace.$lang.txt"
  else
    fail "trace --lang $lang exited $?: $(cat "$TMP/err")"
  fi
done
# The tutorial's trace blocks (chapter 6, both languages) are this output, for this request.
for lang in en zh-CN; do
  doc=docs/tutorial/$lang/06-timeouts.md
  awk '/^\$ meshtwin trace trace.db /{inb=1; next} inb && /^```/{exit} inb' "$doc" | sed 's|trace.db|RESULTS.db|' \
    > "$TMP/doc.$lang.txt"
  grep -q "^\$ meshtwin trace trace.db $id\b" "$doc" || fail "$doc does not trace request $id"
  [ "$UPDATE" = "--update" ] || diff -u "$TMP/doc.$lang.txt" "$TMP/trace.$lang.txt" > "$TMP/diff" ||
    { fail "$doc: its trace block is not what trace prints:"; cat "$TMP/diff"; }
done
grep -q "per-try timeout 400ms of attempt 2 fires" "$TMP/trace.en.txt" || fail "no second per-try timeout"
grep -qE "retry: a per-try timeout is retriable; backoff [0-9.]+[mµ]?s before attempt 3" "$TMP/trace.en.txt" ||
  fail "no backoff before attempt 3"
grep -q "route timeout 1s fires: 504 UT" "$TMP/trace.en.txt" || fail "no route timeout"

# explain --lang zh-CN; English stays the default.
B=third_party/istio-samples/bookinfo
explain=(explain -f $B/platform/kube/bookinfo.yaml -f $B/networking/destination-rule-all.yaml
         -f $B/networking/virtual-service-reviews-test-v2.yaml --from productpage-v1 http://reviews:9080/reviews/0)
"$M" "${explain[@]}" --lang zh-CN > "$TMP/explain.zh-CN.txt" 2>&1 || fail "explain --lang zh-CN"
golden explain-reviews-test-v2.zh-CN.txt "$TMP/explain.zh-CN.txt"
"$M" "${explain[@]}" > "$TMP/explain.en.txt" 2>&1
grep -q "^Outcome: forwarded to outbound|9080|v1|reviews" "$TMP/explain.en.txt" || fail "explain without --lang is not English"
"$M" "${explain[@]}" --lang fr > /dev/null 2>&1 && fail "--lang fr accepted"

# A stored row changed after the run: trace refuses, naming the row and the column.
cp "$TMP/r.db" "$TMP/span.db"
sqlite3 "$TMP/span.db" "UPDATE span_rows SET duration_ns = duration_ns + 1 WHERE request_id = $id AND attempt = 2"
span=$(sqlite3 "$TMP/span.db" "SELECT span_id FROM span_rows WHERE request_id = $id AND attempt = 2")
"$M" trace "$TMP/span.db" "$id" > "$TMP/out" 2> "$TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "tampered span: exit $rc, not 2"
grep -q "differs from the stored rows at the spans row of span_id $span, duration_ns: stored" "$TMP/err" ||
  fail "tampered span not named: $(cat "$TMP/err")"
[ -s "$TMP/out" ] && fail "tampered span: a trace was printed"
cp "$TMP/r.db" "$TMP/request.db"
sqlite3 "$TMP/request.db" "UPDATE request_rows SET response_code = 200 WHERE request_id = $id"
"$M" trace "$TMP/request.db" "$id" > /dev/null 2> "$TMP/err"; rc=$?
[ $rc -eq 2 ] || fail "tampered request: exit $rc, not 2"
grep -q "at the requests row, response_code: stored 200, re-simulated 504" "$TMP/err" ||
  fail "tampered request not named: $(cat "$TMP/err")"

# A request the file does not hold.
"$M" trace "$TMP/r.db" 999999 > /dev/null 2> "$TMP/err" && fail "an unknown request id was traced"
grep -q "has no requests row for request 999999" "$TMP/err" || fail "unknown request: $(cat "$TMP/err")"

# --set overrides are stored with the run (inputs path `--set`) and re-applied by trace.
"$M" run "$scenario" -o "$TMP/set.db" -q --set spec.clients[0].rate.poisson=25 --duration 5s > /dev/null 2>&1 ||
  fail "run with --set"
[ "$(sqlite3 "$TMP/set.db" "SELECT content FROM inputs WHERE path = '--set'")" = "spec.clients[0].rate.poisson=25" ] ||
  fail "the --set overrides are not stored"
last=$(sqlite3 "$TMP/set.db" "SELECT max(request_id) FROM requests")
"$M" trace "$TMP/set.db" "$last" > /dev/null 2> "$TMP/err" || fail "trace of a run with --set: $(cat "$TMP/err")"

# run --log: one line per decision of the components asked for, none of the others.
"$M" run "$scenario" -o "$TMP/log.db" -q --duration 1s --log retry=debug,router=info > /dev/null 2> "$TMP/log" ||
  fail "run --log"
grep -qE '^\[ +[0-9]+\.[0-9]{6}s\] router info request [0-9]+ depth 0: ' "$TMP/log" || fail "run --log: no router line"
grep -q '\] pool ' "$TMP/log" && fail "run --log: pool lines although pool is off"
"$M" run "$scenario" -o "$TMP/log.db" -q --log routr=debug > /dev/null 2> "$TMP/err" && fail "--log routr accepted"
grep -q 'unknown component "routr"' "$TMP/err" || fail "--log routr: $(cat "$TMP/err")"

[ $fails -eq 0 ] && echo "trace: all checks passed"
exit $((fails > 0))
