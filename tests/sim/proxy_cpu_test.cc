// The proxy as a CPU resource (docs/semantics.md §19): relations the model must obey, not the
// published figures the defaults come from.

#include <cmath>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "mesh_fixture.h"
#include "engine/rng.h"
#include "model/proxy/worker_queue.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin {
namespace {

using engine::SimTime;
using engine::kMicrosecond;
using engine::kMillisecond;
using engine::kSecond;
using proxy::WorkerQueue;

// §19.1: a FIFO multi-server queue. Driven at twice what its workers can do, the work still to
// do grows without bound, and so does each new job's wait.
TEST(WorkerQueueTest, AtTwiceItsCapacityTheBacklogGrows) {
  WorkerQueue q(2);
  const engine::SimDuration cost = 100 * kMicrosecond;  // 2 workers: 20,000 jobs/s
  const engine::SimDuration gap = 25 * kMicrosecond;    // 40,000 jobs/s offered
  engine::SimDuration wait_at_100ms, backlog_at_100ms;
  for (SimTime t; t <= SimTime{} + 200 * kMillisecond; t += gap) {
    const SimTime done = q.serve(t, cost);
    if (t == SimTime{} + 100 * kMillisecond) {
      wait_at_100ms = done - t - cost;
      backlog_at_100ms = q.backlog(t);
    }
    if (t == SimTime{} + 200 * kMillisecond) {
      // Half the offered work is left over: the backlog doubles as the time doubles.
      EXPECT_GT(done - t - cost, wait_at_100ms + 40 * kMillisecond);
      EXPECT_GT(q.backlog(t), backlog_at_100ms + 80 * kMillisecond);
    }
  }
  EXPECT_GT(wait_at_100ms, 40 * kMillisecond);
}

// §19.1: below saturation the busy share is the offered load times the cost per job, spread
// over the workers; work after the response (off the path) counts as busy time too.
TEST(WorkerQueueTest, UtilisationIsOfferedLoadTimesCostBelowSaturation) {
  WorkerQueue q(2);
  engine::RngStream rng(7, "arrivals");
  SimTime t = engine::SimTime{};
  const double rate = 4000;  // per second; cost 300 us: 1.2 of 2 workers
  while (t < SimTime{} + 10 * kSecond) {
    const SimTime done = q.serve(t, 100 * kMicrosecond, 200 * kMicrosecond);
    EXPECT_GE(done, t + 100 * kMicrosecond);
    t += engine::SimDuration::from_ns(static_cast<std::int64_t>(-std::log1p(-rng.uniform01()) / rate * static_cast<double>(kSecond.ns())));
  }
  EXPECT_NEAR(q.utilisation(engine::SimTime{} + 10 * kSecond), 0.6, 0.02);
  EXPECT_LT(q.backlog(engine::SimTime{} + 10 * kSecond), 10 * kMillisecond) << "below saturation nothing piles up";
}

// After-response work holds the worker but not the request that caused it (§19.1).
TEST(WorkerQueueTest, AfterResponseWorkDelaysTheNextJobNotThisOne) {
  WorkerQueue q(1);
  EXPECT_EQ(q.serve(engine::SimTime{}, 40 * kMicrosecond, 100 * kMicrosecond), engine::SimTime{} + 40 * kMicrosecond);
  EXPECT_EQ(q.serve(engine::SimTime{} + 50 * kMicrosecond, 10 * kMicrosecond), engine::SimTime{} + 150 * kMicrosecond);
}

class ProxyCpuTest : public MeshTest {
 protected:
  // The `proxy_cpu` event's utilisation for the proxy of pod names starting with `prefix`.
  static double utilisation(const testing::MemorySink& sink, const std::string& prefix) {
    for (const auto& e : sink.events) {
      if (e.kind != "proxy_cpu" || e.subject.rfind(prefix, 0) != 0) continue;
      double u = -1;
      std::sscanf(e.detail.c_str(), "utilisation=%lf", &u);
      return u;
    }
    return -1;
  }
};

// §19.1, §19.5: a sidecar below saturation is busy offered load × CPU per request of the time.
// The client's own sidecar does request + response + after-response work per request.
TEST_F(ProxyCpuTest, SidecarUtilisationIsOfferedLoadTimesCost) {
  auto sink = run(R"(  duration: 20s
  mesh: {proxyWorkers: 1, proxyCpu: none}
  apps:
    client: {proxyCpu: {request: 1ms, response: 1ms, afterResponse: 2ms}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {poisson: 100}}
)");
  ASSERT_GT(sink.requests.size(), 1500u);
  const double offered = static_cast<double>(sink.requests.size()) / 20.0;
  EXPECT_NEAR(utilisation(sink, "client"), offered * 0.004, 0.02);
  // Only proxies with a cost report: back's sidecars are free here.
  EXPECT_EQ(utilisation(sink, "back"), -1);
}

// §19.1: a sidecar driven at twice its capacity queues, and its requests' latency grows over
// the run rather than settling.
TEST_F(ProxyCpuTest, SidecarAtTwiceItsCapacityHasAGrowingQueue) {
  auto sink = run(R"(  duration: 4s
  drain: 60s
  mesh: {proxyWorkers: 2, proxyCpu: none}
  apps:
    client: {proxyCpu: {request: 10ms}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 400}, timeout: 1h}
)");
  ASSERT_EQ(sink.requests.size(), 1600u);
  // 2 workers × 10 ms: 200/s served, 400/s offered.
  engine::SimDuration first_second, last_second;
  int n_first = 0, n_last = 0;
  for (const auto& r : sink.requests) {
    EXPECT_EQ(r.code, 200);
    if (r.start < SimTime{} + kSecond) first_second += r.duration, ++n_first;
    if (r.start >= SimTime{} + 3 * kSecond) last_second += r.duration, ++n_last;
  }
  const double early = engine::to_millis(first_second) / n_first;
  const double late = engine::to_millis(last_second) / n_last;
  // Each second adds half a second's worth of backlog (200 requests × 10 ms / 2 workers).
  EXPECT_GT(late, early + 1500) << early << " ms vs " << late << " ms";
  EXPECT_NEAR(utilisation(sink, "client"), 1.0, 0.01);
}

