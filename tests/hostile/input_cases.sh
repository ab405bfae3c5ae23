#!/usr/bin/env bash
# Hostile input (issue 17 items 1, 2, 6, 7, 8): each case is a command with its expected exit
# code and a pattern its output must match, run under a wall-clock bound and, in the Release
# run, a memory bound. Nothing may abort (134), be killed (137) or hang (124).
# Usage: input_cases.sh MESHTWIN_BINARY SOURCE_DIR [asan]
#   asan: the binary is built with AddressSanitizer; memory is bounded through ASAN_OPTIONS, not
#   an address-space limit (which would break ASan's shadow memory).
set -u
BIN=$(realpath "$1"); SRC=$(cd "$2" && pwd); MODE=${3:-release}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
BI=$SRC/scenarios/bookinfo/manifests
WALL=${HOSTILE_WALL:-60}        # seconds per case
MEM_KB=2097152 # 2 GiB of address space per case (Release only)
pass=0; fail=0

bounded() {  # command... : runs it with the wall and memory bounds
  if [ "$MODE" = asan ]; then
    ASAN_OPTIONS=allocator_may_return_null=1:max_allocation_size_mb=2048:hard_rss_limit_mb=3072 \
      timeout -k 5 "$WALL" "$@"
  else
    timeout -k 5 "$WALL" prlimit --as=$((MEM_KB * 1024)) -- "$@"
  fi
}
check() {  # name, expected exit code, pattern (extended regex, may be empty), command...
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$(bounded "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; echo "$out" | head -c 600; echo; fail=$((fail+1)); return
  fi
  if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | head -c 600; echo; fail=$((fail+1)); return
  fi
  # Diagnostics stay one short line each, whatever the input.
  local longest
  longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' <<<"$out")
  if [ "$longest" -gt 1000 ]; then
    echo "FAIL $name: an output line is $longest characters long"; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}

# A scenario over bookinfo + sleep. $1: name, $2: YAML lines for spec (indented 2), $3: the
# client's rate, $4: extra manifests (comma-separated, may be empty).
scenario() {
  local extra="" dur="  duration: 1s"
  [ -n "${4:-}" ] && extra=", $4"
  grep -q '^  duration:' <<<"$2" && dur=""
  cat > "$TMP/$1.yaml" <<YAML
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: $1}
spec:
$dur
  manifests: [$BI/bookinfo.yaml, $BI/sleep.yaml$extra]
$2
  clients:
    - name: c
      from: {workload: sleep}
      to: "http://productpage:9080/productpage"
      rate: $3
YAML
  echo "$TMP/$1.yaml"
}
# Each run writes its own results file ($DB), which the checks after it read.
run() { DB="$TMP/$1.db"; check "$1" "$2" "$3" "$BIN" run -q "$4" -o "$DB" "${@:5}"; }

# ------------------------------------------------------------------ 1. bounds instead of aborts
run rate-overflow 2 'rate.poisson: poisson must be a finite number, got 1e400' "$(scenario r1 '' '{poisson: 1e400}')"
run rate-2-31 2 'rate.poisson: rate must be at most 1000000, got 2147483648' "$(scenario r2 '' '{poisson: 2147483648}')"
run rate-constant-1e9 2 ':[0-9]+:[0-9]+: error: spec.clients\[0\].rate.constant: rate must be at most 1000000' \
  "$(scenario r3 '' '{constant: 1e9}')"
run rate-ramp-1e9 2 'rate.ramp.to: to must be a number between 0 and 1000000' \
  "$(scenario r4 '' '{ramp: {from: 1, to: 1e9, over: 1s}}')"
run rate-overflow-set 2 '^--set: error: spec.clients\[0\].rate.poisson: poisson must be a finite number, got 1e400' \
  "$(scenario r1s '' '{poisson: 1}')" --set 'spec.clients[0].rate.poisson=1e400'
printf 'second,rate\n0,10\n100000000,5\n' > "$TMP/far.csv"
run replay-far-second 2 'far.csv:3:1: error: spec.clients\[0\].rate.replay.file: second "100000000" must be a whole number' \
  "$(scenario far '' "{replay: {file: $TMP/far.csv}}")"
run lognormal-mu-inf 2 'serviceTime.lognormal.mu: mu must be a finite number' \
  "$(scenario r5 '  apps: {productpage-v1: {serviceTime: {lognormal: {mu: 1e999, sigma: 1}}}}' '{poisson: 1}')"
run mix-weight-inf 2 'mix\[0\].weight: weight must be a finite number' \
  "$(scenario r6 '' '{poisson: 1}
      mix: [{weight: 1e400}]')"

