#!/usr/bin/env bash
# The command-line contract (docs/design.md §3.1): exit codes 0/1/2, one-line diagnostics naming
# file:line:col and the field path, and a run → report round trip on a bundled scenario.
# Usage: cli_tests.sh MESHTWIN_BINARY SOURCE_DIR
set -u
BIN=$1; SRC=$2
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
pass=0; fail=0
check() {  # name, expected exit code, expected stderr/stdout regex, command...
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; echo "$out" | head -5; fail=$((fail+1)); return
  fi
  if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | head -5; fail=$((fail+1)); return
  fi
  pass=$((pass+1))
}

# A scenario around one manifest file, so each malformed manifest is tried through `run`.
scenario_for() {  # manifest-file
  cat > "$TMP/s.yaml" <<YAML
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: cli-test}
spec:
  duration: 1s
  manifests: [$SRC/scenarios/bookinfo/manifests/bookinfo.yaml, $SRC/scenarios/bookinfo/manifests/sleep.yaml, $1]
  clients:
    - {name: c, from: {workload: sleep}, to: "http://productpage:9080/productpage", rate: {poisson: 10}}
YAML
  echo "$TMP/s.yaml"
}

check help 0 'run' "$BIN" --help
check no-subcommand 2 '' "$BIN"
check unknown-flag 2 '' "$BIN" run --no-such-flag x.yaml
check missing-scenario 2 'nope.yaml' "$BIN" run "$TMP/nope.yaml" -o "$TMP/x.db"
check report-missing-file 2 'missing.db' "$BIN" report "$TMP/missing.db"

# Malformed manifests: each gives exit 2 and a one-line diagnostic with file:line:col.
cat > "$TMP/bad-weight.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: abc
    - destination: {host: reviews, subset: v2}
      weight: 20
YAML
check bad-weight 2 'bad-weight.yaml:9:[0-9]+: error: spec.http\[0\].route\[0\].weight' \
  "$BIN" run "$(scenario_for "$TMP/bad-weight.yaml")" -o "$TMP/x.db"

printf 'apiVersion: v1\nkind: Service\nmetadata: {name: x\nspec: [\n' > "$TMP/broken.yaml"
check broken-yaml 2 'broken.yaml:[0-9]+:[0-9]+: error' \
  "$BIN" run "$(scenario_for "$TMP/broken.yaml")" -o "$TMP/x.db"

cat > "$TMP/bad-timeout.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings}
    timeout: 1d
YAML
check bad-duration 2 'bad-timeout.yaml:9:[0-9]+: error: spec.http\[0\].timeout' \
  "$BIN" run "$(scenario_for "$TMP/bad-timeout.yaml")" -o "$TMP/x.db"

# Malformed scenarios.
cat > "$TMP/bad-scenario.yaml" <<YAML
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: bad}
spec:
  duration: 10s
  manifests: [$SRC/scenarios/bookinfo/manifests/bookinfo.yaml]
  clients:
    - {name: c, from: {workload: productpage-v1}, to: "http://productpage:9080/", rate: {poisson: -5}}
YAML
check bad-rate 2 'bad-scenario.yaml:8:[0-9]+: error: spec.clients\[0\].rate' \
  "$BIN" run "$TMP/bad-scenario.yaml" -o "$TMP/x.db"
check bad-set 2 'error' "$BIN" run "$SRC/scenarios/bookinfo/all-v1.yaml" --set 'spec.seed=[' -o "$TMP/x.db"
check bad-duration-flag 2 'duration' "$BIN" run "$SRC/scenarios/bookinfo/all-v1.yaml" --duration 5 -o "$TMP/x.db"

# A real run and its report (the README's demo, shortened).
check run-ok 0 'client requests' "$BIN" run "$SRC/scenarios/bookinfo/reviews-80-20.yaml" --duration 5s -o "$TMP/r.db"
check report-ok 0 'Code 200 : [0-9]+ \(100(\.0)? %\)' "$BIN" report "$TMP/r.db"
check report-run-1 0 'Code 200' "$BIN" report "$TMP/r.db:1"
check report-no-such-run 2 'run' "$BIN" report "$TMP/r.db:9"
# export (docs/export.md): outputs, bad options, and a missing run.
check export-nothing 2 'nothing to write' "$BIN" export "$TMP/r.db"
check export-bad-interval 2 'interval.*not a positive duration' "$BIN" export "$TMP/r.db" --openmetrics "$TMP/r.om" --interval 0s
check export-bad-sample 2 'trace-sample' "$BIN" export "$TMP/r.db" --traces "$TMP/t.json" --trace-sample 2
check export-bad-format 2 'format' "$BIN" export "$TMP/r.db" --traces "$TMP/t.json" --format jaeger
check export-no-such-run 2 'run' "$BIN" export "$TMP/r.db:9" --openmetrics "$TMP/r.om"
check export-text 0 'istio_requests_total\{reporter="source"' "$BIN" export "$TMP/r.db" --prometheus-text -
check export-openmetrics 0 '# EOF' "$BIN" export "$TMP/r.db" --openmetrics - --interval 5s
# A second run appends to the same file.
check run-append 0 'run 2' "$BIN" run "$SRC/scenarios/bookinfo/all-v1.yaml" --duration 2s --seed 7 -o "$TMP/r.db"

