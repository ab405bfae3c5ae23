// Envoy's resilience behaviour through the whole simulation: connection pools and circuit
// breakers (docs/semantics.md §9), retries and their flags (§5), timeouts (§4), the app failure kinds
// that drive them (docs/design.md §3.2) and the inbound retries of Istio ≥ 1.24 (§5.1).

#include <algorithm>
#include <set>

#include "mesh_fixture.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin {
namespace {

using telemetry::format_response_flags;

// back-v2 (one pod) through a subset, so every request goes to one host.
constexpr const char* kToV2 = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy: TRAFFIC_POLICY
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v2}}]
    ROUTE_EXTRA
)";

std::string to_v2(const std::string& traffic_policy, const std::string& route_extra = "{}") {
  std::string text = kToV2;
  text.replace(text.find("TRAFFIC_POLICY"), 14, traffic_policy);
  const std::string extra = route_extra == "{}" ? "" : route_extra;
  text.replace(text.find("ROUTE_EXTRA"), 11, extra);
  return text;
}

std::map<std::string, int> flag_counts(const testing::MemorySink& sink) {
  std::map<std::string, int> out;
  for (const auto& r : sink.requests) ++out[format_response_flags(r.flags)];
  return out;
}

class ResilienceTest : public MeshTest {};

TEST_F(ResilienceTest, PendingOverflowIsAnImmediate503UO_Sem9_2) {
  // One pending request allowed: of 6 requests sent at once, the first waits in the pool for
  // the connection being opened, the other five overflow at once with 503 UO.
  auto sink = run(R"(  duration: 1ms
  mesh: {proxyCpu: none, proxyWorkers: 1}
  apps:
    back-v2: {serviceTime: 100ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 6}}, requests: 6}
)",
                  to_v2("{connectionPool: {tcp: {maxConnections: 1}, http: {http1MaxPendingRequests: 1}}}"));
  ASSERT_EQ(sink.requests.size(), 6u);
  int ok = 0, overflow = 0;
  for (const auto& r : sink.requests) {
    if (r.code == 200) ++ok;
    if (r.code == 503 && format_response_flags(r.flags) == "UO") {
      ++overflow;
      EXPECT_EQ(r.duration, engine::SimDuration{}) << "an overflow is a local reply, no upstream";
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(overflow, 5);
  bool began = false;
  for (const auto& e : sink.events) began |= e.kind == "overflow_began";
  EXPECT_TRUE(began);
}

TEST_F(ResilienceTest, QueuedRequestsWaitForTheConnection_Sem9_2) {
  // maxConnections 1, no pending limit: three requests run one after another on the single
  // connection (HTTP/1.1: one request at a time), so they end at 10, 20 and 30 ms.
  auto sink = run(R"(  duration: 1ms
  mesh: {proxyCpu: none, proxyWorkers: 1}
  apps:
    back-v2: {serviceTime: 10ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 3}}, requests: 3}
)",
                  to_v2("{connectionPool: {tcp: {maxConnections: 1}}}"));
  std::vector<engine::SimDuration> d;
  for (const auto& r : sink.requests) d.push_back(r.duration);
  std::sort(d.begin(), d.end());
  EXPECT_EQ(d, (std::vector<engine::SimDuration>{10 * engine::kMillisecond, 20 * engine::kMillisecond,
                                             30 * engine::kMillisecond}));
}

TEST_F(ResilienceTest, NewConnectionCostsARoundTripReuseDoesNot_Sem9_2) {
  const std::string spec = R"(  duration: 100ms
  mesh: {proxyCpu: none, proxyWorkers: 1}
  network: {latency: 1ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 50}}
)";
  // Keep-alive: the first request pays the connect round trip (2 ms) plus 2 ms there and back.
  auto reuse = run(spec, to_v2("{}"));
  ASSERT_EQ(reuse.requests.size(), 5u);
  EXPECT_EQ(reuse.requests[0].duration, 4 * engine::kMillisecond);
  for (std::size_t i = 1; i < reuse.requests.size(); ++i)
    EXPECT_EQ(reuse.requests[i].duration, 2 * engine::kMillisecond);
  // maxRequestsPerConnection: 1 turns keep-alive off: every request connects again.
  auto fresh = run(spec, to_v2("{connectionPool: {http: {maxRequestsPerConnection: 1}}}"));
  ASSERT_EQ(fresh.requests.size(), 5u);
  for (const auto& r : fresh.requests) EXPECT_EQ(r.duration, 4 * engine::kMillisecond);
}