sed 's/replicas: 1$/replicas: 1000000/' "$BI/bookinfo.yaml" > "$TMP/million.yaml"
printf 'apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: m}\nspec:\n  duration: 1s\n  manifests: [%s, %s]\n  clients:\n    - {name: c, from: {workload: sleep}, to: "http://productpage:9080/", rate: {poisson: 1}}\n' \
  "$TMP/million.yaml" "$BI/sleep.yaml" > "$TMP/million-s.yaml"
run replicas-million 2 'million.yaml:[0-9]+:[0-9]+: error: spec.replicas: replicas must be an integer between 0 and 10000, got 1000000' \
  "$TMP/million-s.yaml"
check replicas-million-lint 1 'Error \[IST0106\] \(.*million.yaml:[0-9]+\) replicas must be an integer between 0 and 10000' "$BIN" lint -f "$TMP/million.yaml"

maglev() {  # table size -> a DestinationRule file
  cat > "$TMP/maglev-$1.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpHeaderName: end-user
        maglev: {tableSize: $1}
YAML
  echo "$TMP/maglev-$1.yaml"
}
run maglev-huge 2 'maglev-4294967311.yaml:10:29: error: spec.trafficPolicy.loadBalancer.consistentHash.maglev.tableSize: tableSize must be an integer between 1 and 5000011' \
  "$(scenario m1 '' '{poisson: 1}' "$(maglev 4294967311)")"
check maglev-huge-lint 1 'Error \[IST0106\] \(.*maglev-4294967311.yaml:10\) tableSize must be' "$BIN" lint -f "$BI/bookinfo.yaml" -f "$(maglev 4294967311)"
check maglev-huge-explain 2 'maglev-4294967311.yaml:10:29: error: .*tableSize' \
  "$BIN" explain -f "$BI/bookinfo.yaml" -f "$(maglev 4294967311)" --from productpage-v1 http://reviews:9080/
run maglev-not-prime 2 'tableSize must be a prime number' "$(scenario m2 '' '{poisson: 1}' "$(maglev 65536)")"
run maglev-prime-ok 0 'client requests' "$(scenario m3 '' '{poisson: 1}' "$(maglev 65537)")"

for dev in /dev/zero /dev/urandom; do
  name=$(basename $dev)
  run "manifest-$name" 2 "^$dev: error: cannot read this file: it is not a regular file" "$(scenario "d-$name" '' '{poisson: 1}' "$dev")"
  run "timeline-apply-$name" 2 "^$dev: error: cannot read this file: it is not a regular file" \
    "$(scenario "t-$name" "  timeline: [{at: 0.5s, apply: [$dev]}]" '{poisson: 1}')"
  check "lint-$name" 2 "^$dev: error: cannot read this file" "$BIN" lint -f "$dev"
  check "scenario-$name" 2 "^$dev: error: cannot read the scenario file: it is not a regular file" "$BIN" run "$dev" -o "$TMP/scenario-dev.db"
done
mkfifo "$TMP/pipe.yaml"
run manifest-fifo 2 "pipe.yaml: error: cannot read this file: it is not a regular file" "$(scenario fifo "" "{poisson: 1}" "$TMP/pipe.yaml")"
truncate -s 65M "$TMP/big-manifest.yaml"  # sparse: no disk used
run manifest-too-large 2 'big-manifest.yaml: error: cannot read this file: it is 68157440 bytes, more than the 64 MiB' \
  "$(scenario huge '' '{poisson: 1}' "$TMP/big-manifest.yaml")"

{ echo "  timeline:"; for i in $(seq 1 10000); do
    if [ $((i % 2)) -eq 1 ]; then r=10000; else r=0; fi
    echo "    - {at: ${i}ms, scale: {deployment: reviews-v1, replicas: $r}}"; done; } > "$TMP/steps.txt"
run timeline-10000-scale-steps 2 'spec.timeline\[[0-9]+\].scale: the run would start more than 100000 pods' \
  "$(scenario steps "$(cat "$TMP/steps.txt")" '{poisson: 1}')"

selfcall='  apps:
    productpage-v1:
      calls:
        - parallel:
          - {to: "http://productpage:9080/productpage"}
          - {to: "http://productpage:9080/productpage"}'
run parallel-self-call 0 'call cycle productpage-v1 -> productpage-v1' "$(scenario par "$selfcall" '{poisson: 5}')"
check parallel-self-call-outcome 0 '^call_limit_exceeded\|500\|[0-9]+$' \
  sqlite3 "$DB" "SELECT sim_outcome, response_code, count(*) FROM requests WHERE run_id = (SELECT max(run_id) FROM runs) GROUP BY 1, 2"

# ------------------------------------------------------------------ 2. RE2 regexes
i=0
for re in '(a' '(?=a)' '(a)\\1' 'a{1001}' '[z-a]' '\\p{Bogus}'; do
  i=$((i+1))
  cat > "$TMP/re$i.yaml" <<YAML
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match:
    - uri: {regex: "$re"}
    route:
    - destination: {host: reviews}
