// The timeline (docs/design.md §3.2, docs/semantics.md §13, §15): config pushed to each proxy after its own
// delay, pods killed, scaled and started, app and client changes, rollouts.

#include <algorithm>
#include <set>

#include "mesh_fixture.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin {
namespace {

using telemetry::format_response_flags;

constexpr const char* kRoutes = R"(
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
  - route: [{destination: {host: back, subset: v1}}]
)";

constexpr const char* kAllToV2 = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v2}}]
)";

class TimelineRunTest : public MeshTest {};

TEST_F(TimelineRunTest, EachProxyRoutesByTheNewConfigOnlyAfterItsOwnPushDelay_Sem15) {
  write("v2.yaml", kAllToV2);
  // Three client pods, so three proxies receive the push at different times.
  write("clients.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: caller}
spec:
  replicas: 3
  selector: {matchLabels: {app: caller}}
  template:
    metadata: {labels: {app: caller}}
    spec: {containers: [{name: c, image: x}]}
)");
  auto sink = run(R"(  duration: 20s
  manifests: [base.yaml, extra.yaml, clients.yaml]
  mesh: {configPushDelay: {uniform: {min: 200ms, max: 3s}}}
  timeline:
    - {at: 10s, apply: [v2.yaml]}
  clients:
    - {name: c, from: {workload: caller}, to: "http://back:9090/", rate: {poisson: 200}}
)",
                  kRoutes);
  std::map<std::string, engine::SimTime> applied;  // proxy -> time it got version 2
  for (const auto& e : sink.events)
    if (e.kind == "config_applied" && e.detail == "2") applied[e.subject] = e.time;
  ASSERT_GE(applied.size(), 3u);
  std::set<engine::SimTime> distinct;
  for (const auto& [proxy, t] : applied) {
    EXPECT_GE(t, engine::SimTime{} + 10 * engine::kSecond + 300 * engine::kMillisecond) << proxy;  // debounce + min
    EXPECT_LE(t, engine::SimTime{} + 10 * engine::kSecond + 3100 * engine::kMillisecond) << proxy;
    distinct.insert(t);
  }
  EXPECT_GE(distinct.size(), 2u) << "proxies should disagree for a while";
  int checked = 0;
  for (const auto& s : sink.spans) {
    if (s.source_workload != "caller") continue;
    const auto it = applied.find(s.source_pod);
    ASSERT_NE(it, applied.end());
    if (s.start >= it->second) {
      EXPECT_EQ(s.destination_version, "v2") << s.source_pod << " at " << s.start.ns();
    } else {
      EXPECT_EQ(s.destination_version, "v1") << s.source_pod << " at " << s.start.ns();
    }
    ++checked;
  }
  EXPECT_GT(checked, 3000);
}

TEST_F(TimelineRunTest, CrashedPodGetsNoNewRequestsOnceItsRemovalArrives_Sem13) {
  auto sink = run(R"(  duration: 30s
  mesh: {proxyCpu: none, configPushDelay: 500ms}
  apps:
    back-v1: {serviceTime: 50ms}
  timeline:
    - {at: 10s, kill: {deployment: back-v1, count: 1, mode: crash}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)",
                  kRoutes);
  engine::SimTime killed_at = engine::SimTime::from_ns(-1), removal_at = engine::SimTime::from_ns(-1);
  std::string victim;
  for (const auto& e : sink.events) {
    if (e.kind == "pod_killed") {
      killed_at = e.time;
      victim = e.subject;
    }
    if (e.kind == "config_applied" && e.subject == "client-0" && e.time > engine::SimTime{} + 10 * engine::kSecond &&
        removal_at < engine::SimTime{})
      removal_at = e.time;
  }
  ASSERT_EQ(killed_at, engine::SimTime{} + 10 * engine::kSecond);
  EXPECT_EQ(victim, "back-v1-1") << "the newest pod";
  ASSERT_GT(removal_at, killed_at);
  int reset_in_flight = 0, after_removal = 0;
  for (const auto& s : sink.spans) {
    if (s.destination_pod != victim) continue;
    if (s.start + s.duration == killed_at) {
      ++reset_in_flight;
      EXPECT_EQ(format_response_flags(s.flags & ~telemetry::kUpstreamRetryLimitExceeded), "UC");
    }
    if (s.start >= removal_at) ++after_removal;
  }
  EXPECT_GT(reset_in_flight, 0) << "requests in flight on the crashed pod end with a reset";
  EXPECT_EQ(after_removal, 0);
  bool replacement = false;
  for (const auto& e : sink.events) replacement |= e.kind == "pod_started" && e.subject == "back-v1-2";
  EXPECT_TRUE(replacement) << "the Deployment replaces the pod with the next ordinal";
}

