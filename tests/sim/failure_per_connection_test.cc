// `failures: [{first|every: N, per: connection}]` in the mesh (issue 11 §2; Envoy's "reset on the
// N-th request of a connection" cases, Istio's circuit-breaking and outlier tasks): the pattern
// counts the requests of each connection the caller's sidecar opened to the pod, from 1 for
// every new connection. Connections come and go with the caller's pool: maxRequestsPerConnection
// closes one after N requests, a reset closes it at once (docs/semantics.md §9.2).
#include <gtest/gtest.h>

#include "mesh_fixture.h"

namespace meshtwin {
namespace {

// back-v2 only, one proxy worker (one upstream pool per host), a closed loop of one connection:
// the requests go one after another over the sidecar's connections to the single pod.
std::string manifests(int max_requests_per_connection) {
  std::string pool = max_requests_per_connection > 0
                         ? "  trafficPolicy: {connectionPool: {http: {maxRequestsPerConnection: " +
                               std::to_string(max_requests_per_connection) + "}}}\n"
                         : "";
  return R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
)" + pool + R"(  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v2}}]
)";
}

std::string scenario(const std::string& failure) {
  return R"(  duration: 10s
  mesh: {proxyWorkers: 1}
  apps:
    back-v2: {serviceTime: 1ms, failures: [)" +
         failure + R"(]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 1}}, requests: 10}
)";
}

class FailurePerConnection : public MeshTest {};

TEST_F(FailurePerConnection, FirstOfEachConnectionFailsAsMaxRequestsPerConnectionRenewsThem) {
  // Two requests per connection: requests 1, 3, 5, 7, 9 open a connection and fail.
  auto sink = run(scenario("{first: 1, per: connection, kind: status, status: 500}"), manifests(2));
  EXPECT_EQ(codes(sink), (std::map<int, int>{{200, 5}, {500, 5}}));
  // The same pattern per pod fails the pod's first request only.
  auto per_pod = run(scenario("{first: 1, per: pod, kind: status, status: 500}"), manifests(2));
  EXPECT_EQ(codes(per_pod), (std::map<int, int>{{200, 9}, {500, 1}}));
  // Kept alive (no maxRequestsPerConnection), one connection carries all ten: only the first fails.
  auto kept = run(scenario("{first: 1, per: connection, kind: status, status: 500}"), manifests(0));
  EXPECT_EQ(codes(kept), (std::map<int, int>{{200, 9}, {500, 1}}));
}

TEST_F(FailurePerConnection, EveryKthOfAConnection) {
  // Five requests per connection, every 3rd of each fails: requests 3 and 8 (the 3rd of the
  // first and second connection).
  auto sink = run(scenario("{every: 3, per: connection, kind: status, status: 500}"), manifests(5));
  EXPECT_EQ(codes(sink), (std::map<int, int>{{200, 8}, {500, 2}}));
}

TEST_F(FailurePerConnection, AResetClosesTheConnectionSoTheNextOneCountsFromOne) {
  // Each reset (503 UC at the caller; Istio's default retryOn has no `reset`) closes its
  // connection, so every request is the first of a new one.
  auto sink = run(scenario("{first: 1, per: connection, kind: reset}"), manifests(0));
  EXPECT_EQ(codes(sink), (std::map<int, int>{{503, 10}}));
}

}  // namespace
}  // namespace meshtwin