YAML
  run "regex-$i-run" 2 "re$i.yaml:8:20: error: spec.http\[0\].match\[0\].uri.regex: regex .* is not a valid RE2 regular expression" \
    "$(scenario "re$i-s" '' '{poisson: 1}' "$TMP/re$i.yaml")"
  check "regex-$i-lint" 1 "Error \[IST0106\] \(.*re$i.yaml:8\) regex .* is not a valid RE2 regular expression" "$BIN" lint -f "$BI/bookinfo.yaml" -f "$TMP/re$i.yaml"
  check "regex-$i-explain" 2 "re$i.yaml:8:20: error: spec.http\[0\].match\[0\].uri.regex" \
    "$BIN" explain -f "$BI/bookinfo.yaml" -f "$TMP/re$i.yaml" --from productpage-v1 http://reviews:9080/
done
cat > "$TMP/re-header.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match:
    - headers: {end-user: {regex: "(a"}}
    route:
    - destination: {host: reviews}
YAML
check regex-header-lint 1 'Error \[IST0106\] \(.*re-header.yaml:8\) regex .* is not a valid RE2' \
  "$BIN" lint -f "$BI/bookinfo.yaml" -f "$TMP/re-header.yaml"
cat > "$TMP/re-ok.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match:
    - uri: {regex: "/reviews/[0-9]+"}
    route:
    - destination: {host: reviews}
YAML
run regex-valid 0 'client requests' "$(scenario reok '' '{poisson: 1}' "$TMP/re-ok.yaml")"

# ------------------------------------------------------------------ 6. idle time, drain, --max-wall
idle='  apps:
    productpage-v1: {serviceTime: {exponential: {mean: 1000h}}}'
run idle-1000h 0 'simulated 5m1s' "$(scenario idle "$idle" '{poisson: 10}
      timeout: 100000h')"
check idle-1000h-unfinished 0 '^unfinished\|0\|[1-9][0-9]*$' \
  sqlite3 "$DB" "SELECT sim_outcome, response_code, count(*) FROM requests WHERE run_id = (SELECT max(run_id) FROM runs) GROUP BY 1, 2"
check idle-1000h-spans-unfinished 0 '^unfinished\|[1-9][0-9]*$' \
  sqlite3 "$DB" "SELECT sim_outcome, count(*) FROM spans WHERE run_id = (SELECT max(run_id) FROM runs) GROUP BY 1"
run idle-million-h 0 'simulated 1h0m1s' "$(scenario idle2 '  drain: 1h
  apps:
    productpage-v1: {serviceTime: {exponential: {mean: 1000000h}}}' '{poisson: 10}
      timeout: 1000000h')"
run pareto-tiny-shape 0 'client requests' "$(scenario pareto '  apps:
    productpage-v1: {serviceTime: {pareto: {scale: 1ms, shape: 0.01}}}' '{poisson: 10}
      timeout: 2000000h')"
run drain-negative 2 'spec.drain: drain must not be negative' "$(scenario dneg '  drain: -1s' '{poisson: 1}')"
# A scenario that would take far longer than the guard: stopped, stored as interrupted, exit 1.
run max-wall 1 'reached --max-wall 1s' "$(scenario long '  duration: 100000h' '{poisson: 1000}')" --max-wall 1s
check max-wall-status 0 '^interrupted$' sqlite3 "$DB" "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1"
check max-wall-check 1 'reached --max-wall 1s .* assertions are not evaluated' \
  "$BIN" check -q "$(scenario longc '  duration: 100000h
  assertions: [{name: a, where: {client: c}, expect: {count: ">= 1"}}]' '{poisson: 1000}')" --max-wall 1s
run max-wall-bad 2 'max-wall must be a positive duration' "$(scenario mwb '' '{poisson: 1}')" --max-wall soon

# ------------------------------------------------------------------ 7. call cycles
cycle='  apps:
    productpage-v1:
      calls: [{to: "http://reviews:9080/reviews/0"}]
    reviews-v1:
      calls: [{to: "http://productpage:9080/productpage"}]
    reviews-v2:
      calls: [{to: "http://productpage:9080/productpage"}]
    reviews-v3:
      calls: [{to: "http://productpage:9080/productpage"}]'
run cycle-a-b-a 0 'warning: spec.apps.reviews-v1.calls\[0\].to: call cycle (productpage-v1 -> reviews-v1 -> productpage-v1|reviews-v1 -> productpage-v1 -> reviews-v1)' \
  "$(scenario cyc "$cycle" '{poisson: 5}')"
check cycle-a-b-a-outcome 0 '^call_depth_exceeded\|500\|[0-9]+$' \
  sqlite3 "$DB" "SELECT sim_outcome, response_code, count(*) FROM requests WHERE run_id = (SELECT max(run_id) FROM runs) GROUP BY 1, 2"
