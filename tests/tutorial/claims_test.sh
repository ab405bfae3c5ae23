#!/usr/bin/env bash
# The verdicts of docs/tutorial/{en,zh-CN}/notes-checked.md that an `explain` or `lint` call
# shows. Usage: claims_test.sh MESHTWIN SOURCE_DIR CLAIM. Each claim runs meshtwin on Istio's
# samples (third_party/istio-samples), the tutorial's manifests and tests/tutorial/data, and
# greps the line that decides the verdict, so a change in meshtwin's answer fails the test.
# The section of docs/semantics.md behind each claim is named beside it.
set -u
M=$1
cd "$2" || exit 2
claim=$3
T=third_party/istio-samples
B=$T/bookinfo/platform/kube/bookinfo.yaml
N=$T/bookinfo/networking
S=$T/sleep/sleep.yaml
H=$T/httpbin/httpbin.yaml
D=tests/tutorial/data
C=scenarios/tutorial
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL $claim: $*"; exit 1; }
# has FILE REGEX: the output must contain a line matching REGEX (extended, fixed where possible)
has() { grep -qE -- "$2" "$1" || { echo "--- output:"; cat "$1"; fail "no line matches: $2"; }; }
hasnt() { ! grep -qE -- "$2" "$1" || { echo "--- output:"; cat "$1"; fail "a line matches: $2"; }; }
explain() { "$M" explain "$@" >"$tmp/out" 2>"$tmp/err"; }
# -v: istioctl analyze's line plus the field path (` at spec.http[1]`).
lint() { "$M" lint -v "$@" >"$tmp/out" 2>&1; }

case $claim in
registry-from-kubernetes)  # §13: Services and Deployments give the registry's services and endpoints
  explain -f "$B" -f "$S" --from sleep http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^DNS: reviews -> reviews\.default\.svc\.cluster\.local'
  has "$tmp/out" '^  endpoints \(3\):'
  has "$tmp/out" 'reviews-v3-0 .* healthy' ;;
vs-non-service-host-port-80)  # §1.2: a VS for a non-service host only reaches the port-80 route table
  explain -f "$S" -f "$H" -f "$D/non-service-host.yaml" --from sleep http://api.internal.example/get || fail "explain failed"
  has "$tmp/out" '^virtual host api\.internal\.example:80 '
  has "$tmp/out" '^Outcome: forwarded to outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local'
  explain -f "$S" -f "$H" -f "$D/non-service-host.yaml" --from sleep http://api.internal.example:8000/get || fail "explain failed"
  has "$tmp/out" '^virtual host allow_any '
  has "$tmp/out" '^Outcome: forwarded to PassthroughCluster' ;;
vs-owns-host-no-fallback)  # §2.5: once a VS owns the host, no matching rule means 404 NR
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$D/reviews-jason-only.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" 'header end-user is absent'
  has "$tmp/out" '^Outcome: 404 NR \(no route\)' ;;
vs-is-route-config)  # §1.5, §2.1: a VS becomes virtual hosts and routes of the port's route table
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$N/virtual-service-reviews-test-v2.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^HTTP connection manager, route configuration 9080$'
  has "$tmp/out" '^virtual host reviews\.default\.svc\.cluster\.local:9080 '
  has "$tmp/out" '^Route default/reviews#http\[1\]$' ;;
vs-routes-to-host-not-dr)  # §3.2: a route names a host and a subset; an undeclared subset is 503 NC
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$D/reviews-undeclared-subset.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^Cluster outbound\|9080\|v4\|reviews\.default\.svc\.cluster\.local does not exist: 503 NC' ;;
vs-first-match-wins)  # §2.1: rules in order, first match wins; a rule after a catch-all is unreachable
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$N/virtual-service-reviews-test-v2.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 -H 'end-user: jason' || fail "explain failed"
  has "$tmp/out" '^  1\. default/reviews#http\[0\] .*-> MATCHED'
  has "$tmp/out" 'later route\(s\) not evaluated: first match wins'
  lint -f "$B" -f "$N/destination-rule-all.yaml" -f "$C/02-virtualservice/manifests/reviews-catch-all-first.yaml"
  has "$tmp/out" '^Warning \[IST0130\] \(VirtualService default/[^ ]+ .*\) .* at spec\.http\[1\]$' ;;
