// The simulate half on small hand-made meshes: local replies (NR, NC, UH, FI), the app model
// (workers and FIFO queue, calls, timeouts, attempts, onFailure, degraded calls), clients
// (caps, closed loop, client timeout) and determinism. Each test names the docs/semantics.md or
// docs/design.md section it pins.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "mesh_fixture.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin {
namespace {

using telemetry::format_response_flags;

constexpr const char* kClientToBack = R"(  duration: 10s
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/items", rate: {constant: 100}}
)";

TEST_F(MeshTest, NoVirtualServiceUsesTheDefaultRouteOverAllPods_Sem2_6) {
  auto sink = run(kClientToBack);
  ASSERT_EQ(sink.requests.size(), 1000u);
  EXPECT_EQ(codes(sink)[200], 1000);
  std::map<std::string, int> pods;
  for (const auto& s : sink.spans) {
    EXPECT_EQ(s.cluster, "outbound|9090||back.default.svc.cluster.local");
    ++pods[s.destination_pod];
  }
  EXPECT_EQ(pods.size(), 3u);  // back-v1-0, back-v1-1, back-v2-0
  EXPECT_EQ(pods.count("back-v1-1"), 1u);
}

TEST_F(MeshTest, VsOwningTheHostWithNoMatchingRuleIs404NR_Sem2_5) {
  auto sink = run(kClientToBack, R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - match: [{uri: {prefix: /admin}}]
    route: [{destination: {host: back}}]
)");
  ASSERT_EQ(sink.requests.size(), 1000u);
  EXPECT_EQ(codes(sink)[404], 1000);
  EXPECT_EQ(format_response_flags(sink.requests[0].flags), "NR");
  ASSERT_FALSE(sink.spans.empty());
  EXPECT_EQ(sink.spans[0].kind, telemetry::SpanKind::LocalReply);
}

TEST_F(MeshTest, UndefinedSubsetIs503NC_Sem3_2) {
  auto sink = run(kClientToBack, R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v9}}]
)");
  EXPECT_EQ(codes(sink)[503], 1000);
  EXPECT_EQ(format_response_flags(sink.requests[0].flags), "NC");
}

TEST_F(MeshTest, SubsetWithNoPodsIs503UH_Sem3_2) {
  auto sink = run(kClientToBack, R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  subsets: [{name: v3, labels: {version: v3}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v3}}]
)");
  EXPECT_EQ(codes(sink)[503], 1000);
  EXPECT_EQ(format_response_flags(sink.requests[0].flags), "UH");
}

TEST_F(MeshTest, HeaderMatchAndMixSplitTraffic_Sem2_3) {
  auto sink = run(R"(  duration: 100s
  clients:
    - name: c
      from: {workload: client}
      to: "http://back:9090/items"
      rate: {poisson: 100}
      mix:
        - {weight: 3}
        - {weight: 1, headers: {x-canary: "yes"}}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - match: [{headers: {x-canary: {exact: "yes"}}}]
    route: [{destination: {host: back, subset: v2}}]
  - route: [{destination: {host: back, subset: v1}}]
)");
  double v2 = 0, total = 0;
  for (const auto& r : sink.requests) {
    total += 1;
    v2 += r.destination_version == "v2";
    EXPECT_EQ(r.code, 200);
  }
  ASSERT_GT(total, 9000);
  EXPECT_NEAR(v2 / total, 0.25, 0.02);
}

TEST_F(MeshTest, FaultAbortNeverReachesTheUpstream_Sem6) {
  auto sink = run(kClientToBack, R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: back}}]
)");
  EXPECT_EQ(codes(sink)[418], 1000);
  EXPECT_EQ(format_response_flags(sink.requests[0].flags), "FI");
  for (const auto& s : sink.spans) EXPECT_EQ(s.kind, telemetry::SpanKind::LocalReply);
}

TEST_F(MeshTest, FaultDelayAddsToLatencyAndSetsDI_Sem6) {
  // Exact timings: the zero-cost proxy (docs/semantics.md §19.4).
  auto sink = run(std::string("  mesh: {proxyCpu: none}\n") + kClientToBack, R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - fault: {delay: {fixedDelay: 7s, percentage: {value: 100}}}
    route: [{destination: {host: back}}]
    timeout: 1s
)");
  ASSERT_EQ(sink.requests.size(), 1000u);
  // The delay sits before the router, so the 1 s route timeout does not count it (§4.1, §6).
  EXPECT_EQ(codes(sink)[200], 1000);
  EXPECT_EQ(format_response_flags(sink.requests[0].flags), "DI");
  EXPECT_EQ(sink.requests[0].duration, 7 * engine::kSecond);
}

TEST_F(MeshTest, WorkersQueueFifoAndServiceTimeAddsUp_Design3_2) {
  // One worker, 10 ms of work, 3 requests arriving together at t=0: they finish at 10, 20
  // and 30 ms, in arrival order.
  auto sink = run(R"(  duration: 1ms
  mesh: {proxyCpu: none}  # exact timings: the zero-cost proxy (docs/semantics.md §19.4)
  apps:
    back-v2: {workers: 1, serviceTime: 10ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 3}}, requests: 3}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  subsets: [{name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v2}}]
)");
  ASSERT_EQ(sink.requests.size(), 3u);
  std::vector<engine::SimDuration> durations;
  for (const auto& r : sink.requests) durations.push_back(r.duration);
  std::sort(durations.begin(), durations.end());
  EXPECT_EQ(durations, (std::vector<engine::SimDuration>{10 * engine::kMillisecond,
                                                     20 * engine::kMillisecond,
                                                     30 * engine::kMillisecond}));
}

