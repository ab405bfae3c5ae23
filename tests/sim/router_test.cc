// proxy::Router alone (docs/semantics.md §4–§5): attempts, per-try and route timeouts, retry
// decisions with the retry breaker, backoff and the hosts a retry avoids — no mesh.
#include "model/proxy/router.h"

#include <gtest/gtest.h>

#include "model/telemetry/response_flags.h"

namespace meshtwin::proxy {
namespace {

using engine::kMillisecond;
using engine::kSecond;
using Decision = RetryState::Decision;
namespace flag = telemetry;

xds::Route route_with(std::uint32_t retries, engine::SimDuration per_try, engine::SimDuration route_timeout) {
  xds::Route r;
  r.timeout = route_timeout;
  xds::RetryPolicy p;
  p.num_retries = retries;
  p.retry_on = xds::kRetry5xx | xds::kRetryConnectFailure;
  p.per_try_timeout = per_try;
  r.retry = p;
  return r;
}

AttemptResult per_try_timeout() {
  AttemptResult r;
  r.outcome.kind = AttemptOutcome::Kind::PerTryTimeout;
  r.code = 504;
  r.flags = flag::kUpstreamRequestTimeout;
  return r;
}

TEST(Router, PerTryTimerAppliesOnlyBelowTheRouteTimeout) {
  Router router;
  router.reset();
  EXPECT_EQ(router.per_try_timeout(nullptr), engine::SimDuration{});  // no route, no policy: no per-try timer
  const xds::Route shorter = route_with(2, kSecond, 3 * kSecond);
  router.begin(shorter);
  EXPECT_EQ(router.per_try_timeout(&shorter), kSecond);
  const xds::Route longer = route_with(2, 3 * kSecond, 3 * kSecond);
  router.begin(longer);
  EXPECT_EQ(router.per_try_timeout(&longer), engine::SimDuration{});  // the route timeout fires first (§4.2)
  const xds::Route no_route_timeout = route_with(2, 3 * kSecond, engine::SimDuration{});
  router.begin(no_route_timeout);
  EXPECT_EQ(router.per_try_timeout(&no_route_timeout), 3 * kSecond);
}

TEST(Router, PerTryTimeoutsRetryThenRunOutWithURX) {
  const xds::Route route = route_with(2, kSecond, engine::SimDuration{});
  Router router;
  router.reset();
  router.begin(route);
  CircuitBreakerThresholds limits;
  CircuitBreakerCounters counters;
  engine::RngStream rng(1, "router-test");
  for (int attempt = 1; attempt <= 2; ++attempt) {
    EXPECT_EQ(router.begin_attempt(), attempt);
    const auto v = router.decide_after_attempt(per_try_timeout(), 0, &counters, &limits);
    EXPECT_EQ(v.decision, Decision::Retry);
    EXPECT_EQ(v.flags, flag::kUpstreamRequestTimeout);
    router.hold_retry(counters);
    EXPECT_EQ(counters.active_retries, 1u);
    // Full-jitter backoff: below 25 ms, then below 50 ms (§5.4).
    const engine::SimDuration wait = router.next_backoff(rng);
    EXPECT_GE(wait, engine::SimDuration{});
    EXPECT_LT(wait, (attempt == 1 ? 25 : 50) * kMillisecond);
    router.release_retry(&counters);
    EXPECT_EQ(counters.active_retries, 0u);
  }
  EXPECT_EQ(router.begin_attempt(), 3);
  const auto last = router.decide_after_attempt(per_try_timeout(), flag::kDelayInjected, &counters, &limits);
  EXPECT_EQ(last.decision, Decision::LimitExceeded);
  EXPECT_EQ(last.flags, flag::kDelayInjected | flag::kUpstreamRequestTimeout |
                            flag::kUpstreamRetryLimitExceeded);
}

TEST(Router, TheRetryBreakerRefusesWithUOAndHeadersSentAreFinal) {
  const xds::Route route = route_with(3, engine::SimDuration{}, engine::SimDuration{});
  Router router;
  router.reset();
  router.begin(route);
  CircuitBreakerThresholds limits;
  limits.max_retries = 1;
  CircuitBreakerCounters counters;
  counters.active_retries = 1;  // another request holds the only retry
  router.begin_attempt();
  const AttemptResult r503 = classify_attempt(UpstreamReply::Response, 503, -1, false, false);
  const auto refused = router.decide_after_attempt(r503, 0, &counters, &limits);
  EXPECT_EQ(refused.decision, Decision::Overflow);
  EXPECT_EQ(refused.flags, flag::kUpstreamOverflow);
  // A reset after the response headers went downstream cannot be retried (§5.2).
  const AttemptResult late = classify_attempt(UpstreamReply::ResetAfterHeaders, 200, -1, true, false);
  EXPECT_TRUE(late.final_only);
  EXPECT_EQ(late.flags, flag::kUpstreamRemoteReset);
  counters.active_retries = 0;
  EXPECT_EQ(router.decide_after_attempt(late, 0, &counters, &limits).decision, Decision::NoRetry);
}

TEST(Router, ClassifiesRepliesAsEnvoyLogsThem) {
  const auto refused = classify_attempt(UpstreamReply::ConnectFailure, 0, -1, false, false);
  EXPECT_EQ(refused.outcome.kind, AttemptOutcome::Kind::ConnectFailure);
  EXPECT_EQ(refused.code, 503);
  EXPECT_EQ(refused.flags, flag::kUpstreamConnectionFailure);
  const auto closed = classify_attempt(UpstreamReply::ResetBeforeHeaders, 0, -1, false, false);
  EXPECT_EQ(closed.flags, flag::kUpstreamConnectionTermination);  // HTTP/1.1: UC
  // A raw TCP connection has no status: the app's 500 closes it, as a reset does.
  const auto tcp = classify_attempt(UpstreamReply::Response, 500, -1, false, true);
  EXPECT_EQ(tcp.outcome.kind, AttemptOutcome::Kind::Reset);
  EXPECT_EQ(tcp.code, 503);
  const auto grpc = classify_attempt(UpstreamReply::Response, 200, 14, true, false);
  EXPECT_EQ(grpc.outcome.grpc_status, 14);
  EXPECT_EQ(outlier_input(grpc.outcome).status, 503);  // UNAVAILABLE counts as a 503 (§10.2)
  EXPECT_FALSE(outlier_input({AttemptOutcome::Kind::Overflow, 0, -1}).report);
  const auto timeout = outlier_input(per_try_timeout().outcome);
  EXPECT_TRUE(timeout.local_origin && timeout.timeout);
}

TEST(Router, RetriesAvoidTheHostsTriedSoFar) {
  const xds::Route route = route_with(2, engine::SimDuration{}, engine::SimDuration{});
  Router router;
  router.reset();
  router.begin(route);
  router.begin_attempt();
  EXPECT_FALSE(router.avoid_previous_hosts());  // the first attempt avoids nothing
  router.remember_host(4);
  router.begin_attempt();
  EXPECT_TRUE(router.avoid_previous_hosts());
  ASSERT_EQ(router.hosts_tried().size(), 1u);
  EXPECT_EQ(router.hosts_tried()[0], 4);
  router.forget_hosts();  // the host set changed under the retry
  EXPECT_TRUE(router.hosts_tried().empty());
  router.reset();
  EXPECT_EQ(router.attempt(), 0);
  EXPECT_EQ(router.policy(), nullptr);
}

}  // namespace
}  // namespace meshtwin::proxy