// §19.4: `proxyCpu: none` and all-zero costs are the same zero-cost proxy: identical rows,
// no proxy_cpu event (tests/golden checks the bundled scenarios against the old digests).
TEST_F(ProxyCpuTest, ZeroCostSettingsAreRowForRowTheSame) {
  const std::string body = R"(  duration: 3s
  network: {latency: 300us}
  apps: {front-v1: {serviceTime: 3ms, calls: [{to: "http://back:9090/"}]}}
  clients:
    - {name: c, from: {workload: client}, to: "http://front:8080/", rate: {poisson: 50}}
)";
  auto none = run("  mesh: {proxyCpu: none}\n" + body);
  auto zeros = run("  mesh: {proxyCpu: {request: 0s, response: 0s, afterResponse: 0s, localReply: 0s, retry: 0s, connect: 0s, clientLoop: 0s}}\n" + body);
  ASSERT_EQ(none.requests.size(), zeros.requests.size());
  ASSERT_EQ(none.spans.size(), zeros.spans.size());
  for (std::size_t i = 0; i < none.requests.size(); ++i) {
    EXPECT_EQ(none.requests[i].start, zeros.requests[i].start);
    EXPECT_EQ(none.requests[i].duration, zeros.requests[i].duration);
  }
  for (std::size_t i = 0; i < none.spans.size(); ++i) EXPECT_EQ(none.spans[i].duration, zeros.spans[i].duration);
  for (const auto& e : none.events) EXPECT_NE(e.kind, "proxy_cpu");
  // With a cost, the same requests take longer: four proxy passes per hop, two hops.
  auto costly = run("  mesh: {proxyCpu: {request: 100us, response: 100us}}\n" + body);
  ASSERT_EQ(costly.requests.size(), none.requests.size());
  for (std::size_t i = 0; i < none.requests.size(); ++i)
    EXPECT_GE(costly.requests[i].duration, none.requests[i].duration + 800 * kMicrosecond);
}

// §19.2: a local reply takes the caller sidecar's time. The istio.io circuit-breaking task's
// closed loop (fortio, -qps 0) no longer spins through its budget in zero time: every overflow
// costs the request's and the local reply's processing and the client loop.
TEST_F(ProxyCpuTest, LocalRepliesTakeTimeSoAClosedLoopDoesNotSpin) {
  const std::string manifests = R"(
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: back}
spec:
  host: back
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
)";
  const std::string body = R"(  duration: 10s
  apps: {back-v1: {serviceTime: 2ms}, back-v2: {serviceTime: 2ms}}
  network: {latency: 300us}
  clients:
    - {name: fortio, from: {workload: client}, to: "http://back:9090/", rate: {closed: {connections: 3}}, requests: 30}
)";
  auto free = run("  mesh: {proxyCpu: none}\n" + body, manifests);
  auto costly = run("  mesh: {proxyCpu: {request: 60us, response: 40us, afterResponse: 100us, localReply: 40us, connect: 200us, clientLoop: 50us}}\n" + body, manifests);
  int free_uo = 0, costly_uo = 0;
  for (const auto& r : free.requests) free_uo += (r.flags & telemetry::kUpstreamOverflow) != 0;
  for (const auto& r : costly.requests) {
    if (!(r.flags & telemetry::kUpstreamOverflow)) continue;
    ++costly_uo;
    EXPECT_GE(r.duration, 100 * kMicrosecond) << "request (60us) + local reply (40us)";
  }
  ASSERT_EQ(costly.requests.size(), 30u);
  ASSERT_GT(free_uo, 0);
  EXPECT_LT(costly_uo, free_uo) << "costly " << costly_uo << " vs free " << free_uo;
}

// §19.3: a workload's own proxyCpu keys replace the mesh's; the keys it leaves out keep them.
TEST_F(ProxyCpuTest, WorkloadCostsOverrideTheMeshKeyByKey) {
  auto sink = run(R"(  duration: 10s
  mesh: {proxyWorkers: 1, proxyCpu: {request: 1ms, response: 1ms}}
  apps:
    client: {proxyCpu: {afterResponse: 8ms}}
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 50}}
)");
  ASSERT_EQ(sink.requests.size(), 500u);
  // client: 1 + 1 + 8 ms per request at 50/s = 0.5; back's pods share the requests at 2 ms each.
  EXPECT_NEAR(utilisation(sink, "client"), 0.5, 0.01);
  for (const auto& e : sink.events) {
    if (e.kind != "proxy_cpu" || e.subject.rfind("back", 0) != 0) continue;
    double u = -1;
    std::sscanf(e.detail.c_str(), "utilisation=%lf", &u);
    EXPECT_GT(u, 0);
    EXPECT_LT(u, 0.1);
  }
}

TEST_F(ProxyCpuTest, BadProxyCpuIsAnError) {
  write("scenario.yaml", "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
                         "spec:\n  manifests: [base.yaml]\n  mesh: {proxyCpu: lots}\n  duration: 1s\n");
  config::Diagnostics diags;
  scenario::load_scenario((dir_ / "scenario.yaml").string(), {}, diags);
  bool found = false;
  for (const auto& d : diags.items())
    if (d.severity == config::Severity::Error && d.format().find("proxyCpu must be `none`") != std::string::npos)
      found = true;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace meshtwin