vs-short-name-namespace)  # §1.1: a short host is completed with the VS's own namespace
  explain -f "$B" -f "$D/reviews-vs-other-namespace.yaml" -f "$N/destination-rule-all.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^Route default \(no VirtualService applies'
  has "$tmp/out" '^Outcome: forwarded to outbound\|9080\|\|reviews\.default\.svc\.cluster\.local' ;;
vs-same-host-sidecar-oldest-wins)  # §1.3: sidecars keep the oldest VS for a host, nothing merged
  explain -f "$B" -f "$N/bookinfo-gateway.yaml" -f "$N/destination-rule-all.yaml" -f "$D/reviews-two-virtualservices.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/2 || fail "explain failed"
  has "$tmp/err" 'reviews-b is ignored for host reviews\.default\.svc\.cluster\.local on port 9080'
  hasnt "$tmp/out" 'default/reviews-b#http'
  has "$tmp/out" '^Outcome: 404 NR'
  lint -f "$B" -f "$N/bookinfo-gateway.yaml" -f "$N/destination-rule-all.yaml" -f "$D/reviews-two-virtualservices.yaml"
  has "$tmp/out" '^Error \[IST0109\] ' ;;
vs-same-host-gateway-merged)  # §1.3, §11: on a gateway the routes of both VSs are merged
  explain -f "$B" -f "$N/bookinfo-gateway.yaml" -f "$N/destination-rule-all.yaml" -f "$D/reviews-two-virtualservices.yaml" \
    --gateway istio-ingressgateway http://reviews.default.svc.cluster.local/reviews/2 || fail "explain failed"
  has "$tmp/out" '^  1\. default/reviews-a#http\[0\] match prefix /reviews/1  -> no'
  has "$tmp/out" '^  2\. default/reviews-b#http\[0\] match prefix /reviews/2  -> MATCHED'
  has "$tmp/out" '^Outcome: forwarded to outbound\|9080\|v3\|reviews' ;;
vs-star-host-mesh)  # §1.1: host "*" is rejected for a VS bound to mesh
  lint -f "$T/tcp-echo/tcp-echo-services.yaml" -f "$D/star-host-mesh.yaml"
  has "$tmp/out" '^Error \[IST0106\] .*host "\*" is not allowed for a VirtualService bound to the mesh.* at spec\.hosts\[0\]$' ;;
vs-match-gateways)  # §1.2, §11: a VS bound to a gateway routes there only, unless `mesh` is listed
  explain -f "$B" -f "$N/bookinfo-gateway.yaml" -f "$N/destination-rule-all.yaml" -f "$C/11-where-resources-apply/manifests/reviews-v2-gateway-only.yaml" \
    --gateway istio-ingressgateway http://reviews.default.svc.cluster.local/reviews/0 || fail "explain failed"
  has "$tmp/out" '^Outcome: forwarded to outbound\|9080\|v2\|reviews'
  explain -f "$B" -f "$N/bookinfo-gateway.yaml" -f "$N/destination-rule-all.yaml" -f "$C/11-where-resources-apply/manifests/reviews-v2-gateway-only.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^Route default \(no VirtualService applies'
  explain -f "$B" -f "$N/bookinfo-gateway.yaml" -f "$N/destination-rule-all.yaml" -f "$C/11-where-resources-apply/manifests/reviews-v2-gateway-and-mesh.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^Outcome: forwarded to outbound\|9080\|v2\|reviews' ;;
destination-host-must-be-registered)  # §3.2: a destination host must be a registry service
  lint -f "$B" -f "$D/unregistered-destination.yaml"
  has "$tmp/out" '^Error \[IST0101\] .*503 NC.* at spec\.http\[0\]\.route\[0\]\.destination\.host$' ;;
lb-default-least-request)  # §7.4, §8.2: no loadBalancer means LEAST_REQUEST today
  explain -f "$B" -f "$S" --from sleep http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  no DestinationRule: Istio.s defaults'
  has "$tmp/out" '^  load balancer LEAST_REQUEST \(choice of 2\)' ;;
lb-least-conn-alias)  # §7.4: LEAST_CONN is the deprecated name of LEAST_REQUEST
  explain -f "$B" -f "$D/reviews-least-conn.yaml" --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  DestinationRule default/reviews'
  has "$tmp/out" '^  load balancer LEAST_REQUEST \(choice of 2\)' ;;