TEST_F(ResilienceTest, RetryOn5xxThenURX_Sem5_2_Sem5_7) {
  auto sink = run(R"(  duration: 1s
  apps:
    back-v2: {failures: [{rate: 1.0, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)",
                  to_v2("{}", "retries: {attempts: 3, retryOn: 5xx}"));
  ASSERT_EQ(sink.requests.size(), 10u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(r.attempts, 4);
    EXPECT_EQ(format_response_flags(r.flags), "URX");
    EXPECT_GE(r.duration, engine::SimDuration{});
    EXPECT_LT(r.duration, (25 + 50 + 100) * engine::kMillisecond) << "backoff above its limits";
  }
}

TEST_F(ResilienceTest, FailFirstTwoPerRequestIdSucceedsOnTheThirdTry_Sem5_2) {
  // A backend that fails a fixed number of times, then succeeds (as the Gateway API retry
  // conformance backend): with 3 retries on 5xx every request ends 200 on exactly its third
  // try, and the two failed tries are in the spans.
  auto sink = run(R"(  duration: 1s
  apps:
    back-v2: {failures: [{first: 2, per: requestId, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)",
                  to_v2("{}", "retries: {attempts: 3, retryOn: 5xx}"));
  ASSERT_EQ(sink.requests.size(), 10u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.attempts, 3);
  }
  std::map<int, int> span_codes;
  for (const auto& s : sink.spans) ++span_codes[s.code];
  EXPECT_EQ(span_codes[503], 20);
  EXPECT_EQ(span_codes[200], 10);
}

TEST_F(ResilienceTest, FailFirstTwoPerPodOnlyHitsTheFirstRequests) {
  // Per pod, the same rule fails only the pod's first two requests: with no retries, users
  // see exactly two 503s, the first two.
  auto sink = run(R"(  duration: 1s
  apps:
    back-v2: {failures: [{first: 2, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)",
                  to_v2("{}"));
  ASSERT_EQ(sink.requests.size(), 10u);
  auto by_start = sink.requests;
  std::sort(by_start.begin(), by_start.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  for (std::size_t i = 0; i < by_start.size(); ++i) EXPECT_EQ(by_start[i].code, i < 2 ? 503 : 200) << i;
}

TEST_F(ResilienceTest, RetriesRecoverFromPartialFailures_Sem5_2) {
  // 50 % 503 with 2 retries on 5xx: a request fails only when all 3 tries fail (12.5 %).
  auto sink = run(R"(  duration: 100s
  apps:
    back-v2: {failures: [{rate: 0.5, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)",
                  to_v2("{}", "retries: {attempts: 2, retryOn: 5xx}"));
  double failed = 0;
  for (const auto& r : sink.requests) failed += r.code != 200;
  ASSERT_GT(sink.requests.size(), 9000u);
  EXPECT_NEAR(failed / sink.requests.size(), 0.125, 0.015);
}

TEST_F(ResilienceTest, RetryBreakerRefusalAddsUO_Sem5_6) {
  // maxRetries 1: with many requests failing at once, only one retry may be outstanding; the
  // others end with the upstream 503 and UO.
  auto sink = run(R"(  duration: 1ms
  mesh: {proxyWorkers: 1}
  apps:
    back-v2: {serviceTime: 10ms, failures: [{rate: 1.0, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 8}}, requests: 8}
)",
                  to_v2("{connectionPool: {http: {maxRetries: 1}}}",
                        "retries: {attempts: 5, retryOn: 5xx}"));
  auto flags = flag_counts(sink);
  EXPECT_GT(flags["UO"], 0);
  for (const auto& r : sink.requests) EXPECT_EQ(r.code, 503);
}

TEST_F(ResilienceTest, PerTryTimeoutIsNotRetriedByDefault_Sem4_2) {
  auto sink = run(R"(  duration: 1s
  mesh: {proxyCpu: none}  # exact timings: the zero-cost proxy (docs/semantics.md §19.4)
  apps:
    back-v2: {serviceTime: 2s}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 5}}
)",
                  to_v2("{}", "retries: {attempts: 2, perTryTimeout: 100ms}"));
  ASSERT_EQ(sink.requests.size(), 5u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 504);
    EXPECT_EQ(format_response_flags(r.flags), "UT");
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.duration, 100 * engine::kMillisecond);
  }
}

TEST_F(ResilienceTest, PerTryTimeoutRetriedOn5xxEndsWithUTURX_Sem4_2) {
  auto sink = run(R"(  duration: 1s
  apps:
    back-v2: {serviceTime: 2s}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 5}}
)",
                  to_v2("{}", "retries: {attempts: 2, perTryTimeout: 100ms, retryOn: 5xx}"));
  ASSERT_EQ(sink.requests.size(), 5u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 504);
    EXPECT_EQ(format_response_flags(r.flags), "UT,URX");
    EXPECT_EQ(r.attempts, 3);
  }
}