check cycle-a-b-a-no-invented-flags 0 '^0$' \
  sqlite3 "$DB" "SELECT count(*) FROM spans WHERE sim_outcome IS NOT NULL AND (response_flags <> '-' OR response_code <> 0)"
run self-call-depth-4 0 '' "$(scenario self4 '  maxCallDepth: 4
  apps:
    productpage-v1: {calls: [{to: "http://productpage:9080/productpage"}]}' '{poisson: 5}')"
check self-call-depth-4-chain 0 '^4$' \
  sqlite3 "$DB" "SELECT max(n) FROM (SELECT request_id, count(*) AS n FROM spans WHERE sim_outcome IS NULL AND run_id = (SELECT max(run_id) FROM runs) GROUP BY request_id)"
run max-call-depth-bad 2 'spec.maxCallDepth: maxCallDepth must be an integer between 1 and 1000, got 0' \
  "$(scenario mcd '  maxCallDepth: 0' '{poisson: 1}')"

# ------------------------------------------------------------------ 8. smaller ones
big=$(head -c 1048576 /dev/zero | tr '\0' 'x')
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: %s}\nspec: {ports: [{port: 80}]}\n' "$big" > "$TMP/bigname.yaml"
run long-value-cut 2 'bigname.yaml:3:[0-9]+: error: metadata.name: .*"x{20,}\.\.\." \(1048576 characters\)' \
  "$(scenario bign '' '{poisson: 1}' "$TMP/bigname.yaml")"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec: {ports: [{port: %s}]}\n' "$(head -c 100000 /dev/zero | tr '\0' '9')" > "$TMP/bigport.yaml"
run long-number-cut 2 'bigport.yaml:4:[0-9]+: error: spec.ports\[0\].port: .*\(100000 characters\)' \
  "$(scenario bigp '' '{poisson: 1}' "$TMP/bigport.yaml")"
# Two ServiceEntries in UTF-16 with a byte order mark (as Windows tools save it): both are read
# (the second document used to be dropped silently); without the mark the file is refused.
cat > "$TMP/se.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: example-ext}
spec:
  hosts: [example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: httpbin-ext}
spec:
  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
  location: MESH_EXTERNAL
YAML
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$TMP/se.yaml"; } > "$TMP/se-utf16le.yaml"
{ printf '\xfe\xff'; iconv -f UTF-8 -t UTF-16BE "$TMP/se.yaml"; } > "$TMP/se-utf16be.yaml"
iconv -f UTF-8 -t UTF-16LE "$TMP/se.yaml" > "$TMP/se-utf16-nobom.yaml"
egress() {
  cat > "$TMP/eg-$1.yaml" <<YAML
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: eg}
spec:
  duration: 1s
  mesh: {outboundTrafficPolicy: REGISTRY_ONLY}
  manifests: [$BI/sleep.yaml, $2]
  clients:
    - {name: c, from: {workload: sleep}, to: "http://httpbin.org/get", rate: {constant: 5}}
YAML
  echo "$TMP/eg-$1.yaml"
}
run utf16le-bom 0 'client requests' "$(egress le "$TMP/se-utf16le.yaml")"
check utf16le-bom-routed 0 '^200\|5$' sqlite3 "$DB" \
  "SELECT response_code, count(*) FROM requests WHERE run_id = (SELECT max(run_id) FROM runs) GROUP BY 1"
run utf16be-bom 0 'client requests' "$(egress be "$TMP/se-utf16be.yaml")"
check utf16be-bom-routed 0 '^200\|5$' sqlite3 "$DB" "SELECT response_code, count(*) FROM requests GROUP BY 1"
run utf16-no-bom 2 'se-utf16-nobom.yaml: error: cannot read this file: it contains a NUL byte at offset 1; it is not UTF-8 text' \
  "$(egress nobom "$TMP/se-utf16-nobom.yaml")"
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$(scenario plain '' '{poisson: 1}')"; } > "$TMP/scenario-utf16.yaml"
run utf16-scenario 0 'client requests' "$TMP/scenario-utf16.yaml"
run workers-zero 2 'spec.apps.productpage-v1.workers: workers must be between 1 and 1000000, got 0; to leave the app without a limit write `unlimited`' \
  "$(scenario w0 '  apps: {productpage-v1: {workers: 0}}' '{poisson: 1}')"
run workers-unlimited 0 'client requests' "$(scenario wu '  apps: {productpage-v1: {workers: unlimited}}' '{poisson: 1}')"
run workers-zero-timeline 2 'spec.timeline\[0\].app.productpage-v1.workers: workers must be between 1 and 1000000, got 0' \
  "$(scenario w0t '  timeline: [{at: 0.5s, app: {productpage-v1: {workers: 0}}}]' '{poisson: 1}')"

echo "hostile input: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