TEST_F(TimelineRunTest, ScaleUpAddsPodsThatServeOnlyOnceReady_Sem13) {
  auto sink = run(R"(  duration: 40s
  timeline:
    - {at: 5s, scale: {deployment: back-v2, replicas: 3}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)",
                  std::string(kRoutes) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back, subset: v2}}]
)");
  std::map<std::string, engine::SimTime> ready;
  for (const auto& e : sink.events)
    if (e.kind == "pod_ready") ready[e.subject] = e.time;
  ASSERT_EQ(ready.size(), 2u);
  ASSERT_TRUE(ready.count("back-v2-1"));
  ASSERT_TRUE(ready.count("back-v2-2"));
  std::set<std::string> served;
  for (const auto& s : sink.spans) {
    served.insert(s.destination_pod);
    auto it = ready.find(s.destination_pod);
    if (it != ready.end()) EXPECT_GT(s.start, it->second) << s.destination_pod;
  }
  EXPECT_EQ(served.size(), 3u);
}

// A caller without a sidecar goes through kube-proxy to a random ready pod of the Service
// (docs/design.md §3.1): the pods the timeline adds serve once ready, and a crashed pod is no
// longer picked once it is gone from the Service's endpoints (before the fix kube-proxy kept
// picking from the pods that existed when the run was built).
TEST_F(TimelineRunTest, CallersWithoutASidecarFollowTheServicesCurrentReadyPods_Design3_1) {
  auto sink = run(R"(  duration: 40s
  timeline:
    - {at: 5s, scale: {deployment: back-v2, replicas: 3}}
    - {at: 5s, kill: {pods: [back-v1-0], mode: crash}}
  clients:
    - {name: c, from: {workload: plain}, to: "http://back:9090/", rate: {poisson: 200}}
)",
                  R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain}
spec:
  selector: {matchLabels: {app: plain}}
  template:
    metadata: {labels: {app: plain}, annotations: {sidecar.istio.io/inject: "false"}}
    spec: {containers: [{name: c, image: x}]}
)");
  engine::SimTime last_ready{};
  for (const auto& e : sink.events)
    if (e.kind == "pod_ready") last_ready = std::max(last_ready, e.time);
  ASSERT_GT(last_ready, engine::SimTime{} + 5 * engine::kSecond) << "the scale-up and the replacement became ready";
  ASSERT_LT(last_ready, engine::SimTime{} + 20 * engine::kSecond);
  // Without a client sidecar no span names the pod; the version tells the pods apart: from 20s
  // on the Service has v1-1, v1-2 (the crashed pod's replacement), v2-0, v2-1 and v2-2.
  int after = 0, v2 = 0, failed = 0;
  for (const auto& r : sink.requests) {
    if (r.start < engine::SimTime{} + 20 * engine::kSecond) continue;
    ++after;
    v2 += r.destination_version == "v2" ? 1 : 0;
    failed += r.code != 200 ? 1 : 0;
  }
  ASSERT_GT(after, 3000);
  EXPECT_EQ(failed, 0) << "the crashed pod is still picked";
  // 3 of 5 ready pods are v2 (kube-proxy before the fix kept the build-time 1 of 3).
  EXPECT_NEAR(static_cast<double>(v2) / after, 0.6, 0.04);
}

TEST_F(TimelineRunTest, AppAndClientChangesTakeEffectAtTheirTime_Design3_2) {
  auto sink = run(R"(  duration: 20s
  timeline:
    - {at: 10s, app: {back-v1: {failures: [{rate: 1.0, kind: status, status: 500}]}}}
    - {at: 10s, client: {c: {rate: {constant: 50}}}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)",
                  kRoutes);
  int before = 0, after = 0;
  for (const auto& r : sink.requests) {
    if (r.start < engine::SimTime{} + 10 * engine::kSecond) {
      ++before;
      EXPECT_EQ(r.code, 200);
    } else {
      ++after;
      EXPECT_EQ(r.code, 500);
    }
  }
  EXPECT_EQ(before, 100);
  EXPECT_NEAR(after, 500, 2);
}