# meshtwin check: the bundled 80/20 scenario with assertions appended. v2's share of reviews
# is about 0.2, so the check passes; flipping one number (0.2 -> 0.5) makes it exit 1 with the
# JUnit file naming the failed assertion.
sed "s#manifests/#$SRC/scenarios/bookinfo/manifests/#" "$SRC/scenarios/bookinfo/reviews-80-20.yaml" > "$TMP/check.yaml"
cat >> "$TMP/check.yaml" <<'YAML'
  assertions:
    - name: v2 gets its share
      where: {source: productpage-v1, destination: reviews, version: v2}
      expect: {share: ">= 0.15 and <= 0.25"}
    - name: users are served
      where: {client: users}
      expect: {successRate: ">= 0.99", p99: "< 1s", "flags:UO": "== 0"}
YAML
check check-pass 0 'all 5 conditions of 2 assertions passed' \
  "$BIN" check "$TMP/check.yaml" --duration 5s --junit "$TMP/pass.xml"
check check-pass-junit 0 'failures="0"' cat "$TMP/pass.xml"
check check-fail 1 'FAIL' "$BIN" check "$TMP/check.yaml" --duration 5s --junit "$TMP/fail.xml" -o "$TMP/check.db" \
  --set 'spec.assertions[0].expect.share=">= 0.45 and <= 0.55"'
check check-fail-junit 0 '<failure message="assertion &quot;v2 gets its share&quot; failed: expected share &gt;= 0.45' \
  cat "$TMP/fail.xml"
check check-kept-run 0 'Code 200' "$BIN" report "$TMP/check.db:1"
sed 's/p99: "< 1s"/p99: "< 1"/' "$TMP/check.yaml" > "$TMP/bad-check.yaml"
check check-bad-condition 2 'bad-check.yaml:[0-9]+:[0-9]+: error: spec.assertions\[1\].expect.p99: .*duration with a unit' \
  "$BIN" check "$TMP/bad-check.yaml" --duration 1s
check check-missing 2 'nope.yaml' "$BIN" check "$TMP/nope.yaml"

# meshtwin diff: the same scenario and seed twice shows no change; 80/20 against 50/50-v3
# moves reviews' traffic, which a count threshold on v2 catches.
"$BIN" run "$SRC/scenarios/bookinfo/reviews-80-20.yaml" --duration 3s -q -o "$TMP/base.db" >/dev/null 2>&1
"$BIN" run "$SRC/scenarios/bookinfo/reviews-80-20.yaml" --duration 3s -q -o "$TMP/same.db" >/dev/null 2>&1
"$BIN" run "$SRC/scenarios/bookinfo/reviews-50-v3.yaml" --duration 3s -q -o "$TMP/v3.db" >/dev/null 2>&1
check diff-same 0 'none of 2 tripped' "$BIN" diff "$TMP/base.db" "$TMP/same.db:1" \
  --fail-if 'p99 > +1%' --fail-if 'successRate < -0.1pp'
check diff-trips 1 "TRIPPED 'reviews:v2 count < -50' by productpage-v1 -> reviews.default v2" \
  "$BIN" diff "$TMP/base.db" "$TMP/v3.db" --fail-if 'reviews:v2 count < -50'
check diff-no-fail-if 0 'client users' "$BIN" diff "$TMP/base.db" "$TMP/v3.db"
check diff-bad-expr 2 "--fail-if 'p99 > 10': a latency change needs a unit" \
  "$BIN" diff "$TMP/base.db" "$TMP/v3.db" --fail-if 'p99 > 10'
check diff-unknown-scope 2 'no client or edge of either run matches' \
  "$BIN" diff "$TMP/base.db" "$TMP/v3.db" --fail-if 'reviwes:v3 p99 > +10%'