TEST_F(ResilienceTest, RouteTimeoutCoversAllAttempts_Sem4_1) {
  auto sink = run(R"(  duration: 1s
  mesh: {proxyCpu: none}  # exact timings: the zero-cost proxy (docs/semantics.md §19.4)
  apps:
    back-v2: {serviceTime: 2s}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 5}}
)",
                  to_v2("{}", "timeout: 250ms\n    retries: {attempts: 5, perTryTimeout: 100ms, retryOn: 5xx}"));
  ASSERT_EQ(sink.requests.size(), 5u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 504);
    EXPECT_EQ(r.duration, 250 * engine::kMillisecond);
    EXPECT_NE(format_response_flags(r.flags).find("UT"), std::string::npos);
  }
}

TEST_F(ResilienceTest, RefusedConnectionsAreRetriedByTheInboundSidecar_Sem5_1) {
  // Istio ≥ 1.24: the server sidecar retries reset-before-request twice, so a 50 % refusing
  // app fails 12.5 % of requests, answered by the sidecar as 503.
  const std::string spec = R"(  duration: 100s
  apps:
    back-v2: {failures: [{rate: 0.5, kind: refuse}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)";
  auto sink = run(spec, to_v2("{}"));
  double failed = 0;
  for (const auto& r : sink.requests) {
    if (r.code == 503) ++failed;
    else EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.attempts, 1) << "the caller does not retry the sidecar's 503 (1.24+ default)";
  }
  ASSERT_GT(sink.requests.size(), 9000u);
  EXPECT_NEAR(failed / sink.requests.size(), 0.125, 0.015);
  // Istio 1.23 had no inbound retries, but its outbound default retried 503: the sidecar's
  // 503 for the refused connection is retried by the caller instead, with the same odds.
  auto old = run("  mesh: {istioVersion: \"1.23\"}\n" + spec, to_v2("{}"));
  failed = 0;
  int retried = 0;
  for (const auto& r : old.requests) {
    failed += r.code != 200;
    retried += r.attempts > 1;
  }
  EXPECT_NEAR(failed / old.requests.size(), 0.125, 0.015);
  EXPECT_NEAR(static_cast<double>(retried) / old.requests.size(), 0.5, 0.02);
}