// Issue 11 §4: a rate change is a new arrival process from its `at`. Switching an active open
// client to a closed loop keeps both connections going until the end (it used to send one more
// request and stop).
TEST_F(TimelineRunTest, OpenClientSwitchedToClosedLoopKeepsSending_Issue11) {
  auto sink = run(R"(  duration: 20s
  apps: {back-v1: {serviceTime: 10ms}}
  timeline:
    - {at: 10s, client: {c: {rate: {closed: {connections: 2, thinkTime: 90ms}}}}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)",
                  kRoutes);
  int before = 0, after = 0, late = 0;
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    if (r.start < engine::SimTime{} + 10 * engine::kSecond) ++before;
    else ++after;
    if (r.start >= engine::SimTime{} + 19 * engine::kSecond) ++late;
  }
  EXPECT_EQ(before, 100);
  // Two loops of 10 ms service + 90 ms think: 20 a second for 10 s (the old process's arrival
  // pending at 10 s is dropped).
  EXPECT_GE(after, 190);
  EXPECT_LE(after, 201);
  EXPECT_GE(late, 18) << "the closed loop must still be running in the last second";
}

// A client without a rate waits for the timeline; its first rate starts it at the step's `at`.
TEST_F(TimelineRunTest, ClientGivenItsFirstRateByTheTimelineStarts_Issue11) {
  auto sink = run(R"(  duration: 10s
  timeline:
    - {at: 4s, client: {c: {rate: {constant: 10}}}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/"}
)",
                  kRoutes);
  ASSERT_EQ(sink.requests.size(), 60u);
  for (const auto& r : sink.requests) EXPECT_GE(r.start, engine::SimTime{} + 4 * engine::kSecond);
}

// A new rate takes effect at its `at`, not after the old process's next (distant) arrival.
TEST_F(TimelineRunTest, NewRateDoesNotWaitForTheOldProcessesNextArrival_Issue11) {
  auto sink = run(R"(  duration: 6s
  timeline:
    - {at: 5s, client: {c: {rate: {poisson: 200}}}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 0.001}, start: 1s}
)",
                  kRoutes);
  int in_last_second = 0;
  for (const auto& r : sink.requests) {
    EXPECT_GE(r.start, engine::SimTime{} + 1 * engine::kSecond);
    if (r.start >= engine::SimTime{} + 5 * engine::kSecond) ++in_last_second;
  }
  EXPECT_GE(in_last_second, 150);
}

// The istio.io circuit-breaking task on one sidecar (maxConnections 1, http1MaxPendingRequests
// 1, one proxy worker): a single request, then a closed loop of 2 connections × 20 requests,
// then 3 × 30. Each run has its own budget; overflows (503 UO, answered by the caller's own
// sidecar) appear once the connections exceed connection + queue, and the count accumulates.
TEST_F(TimelineRunTest, CircuitBreakingSequenceOfClosedLoopRuns_Issue11) {
  auto sink = run(R"(  duration: 30s
  mesh: {proxyCpu: none, proxyWorkers: 1}
  apps: {back-v1: {serviceTime: 20ms}, back-v2: {serviceTime: 20ms}}
  timeline:
    - {at: 5s, client: {fortio: {rate: {closed: {connections: 2}}, requests: 20}}}
    - {at: 15s, client: {fortio: {rate: {closed: {connections: 3}}, requests: 30}}}
  clients:
    - {name: fortio, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 1}}, requests: 1}
)",
                  R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
)");
  int runs[3] = {}, ok[3] = {}, overflow[3] = {};
  for (const auto& r : sink.requests) {
    const int run = r.start < engine::SimTime{} + 5 * engine::kSecond ? 0 : r.start < engine::SimTime{} + 15 * engine::kSecond ? 1 : 2;
    ++runs[run];
    if (r.code == 200) ++ok[run];
    if (r.flags & telemetry::kUpstreamOverflow) {
      ++overflow[run];
      EXPECT_EQ(r.code, 503);
      EXPECT_EQ(r.duration, engine::SimDuration{}) << "an overflow is the caller sidecar's own immediate reply";
    }
  }
  EXPECT_EQ(runs[0], 1);
  EXPECT_EQ(ok[0], 1);
  EXPECT_EQ(runs[1], 20);
  EXPECT_EQ(runs[2], 30);
  EXPECT_EQ(ok[1] + overflow[1], 20);
  EXPECT_EQ(ok[2] + overflow[2], 30);
  // The third connection has neither the connection nor the queue slot: the 3 × 30 run
  // overflows in a larger share than the 2 × 20 one (whose overflows come from the moments a
  // finished request's connection is being replaced, maxRequestsPerConnection 1).
  EXPECT_GT(overflow[2], 0);
  EXPECT_GT(overflow[2] * 20, overflow[1] * 30) << overflow[1] << " of 20, " << overflow[2] << " of 30";
  EXPECT_GT(ok[2], 0);
  std::uint64_t total_overflow = 0;
  for (const auto& r : sink.requests) total_overflow += (r.flags & telemetry::kUpstreamOverflow) != 0;
  EXPECT_EQ(total_overflow, static_cast<std::uint64_t>(overflow[1] + overflow[2]));
}