check diff-missing-run 2 'has no run 4' "$BIN" diff "$TMP/base.db:4" "$TMP/v3.db"

# meshtwin explain / lint / conformance / graph: the compile half alone (docs/explain-lint.md).
BI=$SRC/scenarios/bookinfo/manifests
check explain-jason 0 'Outcome: forwarded to outbound\|9080\|v2\|reviews.default.svc.cluster.local' \
  "$BIN" explain -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" -f "$BI/virtual-service-reviews-test-v2.yaml" \
  --from productpage-v1 http://reviews:9080/reviews/0 -H 'end-user: jason'
check explain-blocked 0 'block_all' "$BIN" explain -f "$BI/bookinfo.yaml" -f "$BI/sleep.yaml" --from sleep \
  http://httpbin.org/headers --outbound-traffic-policy REGISTRY_ONLY
check explain-no-workload 2 'no workload default/nope' "$BIN" explain -f "$BI/bookinfo.yaml" --from nope http://reviews:9080/
check explain-both-sources 2 'exactly one of' "$BIN" explain -f "$BI/bookinfo.yaml" --from sleep --gateway x http://a/
check explain-bad-yaml 2 'broken.yaml:[0-9]+:[0-9]+: error' "$BIN" explain -f "$TMP/broken.yaml" --from sleep http://a/
GA=$SRC/tests/data/gateway-api
check explain-grpc 0 'gRPC service store.Catalog, method Get' "$BIN" explain -f "$GA/grpc-route.yaml" \
  --gateway default/store-gateway-istio grpc://grpc.example.com/store.Catalog/Get
check explain-grpc-refused 0 'Outcome: 500 NC \(cluster outbound\|80\|\| does not exist\)' "$BIN" explain \
  -f "$GA/grpc-route.yaml" --gateway default/store-gateway-istio grpc://grpc.example.com/store.Catalog/List
check lint-refgrant 1 '^Error \[MT0005\] .* at spec.rules\[1\].backendRefs\[0\]' "$BIN" lint -v -f "$GA/grpc-route.yaml"
check lint-clean 0 '0 error\(s\), 4 warning\(s\)' "$BIN" lint -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" \
  -f "$BI/virtual-service-all-v1.yaml"
cat > "$TMP/lint-bad.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviewz}
YAML
check lint-error 1 '^Error \[IST0101\] \(VirtualService default/[a-z-]+ [^ ]*lint-bad.yaml:8\) Referenced host not found' \
  "$BIN" lint -f "$BI/bookinfo.yaml" -f "$TMP/lint-bad.yaml"
check lint-missing 2 'nope.yaml' "$BIN" lint -f "$TMP/nope.yaml"
CF=$SRC/tests/data/conformance
check conformance-listed 0 '^221 passed, 8 failed, 0 skipped \(all 8 expected\)$' "$BIN" conformance "$CF/cases.yaml" \
  --expected-failures "$CF/expected-failures.txt"
check conformance-unlisted 1 '^221 passed, 8 failed, 0 skipped \(no --expected-failures list\); 8 unexpected failures: TestExternalNameServices/http-80, ' \
  "$BIN" conformance "$CF/cases.yaml"
# Exit codes both ways: an expected failure that now passes, and an unexpected failure.
printf 'TestHTTPGateway/simple_http_and_virtual_service/match  pretend it fails\n' > "$TMP/xf.txt"
check conformance-listed-passes 1 'UNEXPECTED PASS TestHTTPGateway/simple_http_and_virtual_service/match' \
  "$BIN" conformance "$CF/cases.yaml" --expected-failures "$TMP/xf.txt"
check conformance-listed-passes-summary 1 '1 expected failure now passes: TestHTTPGateway/simple_http_and_virtual_service/match$' \
  "$BIN" conformance "$CF/cases.yaml" --expected-failures "$TMP/xf.txt"
grep -v '^TestExternalNameServices/tcp-81 ' "$CF/expected-failures.txt" > "$TMP/xf7.txt"
check conformance-unexpected-failure 1 '^221 passed, 8 failed, 0 skipped \(7 expected\); 1 unexpected failure: TestExternalNameServices/tcp-81$' \
  "$BIN" conformance "$CF/cases.yaml" --expected-failures "$TMP/xf7.txt"
check conformance-one-case-ok 0 '^1 passed, 0 failed, 0 skipped$' \
  "$BIN" conformance "$CF/cases.yaml" --case TestHTTPGateway/simple_http_and_virtual_service/match --expected-failures "$CF/expected-failures.txt"