TEST_F(ResilienceTest, ResetBeforeHeadersIsUCAndRetriedOnReset_Sem5_3_Sem14) {
  const std::string spec = R"(  duration: 1s
  apps:
    back-v2: {failures: [{rate: 1.0, kind: reset}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 5}}
)";
  auto plain = run(spec, to_v2("{}"));
  for (const auto& r : plain.requests) {
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(format_response_flags(r.flags), "UC");
    EXPECT_EQ(r.attempts, 1) << "Istio's default retryOn does not cover resets";
  }
  auto retried = run(spec, to_v2("{}", "retries: {attempts: 2, retryOn: reset}"));
  for (const auto& r : retried.requests) {
    EXPECT_EQ(format_response_flags(r.flags), "UC,URX");
    EXPECT_EQ(r.attempts, 3);
  }
}

TEST_F(ResilienceTest, GrpcUnavailableIsRetriedByIstiosDefault_Sem5_1) {
  auto sink = run(R"(  duration: 1s
  apps:
    back-v2: {failures: [{rate: 1.0, kind: grpc, grpcStatus: 14}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 5}}
)",
                  to_v2("{}"));
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.attempts, 3);
    EXPECT_EQ(format_response_flags(r.flags), "URX");
  }
}

TEST_F(ResilienceTest, HungRequestsEndWithTheCallersTimeoutAndFreeTheWorker_Design3_2) {
  // One worker; the first request hangs; the client's 1 s timeout resets it and the app's
  // worker is free again, so the requests queued behind it are served.
  auto sink = run(R"(  duration: 1000s
  mesh: {proxyWorkers: 1}
  apps:
    back-v2:
      workers: 1
      serviceTime: 10ms
      failures: [{rate: 0.3, kind: hang}]
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 1}}, requests: 30, timeout: 1s}
)",
                  to_v2("{}"));
  ASSERT_EQ(sink.requests.size(), 30u);
  int hung = 0, ok = 0;
  for (const auto& r : sink.requests) {
    if (r.code == 0) {
      ++hung;
      EXPECT_EQ(format_response_flags(r.flags), "DC");
    }
    ok += r.code == 200;
  }
  EXPECT_GT(hung, 0);
  EXPECT_EQ(hung + ok, 30);
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

class RouteActionTest : public MeshTest {};

constexpr const char* kBackSubsets = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
)";

TEST_F(RouteActionTest, MirrorSendsAShadowCopyAndIgnoresItsResponse_Sem3_5) {
  // 25 % of requests to v1 are mirrored to v2, which always fails: users never see it.
  auto sink = run(R"(  duration: 100s
  apps:
    back-v2: {failures: [{rate: 1.0, kind: status, status: 500}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)",
                  std::string(kBackSubsets) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v1}}]
    mirror: {host: back, subset: v2}
    mirrorPercentage: {value: 25}
)");
  double shadows = 0;
  for (const auto& s : sink.spans) {
    if (s.kind != telemetry::SpanKind::Shadow) continue;
    ++shadows;
    EXPECT_EQ(s.destination_version, "v2");
    EXPECT_EQ(s.cluster, "outbound|9090|v2|back.default.svc.cluster.local");
  }
  for (const auto& r : sink.requests) EXPECT_EQ(r.code, 200);
  ASSERT_GT(sink.requests.size(), 9000u);
  EXPECT_NEAR(shadows / sink.requests.size(), 0.25, 0.015);
}

TEST_F(RouteActionTest, RequestHeaderSetIsSeenUpstream_Sem3_4) {
  // front's route sets x-lane: blue; front forwards it; back's VS routes x-lane: blue to v2.
  auto sink = run(R"(  duration: 1s
  apps:
    front-v1:
      calls: [{to: "http://back:9090/", forwardHeaders: [x-lane]}]
  clients:
    - {name: c, from: {workload: client}, to: "http://front:8080/", rate: {constant: 20}}
)",
                  std::string(kBackSubsets) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front}
