#!/usr/bin/env bash
# `meshtwin calibrate` and `meshtwin import` through the binary (docs/calibrate.md): every
# malformed input is exit 2 and exactly one line `file:line:col: error: path: message`; a kubectl
# dump becomes manifests and a skeleton that loads as the base of a calibration.
# Usage: calibrate_cli_test.sh MESHTWIN_BINARY SOURCE_DIR
set -u
BIN=$1; SRC=$2
D=$SRC/tests/data/calibrate
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
pass=0; fail=0
one_line() {  # name, option, file, expected message regex (after "file:line:col: error: ")
  local name=$1 opt=$2 file=$3 pattern=$4 err rc
  err=$("$BIN" calibrate "$opt" "$D/$file" -o "$TMP/out.yaml" 2>&1 >/dev/null); rc=$?
  if [ "$rc" -ne 2 ]; then echo "FAIL $name: exit $rc, want 2"; echo "$err"; fail=$((fail+1)); return; fi
  if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then echo "FAIL $name: not one line:"; echo "$err"; fail=$((fail+1)); return; fi
  if ! grep -Eq -- "^$D/$file:[0-9]+:[0-9]+: error: $pattern" <<<"$err"; then
    echo "FAIL $name: /$pattern/ not in: $err"; fail=$((fail+1)); return
  fi
  if [ -e "$TMP/out.yaml" ]; then echo "FAIL $name: wrote a scenario from bad input"; fail=$((fail+1)); return; fi
  pass=$((pass+1))
}
one_line prom-truncated --prometheus prom-truncated.json 'data\.result\[0\]\.values\[1\]: truncated JSON'
one_line prom-missing-label --prometheus prom-missing-label.json 'data\.result\[0\]\.metric: istio_requests_total without label "destination_workload"'
one_line prom-decreasing-buckets --prometheus prom-decreasing-buckets.json 'data\.result\[1\]\.values: cumulative buckets decrease: le="10" holds 90 requests, fewer than le="5" \(120\)'
one_line prom-instant-vector --prometheus prom-instant-vector.json "data\.result\[0\]\.value: an instant query's result"
one_line prom-bad-value --prometheus prom-bad-value.json 'data\.result\[0\]\.values\[1\]\[1\]: "NaN" is not a counter value'
one_line zipkin-truncated --traces zipkin-truncated.json '\[1\]: truncated JSON'
one_line zipkin-missing-trace-id --traces zipkin-missing-trace-id.json '\[1\]: span without traceId'
one_line zipkin-missing-status --traces zipkin-missing-status.json '\[0\]: span without the tag http.status_code'
one_line otlp-missing-end --traces otlp-missing-end.json 'resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: span without endTimeUnixNano'
one_line jaeger-json --traces otlp-not-traces.json "data: this looks like Jaeger's own JSON"

usage() {  # name, expected exit, regex, args...
  local name=$1 want=$2 pattern=$3 out rc; shift 3
  out=$("$BIN" "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: exit $rc (want $want), output: $out" | head -5; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}
usage no-input 2 'give --prometheus FILE or --traces FILE' calibrate -o "$TMP/o.yaml"
usage both-inputs 2 'one kind of input' calibrate --prometheus "$D/prom-bad-value.json" --traces "$D/zipkin-missing-status.json" -o "$TMP/o.yaml"
usage missing-file 2 "nope.json.*No such file or directory" calibrate --prometheus "$TMP/nope.json" -o "$TMP/o.yaml"
usage bad-sample 2 'trace-sample must be in \(0, 1\]' calibrate --traces "$D/zipkin-missing-status.json" --trace-sample 0 -o "$TMP/o.yaml"

# import: the dump's modelled objects and a skeleton; what is not modelled counted.
usage import 0 '3 workloads \(2 with a sidecar\), 1 gateway\(s\); 10 of 14 objects kept, 2 owned by a controller in the dump, 2 not modelled \(1 ConfigMap, 1 Secret\)' \
  import --kubectl-dump "$D/kubectl-dump.yaml" -o "$TMP/imported"
has() {  # name, regex, file
  if grep -Eq -- "$2" "$3"; then pass=$((pass+1)); else echo "FAIL $1: /$2/ not in $3"; fail=$((fail+1)); fi
}
has import-skeleton-lists-workloads 'shop/batch: \{\}  # Deployment, 1 pod\(s\), no sidecar' "$TMP/imported/scenario.yaml"
has import-keeps-quoted-strings 'sidecar.istio.io/inject: "false"' "$TMP/imported/manifests.yaml"
usage import-skeleton-runs 0 'run 1 of kubectl-dump' run "$TMP/imported/scenario.yaml" -o "$TMP/imported.db" --duration 1s -q
usage import-nothing-modelled 2 'prom-bad-value.json:1:1: error: none of its 1 objects is one meshtwin models' import --kubectl-dump "$D/prom-bad-value.json" -o "$TMP/bad"

echo "calibrate cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