lb-algorithms)  # §7.4: RANDOM, ROUND_ROBIN and PASSTHROUGH (original destination, no balancing)
  explain -f "$B" -f "$C/03-destinationrule/manifests/reviews-destinationrule.yaml" -f "$N/virtual-service-reviews-80-20.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  load balancer RANDOM'
  has "$tmp/out" '^  load balancer ROUND_ROBIN'
  explain -f "$B" -f "$D/reviews-passthrough-lb.yaml" --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '\(ORIGINAL_DST\)'
  has "$tmp/out" '^  load balancer CLUSTER_PROVIDED \(original destination\)' ;;
subset-overrides-policy)  # §7.3: a subset's loadBalancer replaces the top-level one, others inherit
  explain -f "$B" -f "$C/03-destinationrule/manifests/reviews-destinationrule.yaml" -f "$N/virtual-service-reviews-80-20.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  grep -A2 '^Cluster outbound|9080|v1|' "$tmp/out" | grep -q 'load balancer RANDOM' || fail "v1 does not inherit RANDOM"
  grep -A2 '^Cluster outbound|9080|v2|' "$tmp/out" | grep -q 'load balancer ROUND_ROBIN' || fail "v2 does not override with ROUND_ROBIN" ;;
gateway-server-hosts)  # §11: a server admits hosts (and a port and protocol), not clients
  explain -f "$B" -f "$D/gateway-one-host.yaml" --gateway istio-ingressgateway http://bookinfo.example.com/productpage || fail "explain failed"
  has "$tmp/out" '^Outcome: forwarded to outbound\|9080\|\|productpage'
  explain -f "$B" -f "$D/gateway-one-host.yaml" --gateway istio-ingressgateway http://other.example.com/productpage || fail "explain failed"
  has "$tmp/out" '^no virtual host has a domain matching host "other\.example\.com": 404 NR' ;;
se-one-entry-per-host)  # §12.1: every host of an entry is a service of its own
  explain -f "$S" -f "$D/two-hosts-serviceentry.yaml" --from sleep http://api-a.example.com/ || fail "explain failed"
  has "$tmp/out" '^Outcome: forwarded to outbound\|80\|\|api-a\.example\.com$'
  explain -f "$S" -f "$D/two-hosts-serviceentry.yaml" --from sleep http://api-b.example.com/ || fail "explain failed"
  has "$tmp/out" '^Outcome: forwarded to outbound\|80\|\|api-b\.example\.com$' ;;
se-addresses-vip)  # §12.1: connections to the entry's addresses go to its endpoints
  explain -f "$S" -f "$D/vip-serviceentry.yaml" --from sleep tcp://192.192.192.7:5432 || fail "explain failed"
  has "$tmp/out" '^filter chain \(destination in 192\.192\.192\.0/24\) from service legacy-db\.internal\.example:5432'
  has "$tmp/out" '^    10\.1\.0\.3 .*healthy'
  has "$tmp/out" '^Outcome: tcp_proxy to outbound\|5432\|\|legacy-db\.internal\.example' ;;
se-tcp-without-addresses)  # §12.1: without addresses a TCP ServiceEntry is matched by port alone
  explain -f "$S" -f "$D/db-serviceentry-tcp.yaml" --from sleep tcp://other.example.org:5432 || fail "explain failed"
  has "$tmp/out" '^listener 0\.0\.0\.0_5432 '
  has "$tmp/out" '^Outcome: tcp_proxy to outbound\|5432\|\|db\.example\.net'
  explain -f "$S" -f "$C/01-service-registry/manifests/api-serviceentry.yaml" -f "$D/db-serviceentry-tcp.yaml" \
    --from sleep http://api.example.com/v1/items || fail "explain failed"
  has "$tmp/out" '^virtual host api\.example\.com:80 ' ;;
se-location-no-routing)  # §12.1: location changes no routing (only mTLS and telemetry)
  sed 's/MESH_EXTERNAL/MESH_INTERNAL/' "$C/01-service-registry/manifests/api-serviceentry.yaml" >"$tmp/internal.yaml"
  "$M" explain -f "$S" -f "$C/01-service-registry/manifests/api-serviceentry.yaml" --from sleep http://api.example.com/v1/items >"$tmp/ext" || fail "explain failed"
  "$M" explain -f "$S" -f "$tmp/internal.yaml" --from sleep http://api.example.com/v1/items >"$tmp/int" || fail "explain failed"
  has "$tmp/ext" '^Outcome: forwarded to outbound\|80\|\|api\.example\.com'
  diff <(sed 's/, mesh external//' "$tmp/ext") "$tmp/int" >/dev/null || fail "MESH_INTERNAL routes differently from MESH_EXTERNAL" ;;