spec:
  hosts: [front]
  http:
  - route: [{destination: {host: front}}]
    headers: {request: {set: {x-lane: blue}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - match: [{headers: {x-lane: {exact: blue}}}]
    route: [{destination: {host: back, subset: v2}}]
  - route: [{destination: {host: back, subset: v1}}]
)");
  int to_back = 0;
  for (const auto& s : sink.spans) {
    if (s.source_workload != "front-v1") continue;
    ++to_back;
    EXPECT_EQ(s.destination_version, "v2");
  }
  EXPECT_EQ(to_back, 20);
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

class OutlierTest : public MeshTest {
 protected:
  // `good` healthy pods and one always-503 pod behind subset v3, with outlier detection.
  std::string manifests(int good) {
    return R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: back-good}
spec:
  replicas: )" + std::to_string(good) + R"(
  selector: {matchLabels: {app: back, version: v3}}
  template:
    metadata: {labels: {app: back, version: v3, health: good}}
    spec: {containers: [{name: back, image: x, ports: [{containerPort: 9090}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: back-bad}
spec:
  replicas: 1
  selector: {matchLabels: {app: back, version: v3, health: bad}}
  template:
    metadata: {labels: {app: back, version: v3, health: bad}}
    spec: {containers: [{name: back, image: x, ports: [{containerPort: 9090}]}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
  subsets: [{name: v3, labels: {version: v3}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v3}}]
)";
  }
  // Exact counts of requests before the ejection: the zero-cost proxy (docs/semantics.md §19.4).
  static constexpr const char* kSpec = R"(  duration: 60s
  mesh: {proxyCpu: none}
  apps:
    back-bad: {failures: [{rate: 1.0, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 100}}
)";
};

TEST_F(OutlierTest, FifthConsecutive503EjectsUntilTheFirstTickAfter30s_Sem10_3_Sem10_4) {
  auto sink = run(kSpec, manifests(9));
  engine::SimTime ejected_at = engine::SimTime::from_ns(-1), returned_at = engine::SimTime::from_ns(-1);
  for (const auto& e : sink.events) {
    if (e.kind == "host_ejected" && ejected_at < engine::SimTime{}) {
      EXPECT_EQ(e.subject, "back-bad-0");
      ejected_at = e.time;
    }
    if (e.kind == "host_returned" && returned_at < engine::SimTime{}) returned_at = e.time;
  }
  ASSERT_GE(ejected_at, engine::SimTime{}) << "10 hosts, 10 % allows one ejection";
  ASSERT_GT(returned_at, ejected_at);
  // Ejected at the 5th 503, returned at the first 10 s interval tick at least 30 s later.
  EXPECT_GE(returned_at - ejected_at, 30 * engine::kSecond);
  EXPECT_LT(returned_at - ejected_at, 40 * engine::kSecond);
  EXPECT_EQ(returned_at.since_start() % (10 * engine::kSecond), engine::SimDuration{});
  int bad_before = 0, bad_while_ejected = 0;
  for (const auto& s : sink.spans) {
    if (s.destination_pod != "back-bad-0") continue;
    EXPECT_EQ(s.code, 503);
  }
  for (const auto& r : sink.requests) {
    if (r.code != 503) continue;
    const auto end = r.start + r.duration;
    if (end <= ejected_at) ++bad_before;
    if (end > ejected_at && r.start < returned_at) ++bad_while_ejected;
  }
  EXPECT_EQ(bad_before, 5);
  EXPECT_EQ(bad_while_ejected, 0);
}

TEST_F(OutlierTest, FourHostsWithDefaultMaxEjectionPercentNeverEject_Sem10_3) {
  auto sink = run(kSpec, manifests(3));
  for (const auto& e : sink.events) EXPECT_NE(e.kind, "host_ejected");
  int failed = 0;
  for (const auto& r : sink.requests) failed += r.code == 503;
  EXPECT_GT(failed, 1000);  // about a quarter of 6,000 requests keep failing
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

class LoadBalancingRunTest : public MeshTest {};

TEST_F(LoadBalancingRunTest, ConsistentHashOnAHeaderPinsEachUserToOnePod_Sem7_4_Sem8_4) {
  std::string clients = "  duration: 20s\n  clients:\n";
  for (const char* user : {"alice", "bob", "carol", "dave", "erin", "frank"}) {
    clients += std::string("    - {name: ") + user +
               ", from: {workload: client}, to: \"http://back:9090/\", rate: {poisson: 20}, "
               "mix: [{weight: 1, headers: {x-user: " + user + "}}]}\n";
  }
  clients += "    - {name: anonymous, from: {workload: client}, to: \"http://back:9090/\", rate: {poisson: 60}}\n";
  auto sink = run(clients, R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}
)");
  std::map<std::uint64_t, std::string> client_of;
  for (const auto& r : sink.requests) client_of[r.request_id] = r.client;
  std::map<std::string, std::set<std::string>> pods_of;
  for (const auto& s : sink.spans) pods_of[client_of[s.request_id]].insert(s.destination_pod);
  for (const auto& [client, pods] : pods_of) {
    if (client == "anonymous") {
      EXPECT_EQ(pods.size(), 3u) << "no key: a random host each time (§7.4)";
    } else {
      EXPECT_EQ(pods.size(), 1u) << client << " moved between pods";
    }
  }
  EXPECT_EQ(pods_of.size(), 7u);
}

TEST_F(LoadBalancingRunTest, RoundRobinSpreadsEvenly_Sem8_1) {
  auto sink = run(R"(  duration: 30s
  mesh: {proxyWorkers: 1}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 100}}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
)");
  std::map<std::string, int> pods;
  for (const auto& s : sink.spans) ++pods[s.destination_pod];
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& [pod, n] : pods) EXPECT_EQ(n, 1000) << pod;
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

TEST_F(ResilienceTest, ServerSidecarEnforcesTheDestinationRulePoolOverAllCallers_Sem7_3_Sem9_1) {
  // Three callers, each with its own outbound pool (one connection each: no limit bites
  // there), reach back-v2 at once. The server sidecar's inbound cluster carries the same
  // maxConnections 1 for all callers together, so the app sees one request at a time.
  std::string callers;
  std::string clients = "  duration: 1ms\n  mesh: {proxyWorkers: 1, proxyCpu: none}\n  apps:\n    back-v2: {serviceTime: 10ms}\n  clients:\n";
  for (const char* name : {"caller-a", "caller-b", "caller-c"}) {
    callers += std::string("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ") + name +
               "}\nspec:\n  selector: {matchLabels: {app: " + name + "}}\n  template:\n    metadata: {labels: {app: " +
               name + "}}\n    spec: {containers: [{name: c, image: x}]}\n";
    clients += std::string("    - {name: ") + name + ", from: {workload: " + name +
               "}, to: \"http://back:9090/\", rate: {constant: 1}, requests: 1}\n";
  }
  auto sink = run(clients, to_v2("{connectionPool: {tcp: {maxConnections: 1}}}") + callers);
  std::vector<engine::SimDuration> d;
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    d.push_back(r.duration);
  }
  std::sort(d.begin(), d.end());
  EXPECT_EQ(d, (std::vector<engine::SimDuration>{10 * engine::kMillisecond, 20 * engine::kMillisecond,
                                             30 * engine::kMillisecond}));
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

TEST_F(LoadBalancingRunTest, LocalityPrefersTheCallersZoneOnlyWithOutlierDetection_Sem7_5) {
  const std::string spec = R"(  duration: 10s
  apps:
    client: {locality: us-east/zone-a}
    back-v1: {locality: us-east/zone-a}
    back-v2: {locality: us-east/zone-b}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 200}}
)";
  auto with_od = run(spec, R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5}}
)");
  for (const auto& s : with_od.spans) EXPECT_NE(s.destination_version, "v2") << "zone-b is priority 1";
  auto without = run(spec, R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
)");
  int v2 = 0;
  for (const auto& s : without.spans) v2 += s.destination_version == "v2";
  EXPECT_GT(v2, 300) << "without outlier detection there is no locality preference at all";
}

}  // namespace
}  // namespace meshtwin