check conformance-missing 2 'nope.yaml' "$BIN" conformance "$TMP/nope.yaml"
check graph-dot 0 '^digraph G' "$BIN" graph -f "$BI/bookinfo.yaml"

# Strict where Istio is strict; helpful where a person errs (docs/scenario-reference.md,
# "Unknown fields"; docs/explain-lint.md, "Lint before every run").
cat > "$TMP/typo.yaml" <<YAML
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: typo}
spec:
  duration: 1s
  manifests: [$SRC/scenarios/bookinfo/manifests/bookinfo.yaml, $SRC/scenarios/bookinfo/manifests/sleep.yaml]
  apps:
    ratings-v1: {serviceTme: 20ms}
  clients:
    - {name: c, from: {workload: sleep}, to: "http://productpage:9080/productpage", rate: {poisson: 10}}
YAML
check unknown-key 2 'typo.yaml:8:18: error: spec.apps.ratings-v1.serviceTme: unknown field "serviceTme"; did you mean "serviceTime"\?' \
  "$BIN" run "$TMP/typo.yaml" -o "$TMP/x.db"
check unknown-key-check 2 'did you mean "serviceTime"' "$BIN" check "$TMP/typo.yaml"
check allow-unknown-fields 0 'typo.yaml:8:18: warning: spec.apps.ratings-v1.serviceTme: unknown field "serviceTme" is ignored' \
  "$BIN" run "$TMP/typo.yaml" --allow-unknown-fields -o "$TMP/x.db"
# An unknown field in a VirtualService route is the API's error too; a field Istio defines but the
# twin does not model is a warning.
cat > "$TMP/vs-unknown.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
      wieght: 100
YAML
check vs-unknown-field 2 'vs-unknown.yaml:9:7: error: spec.http\[0\].route\[0\].wieght: unknown field "wieght" .*did you mean "weight"' \
  "$BIN" run "$(scenario_for "$TMP/vs-unknown.yaml")" -o "$TMP/x.db"
check lint-allow-unknown-fields 0 'vs-unknown.yaml:9:7: warning: spec.http\[0\].route\[0\].wieght' \
  "$BIN" lint --allow-unknown-fields -f "$BI/bookinfo.yaml" -f "$TMP/vs-unknown.yaml"
cat > "$TMP/dr-tunnel.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    tunnel: {protocol: CONNECT, targetHost: egress, targetPort: 8080}
YAML
check known-unmodelled-warns 0 'dr-tunnel.yaml:7:5: warning: spec.trafficPolicy.tunnel: .*does not model' \
  "$BIN" run "$(scenario_for "$TMP/dr-tunnel.yaml")" -o "$TMP/x.db"
# What `kubectl get -o yaml` prints loads without a word: status, managedFields, server-set metadata.
cat > "$TMP/dump.yaml" <<'YAML'
apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: |
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews"}}
    creationTimestamp: "2026-11-02T10:00:00Z"
    generation: 1
    managedFields:
    - {apiVersion: networking.istio.io/v1, fieldsType: FieldsV1, fieldsV1: {"f:spec": {}}, manager: kubectl, operation: Update}
    name: reviews
    namespace: default
    resourceVersion: "4242"
    uid: 6f1c2d3e-0000-4000-8000-000000000001
  spec:
    hosts: [reviews]
    http: [{route: [{destination: {host: reviews, subset: v1}}]}]
  status: {observedGeneration: 1}
metadata: {resourceVersion: ""}
YAML
check kubectl-dump-loads 0 '' "$BIN" run "$(scenario_for "$TMP/dump.yaml")" -o "$TMP/x.db"
out=$("$BIN" lint -f "$BI/bookinfo.yaml" -f "$BI/destination-rule-all.yaml" -f "$TMP/dump.yaml" 2>&1 >/dev/null)
if [ -z "$out" ]; then pass=$((pass+1)); else echo "FAIL kubectl-dump-silent: $out"; fail=$((fail+1)); fi

# run and check lint the configuration first: a route to a subset no DestinationRule declares
# is said before simulating (every request would be 503 NC); --strict refuses to simulate it.
cat > "$TMP/vs-v9.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v9}
YAML
check run-prints-lint 0 'Error \[IST0101\] \(VirtualService default/reviews .*vs-v9.yaml:8\) .*reviews.default.svc.cluster.local\+v9' \
  "$BIN" run "$(scenario_for "$TMP/vs-v9.yaml")" -o "$TMP/x.db"