unknown-http-block-all)  # §12.2: REGISTRY_ONLY answers unknown HTTP with block_all's 502, not BlackHoleCluster
  explain -f "$S" --from sleep http://httpbin.org/headers --outbound-traffic-policy REGISTRY_ONLY || fail "explain failed"
  has "$tmp/out" '^Outcome: 502 direct response \(block_all'
  explain -f "$S" --from sleep http://httpbin.org/headers || fail "explain failed"
  has "$tmp/out" '^Outcome: forwarded to PassthroughCluster' ;;
unknown-tcp-blackhole)  # §12.2: REGISTRY_ONLY sends unknown TCP to BlackHoleCluster
  explain -f "$S" --from sleep tcp://db.example.net:5432 --outbound-traffic-policy REGISTRY_ONLY || fail "explain failed"
  has "$tmp/out" '^Outcome: tcp_proxy to BlackHoleCluster'
  explain -f "$S" --from sleep tcp://db.example.net:5432 || fail "explain failed"
  has "$tmp/out" 'PassthroughCluster' ;;
timeout-default-off)  # §4.1: no `timeout` means no route timeout at all
  explain -f "$B" -f "$S" --from sleep http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  timeout: none \(0s: Istio.s default\)'
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$C/06-timeouts/manifests/reviews-v2-timeout-half-second.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  timeout: 500ms' ;;
retries-default-policy)  # §5.1: 2 retries on connection-level failures; upstream 503 not retried (1.24+)
  explain -f "$B" -f "$S" --from sleep http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  retries: 2 on connect-failure,refused-stream,retriable-status-codes,cancelled,unavailable,'
  hasnt "$tmp/out" '503'
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$C/07-retries/manifests/reviews-v2-retries.yaml" \
    --from productpage-v1 http://reviews:9080/reviews/0 || fail "explain failed"
  has "$tmp/out" '^  retries: 3 on 5xx' ;;
dr-applies-at-caller)  # §7.1, §9.1: the caller's proxy applies the DR (LB, pool limits) per cluster
  explain -f "$H" -f "$S" -f "$C/08-circuit-breakers/manifests/httpbin-circuit-breaker-pending-1.yaml" \
    --from sleep http://httpbin:8000/get || fail "explain failed"
  has "$tmp/out" '^Request: GET http://httpbin:8000/get from default/sleep \(sidecar\)'
  has "$tmp/out" '^  DestinationRule default/httpbin'
  has "$tmp/out" '^  connection pool: maxConnections 1 http1MaxPendingRequests 1' ;;
fault-at-caller)  # §6: the fault runs in the caller's route, before the router
  explain -f "$B" -f "$N/destination-rule-all.yaml" -f "$N/virtual-service-ratings-test-abort.yaml" \
    --from reviews-v2 http://ratings:9080/ratings/0 -H 'end-user: jason' || fail "explain failed"
  has "$tmp/out" '^Request: GET http://ratings:9080/ratings/0 from default/reviews-v2 \(sidecar\)'
  has "$tmp/out" '^  fault: abort HTTP 500 for 100% of requests \(FI\)' ;;
tcp-mesh-listener)  # §1.2, §13: a mesh-bound tcp route gets a sidecar listener, no gateway needed
  explain -f "$T/tcp-echo/tcp-echo-services.yaml" -f "$S" -f "$C/02-virtualservice/manifests/tcp-echo-mesh-route.yaml" \
    --from sleep tcp://tcp-echo:9000 || fail "explain failed"
  has "$tmp/out" '^listener 10\.96\.[0-9.]+_9000$'
  has "$tmp/out" '^filter chain \(any connection\) from VirtualService default/tcp-echo tcp\[0\]'
  has "$tmp/out" '^TCP route default/tcp-echo#tcp\[0\]'
  hasnt "$tmp/out" 'Gateway' ;;
*)
  echo "unknown claim $claim"; exit 2 ;;
esac
echo "PASS $claim"