// Issue 11 §6 / docs/semantics.md §1.5: a client's `authority` picks the virtual host, its URL
// the listener and route table: sent to back:9090 with Host `other`, the request is routed by
// other's virtual host on the port-9090 table (other is a second Service on 9090).
TEST_F(TimelineRunTest, ClientAuthorityPicksTheVirtualHostOnTheUrlsPort_Issue11) {
  auto sink = run(R"(  duration: 2s
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", authority: "other:9090", rate: {constant: 10}}
    - {name: d, from: {workload: client}, to: "http://back:9090/", rate: {constant: 10}}
)",
                  R"(
apiVersion: v1
kind: Service
metadata: {name: other}
spec:
  selector: {app: front}
  ports: [{name: http, port: 9090, targetPort: 8080}]
)");
  int c = 0, d = 0;
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    if (r.client == "c") {
      ++c;
      EXPECT_EQ(r.destination_service, "other.default.svc.cluster.local");
    } else {
      ++d;
      EXPECT_EQ(r.destination_service, "back.default.svc.cluster.local");
    }
  }
  EXPECT_EQ(c, 20);
  EXPECT_EQ(d, 20);
}

TEST_F(TimelineRunTest, RolloutShiftsWeightsStepByStep_Sem3_3) {
  auto sink = run(R"(  duration: 30s
  mesh: {configPushDelay: 0s}
  rollout: {virtualService: back, stable: v1, canary: v2, steps: [20, {pause: 10s}, 50, {pause: 10s}, 100]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 400}}
)",
                  kRoutes);
  double windows[3][2] = {};
  for (const auto& s : sink.spans) {
    const auto w = std::min<std::size_t>(2, static_cast<std::size_t>(s.start.since_start() / (10 * engine::kSecond)));
    if (s.start.since_start() % (10 * engine::kSecond) < engine::kSecond) continue;  // skip the push window
    windows[w][0] += 1;
    windows[w][1] += s.destination_version == "v2";
  }
  EXPECT_NEAR(windows[0][1] / windows[0][0], 0.2, 0.03);
  EXPECT_NEAR(windows[1][1] / windows[1][0], 0.5, 0.03);
  EXPECT_NEAR(windows[2][1] / windows[2][0], 1.0, 1e-9);
  int steps = 0;
  for (const auto& e : sink.events) steps += e.kind == "rollout_step";
  EXPECT_EQ(steps, 3);
}

}  // namespace
}  // namespace meshtwin