TEST_F(MeshTest, AppTimeoutResetsTheStreamWithDCAndRetriesPerAttempts_Design3_2) {
  // back-v1 always takes 5 s; front calls it with a 1 s timeout and 3 attempts, then
  // continues: the page is 200 with one degraded call; each abandoned attempt is a span with
  // code 0 and DC.
  auto sink = run(R"(  duration: 1s
  mesh: {proxyCpu: none}  # exact timings: the zero-cost proxy (docs/semantics.md §19.4)
  apps:
    front-v1:
      calls: [{to: "http://back:9090/", timeout: 1s, attempts: 3, onFailure: continue}]
    back-v1: {serviceTime: 5s}
    back-v2: {serviceTime: 5s}
  clients:
    - {name: c, from: {workload: client}, to: "http://front:8080/", rate: {constant: 1}, requests: 1}
)");
  ASSERT_EQ(sink.requests.size(), 1u);
  EXPECT_EQ(sink.requests[0].code, 200);
  EXPECT_EQ(sink.requests[0].duration, 3 * engine::kSecond);
  int abandoned = 0;
  for (const auto& s : sink.spans) {
    if (s.source_workload != "front-v1") continue;
    EXPECT_EQ(s.code, 0);
    EXPECT_EQ(format_response_flags(s.flags), "DC");
    ++abandoned;
    EXPECT_EQ(s.app_attempt, abandoned);
  }
  EXPECT_EQ(abandoned, 3);
}

TEST_F(MeshTest, OnFailureFailAnswersErrorStatus_Design3_2) {
  auto sink = run(R"(  duration: 1s
  apps:
    front-v1:
      errorStatus: 502
      calls: [{to: "http://back:9090/", onFailure: fail}]
    back-v1: {failures: [{rate: 1.0, kind: status, status: 503}]}
    back-v2: {failures: [{rate: 1.0, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://front:8080/", rate: {constant: 10}}
)");
  ASSERT_EQ(sink.requests.size(), 10u);
  EXPECT_EQ(codes(sink)[502], 10);
  // Istio's default retry policy does not retry an upstream 503 (§5.1): one attempt each.
  for (const auto& s : sink.spans)
    if (s.source_workload == "front-v1") EXPECT_EQ(s.attempt, 1);
}

TEST_F(MeshTest, Istio123RetriesUpstream503ByDefault_Sem5_1) {
  auto sink = run(R"(  duration: 1s
  mesh: {istioVersion: "1.23"}
  apps:
    back-v1: {failures: [{rate: 1.0, kind: status, status: 503}]}
    back-v2: {failures: [{rate: 1.0, kind: status, status: 503}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)");
  ASSERT_EQ(sink.requests.size(), 10u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 503);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_EQ(format_response_flags(r.flags), "URX");
  }
}

TEST_F(MeshTest, DegradedCallsCountAcrossTheTree_Design3_3) {
  auto sink = run(R"(  duration: 1s
  apps:
    front-v1:
      calls:
        - parallel:
            - {to: "http://back:9090/a", onFailure: continue}
            - {to: "http://back:9090/b", onFailure: continue}
    back-v1: {failures: [{rate: 1.0, kind: status, status: 500}]}
    back-v2: {failures: [{rate: 1.0, kind: status, status: 500}]}
  clients:
    - {name: c, from: {workload: client}, to: "http://front:8080/", rate: {constant: 5}}
)");
  ASSERT_EQ(sink.requests.size(), 5u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    EXPECT_EQ(r.degraded, 2);  // both parallel calls failed and were absorbed
  }
}

TEST_F(MeshTest, ClientTimeoutIsCodeZeroDC_Design3_2) {
  auto sink = run(R"(  duration: 1s
  apps:
    back-v1: {serviceTime: 10s}
    back-v2: {serviceTime: 10s}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 4}, timeout: 2s}
)");
  ASSERT_EQ(sink.requests.size(), 4u);
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(format_response_flags(r.flags), "DC");
    EXPECT_EQ(r.duration, 2 * engine::kSecond);
  }
}

TEST_F(MeshTest, RequestCapAndClosedLoop_Design3_2) {
  auto sink = run(R"(  duration: 100s
  apps:
    back-v1: {serviceTime: 10ms}
    back-v2: {serviceTime: 10ms}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 2, thinkTime: 5ms}}, requests: 50}
)");
  EXPECT_EQ(sink.requests.size(), 50u);
  // Two connections, 15 ms per cycle each: 50 requests end by about 0.4 s.
  engine::SimTime last = engine::SimTime{};
  for (const auto& r : sink.requests) last = std::max(last, r.start + r.duration);
  EXPECT_LE(last, engine::SimTime{} + 400 * engine::kMillisecond);
}

TEST_F(MeshTest, SameSeedSameRowsDifferentSeedDifferentRows_Design2) {
  const std::string spec = R"(  duration: 5s
  network: {latency: {exponential: {mean: 1ms}}}
  apps:
    back-v1: {serviceTime: {lognormal: {p50: 2ms, p99: 20ms}}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 200}}
)";
  auto a = run("  seed: 5\n" + spec);
  auto b = run("  seed: 5\n" + spec);
  auto c = run("  seed: 6\n" + spec);
  ASSERT_EQ(a.requests.size(), b.requests.size());
  for (std::size_t i = 0; i < a.requests.size(); ++i) {
    EXPECT_EQ(a.requests[i].start, b.requests[i].start);
    EXPECT_EQ(a.requests[i].duration, b.requests[i].duration);
  }
  EXPECT_NE(a.requests.size() == c.requests.size() &&
                a.requests.back().duration == c.requests.back().duration,
            true);
}

}  // namespace
}  // namespace meshtwin