check check-prints-lint 0 'IST0101.*\+v9' "$BIN" check "$(scenario_for "$TMP/vs-v9.yaml")"
check run-strict 2 'strict: lint found 1 error' "$BIN" run "$(scenario_for "$TMP/vs-v9.yaml")" --strict -o "$TMP/x.db"
check check-strict 2 'IST0101' "$BIN" check "$(scenario_for "$TMP/vs-v9.yaml")" --strict
check run-strict-clean 0 'client requests' "$BIN" run "$SRC/scenarios/bookinfo/all-v1.yaml" --duration 1s --strict -o "$TMP/x.db"

# Every error of a file, each on its own line (three here), then exit 2.
cat > "$TMP/three.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}, wieght: 5}]
    timeout: 5
    retries: {attempts: -1}
YAML
out=$("$BIN" run "$(scenario_for "$TMP/three.yaml")" -o "$TMP/x.db" 2>&1); rc=$?
n=$(grep -c '^.*three.yaml:[0-9]*:[0-9]*: error: ' <<<"$out")
if [ "$rc" -eq 2 ] && [ "$n" -eq 3 ]; then pass=$((pass+1)); else echo "FAIL three-errors: exit $rc, $n lines"; echo "$out"; fail=$((fail+1)); fi

# A missing file says why, from the system.
check missing-scenario-why 2 'nope.yaml: error: cannot read the scenario file: No such file or directory' \
  "$BIN" run "$TMP/nope.yaml" -o "$TMP/x.db"
check missing-manifest-why 2 'nope.yaml: error: cannot read: No such file or directory' "$BIN" lint -f "$TMP/nope.yaml"
if [ "$(id -u)" -ne 0 ]; then  # root reads anything
  printf 'x: 1\n' > "$TMP/secret.yaml"; chmod 000 "$TMP/secret.yaml"
  check unreadable-manifest-why 2 'secret.yaml: error: cannot read: Permission denied' "$BIN" lint -f "$TMP/secret.yaml"
fi

# An unknown destination host names the nearest known one.
sed 's#http://productpage:9080/productpage#http://prodcutpage:9080/productpage#' "$(scenario_for "$TMP/dr-tunnel.yaml")" > "$TMP/host-typo.yaml"
check client-host-suggestion 2 'spec.clients\[0\].*"prodcutpage" resolves to no Service.*did you mean "productpage"\?' \
  "$BIN" run "$TMP/host-typo.yaml" -o "$TMP/x.db"
# Mistakes found while building the mesh are all reported too: an app for a workload that does
# not exist and two clients to unknown hosts, three lines.
cat > "$TMP/build-errors.yaml" <<YAML
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: build-errors}
spec:
  duration: 1s
  manifests: [$SRC/scenarios/bookinfo/manifests/bookinfo.yaml, $SRC/scenarios/bookinfo/manifests/sleep.yaml]
  apps:
    ratings-v9: {serviceTime: 1ms}
  clients:
    - {name: a, from: {workload: sleep}, to: "http://reviws:9080/", rate: {poisson: 1}}
    - {name: b, from: {workload: sleep}, to: "http://detials:9080/", rate: {poisson: 1}}
YAML
out=$("$BIN" run "$TMP/build-errors.yaml" -o "$TMP/x.db" 2>&1); rc=$?
n=$(grep -c 'build-errors.yaml:[0-9]*:[0-9]*: error: ' <<<"$out")
if [ "$rc" -eq 2 ] && [ "$n" -eq 3 ] && grep -q 'did you mean "details"' <<<"$out"; then pass=$((pass+1)); else
  echo "FAIL build-errors: exit $rc, $n lines"; echo "$out"; fail=$((fail+1)); fi
check explain-host-suggestion 0 'did you mean "reviews"\?' \
  "$BIN" explain -f "$BI/bookinfo.yaml" -f "$BI/sleep.yaml" --from sleep http://reviws:9080/
check lint-host-suggestion 1 'IST0101.*"reviewz".*did you mean "reviews"\?' "$BIN" lint -f "$BI/bookinfo.yaml" -f "$TMP/lint-bad.yaml"

# Progress is drawn only on a terminal: a captured run has no progress line.
out=$("$BIN" run "$SRC/scenarios/bookinfo/all-v1.yaml" --duration 2s -o "$TMP/x.db" 2>&1)
if grep -q 'ETA' <<<"$out" || grep -q $'\r' <<<"$out"; then echo "FAIL no-progress-when-piped"; fail=$((fail+1)); else pass=$((pass+1)); fi
check help-allow-unknown-fields 0 'allow-unknown-fields' "$BIN" run --help
check help-strict 0 'strict' "$BIN" check --help

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