namespace meshtwin {
namespace {

TEST_F(TimelineRunTest, ChangedDeploymentTemplateRollsOutWithSurgeAndNoUnavailability_Design3_2) {
  write("back-v1-new.yaml", R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: back-v1}
spec:
  replicas: 2
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: back, version: v1}}
  template:
    metadata: {labels: {app: back, version: v1}, annotations: {release: "2"}}
    spec: {containers: [{name: back, image: y, ports: [{containerPort: 9090}]}]}
)");
  auto sink = run(R"(  duration: 90s
  apps:
    back-v1: {serviceTime: 5ms}
  timeline:
    - {at: 5s, apply: [back-v1-new.yaml]}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)",
                  kRoutes);
  std::vector<std::string> started, killed;
  bool finished = false;
  std::map<std::string, engine::SimTime> ready_at, killed_at;
  for (const auto& e : sink.events) {
    if (e.kind == "pod_started") started.push_back(e.subject);
    if (e.kind == "pod_ready") ready_at[e.subject] = e.time;
    if (e.kind == "pod_killed") {
      killed.push_back(e.subject);
      killed_at[e.subject] = e.time;
      EXPECT_EQ(e.detail, "graceful");
    }
    finished |= e.kind == "rollout_finished";
  }
  EXPECT_EQ(started, (std::vector<std::string>{"back-v1-2", "back-v1-3"}));
  EXPECT_EQ(killed, (std::vector<std::string>{"back-v1-0", "back-v1-1"}));
  // maxUnavailable 0: an old pod stops only after a new one is ready.
  ASSERT_TRUE(ready_at.count("back-v1-2") && ready_at.count("back-v1-3"));
  EXPECT_GE(killed_at["back-v1-0"], ready_at["back-v1-2"]);
  EXPECT_GE(killed_at["back-v1-1"], ready_at["back-v1-3"]);
  EXPECT_TRUE(finished);
  for (const auto& r : sink.requests) EXPECT_EQ(r.code, 200) << "a graceful rollout drops nothing";
}

// docs/semantics.md §11.1 and §15: a ReferenceGrant deleted on the timeline stops permitting the
// cross-namespace backendRef once the push reaches the gateway (Gateway API
// BackendObjectReference.namespace needs a ReferenceGrant in the referent namespace; istiod
// re-translates the route on the grant's removal and the refused backend answers 500). Before the
// gateway's push every request reaches `back`; after it every one gets the gateway's 500 NC.
TEST_F(TimelineRunTest, DeletedReferenceGrantTakesEffectAfterThePushDelay_Sem11_1) {
  write("gateway.yaml", R"(
apiVersion: v1
kind: Namespace
metadata: {name: infra}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-back, namespace: infra}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: back, namespace: default, port: 9090}]}]
)");
  write("grant.yaml", R"(
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: infra-routes, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: infra}]
  to: [{group: "", kind: Service, name: back}]
)");
  auto sink = run(R"(  duration: 20s
  manifests: [base.yaml, gateway.yaml, grant.yaml]
  mesh: {configPushDelay: 2s}
  timeline:
    - {at: 10s, delete: grant.yaml}
  clients:
    - {name: c, from: {workload: client}, to: "http://gw-istio.infra:80/", rate: {poisson: 100}}
)");
  engine::SimTime gateway_applied = engine::SimTime::from_ns(-1);
  for (const auto& e : sink.events)
    if (e.kind == "config_applied" && e.detail == "2" && e.subject.starts_with("gw-istio")) gateway_applied = e.time;
  ASSERT_GE(gateway_applied, engine::SimTime{} + 10 * engine::kSecond + 2 * engine::kSecond);  // the push delay, not the deletion time
  int before = 0, after = 0;
  for (const auto& s : sink.spans) {
    if (s.source_workload != "gw-istio") continue;
    if (s.start < gateway_applied) {
      EXPECT_EQ(s.code, 200) << s.start.ns();
      EXPECT_EQ(s.cluster, "outbound|9090||back.default.svc.cluster.local") << s.start.ns();
      ++before;
    } else {
      EXPECT_EQ(s.code, 500) << s.start.ns();
      EXPECT_EQ(format_response_flags(s.flags), "NC") << s.start.ns();
      ++after;
    }
  }
  EXPECT_GT(before, 900);  // 12 s at 100/s
  EXPECT_GT(after, 600);   // the last 8 s
  // What the client sees follows the gateway: 200s, then 500s.
  for (const auto& r : sink.requests) EXPECT_TRUE(r.code == 200 || r.code == 500) << r.code;
}

}  // namespace
}  // namespace meshtwin
