// The retry decision and backoff (docs/semantics.md §5.1–5.4).
#include "model/proxy/retry_state.h"

#include <gtest/gtest.h>

namespace meshtwin::proxy {
namespace {

using Kind = AttemptOutcome::Kind;
using Decision = RetryState::Decision;

xds::RetryPolicy istio_default() {
  // §5.1: Istio's default policy since 1.24.
  xds::RetryPolicy p;
  p.num_retries = 2;
  p.retry_on = xds::parse_retry_on(
      "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
      &p.retriable_status_codes);
  return p;
}

AttemptOutcome response(int status, int grpc = -1) { return {Kind::Response, status, grpc}; }
AttemptOutcome failure(Kind k) { return {k, 0, -1}; }

TEST(RetryStateTest, IstioDefaultDoesNotRetryUpstream503_Sem5_1) {
  const auto policy = istio_default();
  RetryState state(&policy);
  EXPECT_EQ(state.decide(response(503), true), Decision::NoRetry);
  EXPECT_EQ(state.decide(response(500), true), Decision::NoRetry);
  EXPECT_EQ(state.decide(failure(Kind::Reset), true), Decision::NoRetry);
  EXPECT_EQ(state.decide(failure(Kind::PerTryTimeout), true), Decision::NoRetry);
}

TEST(RetryStateTest, IstioDefaultRetriesConnectFailureTwiceThenURX_Sem5_2) {
  const auto policy = istio_default();
  RetryState state(&policy);
  EXPECT_EQ(state.decide(failure(Kind::ConnectFailure), true), Decision::Retry);
  EXPECT_EQ(state.decide(failure(Kind::RefusedStream), true), Decision::Retry);
  EXPECT_EQ(state.decide(failure(Kind::ConnectFailure), true), Decision::LimitExceeded);
  EXPECT_EQ(state.retries_done(), 2);
}

TEST(RetryStateTest, IstioDefaultRetriesGrpcUnavailableAndCancelledOnly_Sem5_3) {
  const auto policy = istio_default();
  RetryState a(&policy);
  EXPECT_EQ(a.decide(response(200, 14), true), Decision::Retry);
  RetryState b(&policy);
  EXPECT_EQ(b.decide(response(200, 1), true), Decision::Retry);
  RetryState c(&policy);
  EXPECT_EQ(c.decide(response(200, 13), true), Decision::NoRetry);
}

TEST(RetryStateTest, Istio123RetriedUpstream503_Sem5_1) {
  auto policy = istio_default();
  policy.retriable_status_codes = {503};
  RetryState state(&policy);
  EXPECT_EQ(state.decide(response(503), true), Decision::Retry);
  EXPECT_EQ(state.decide(response(500), true), Decision::NoRetry);
}

TEST(RetryStateTest, FiveXxCoversResetsAndPerTryTimeouts_Sem5_3) {
  xds::RetryPolicy p;
  p.num_retries = 5;
  p.retry_on = xds::parse_retry_on("5xx", &p.retriable_status_codes);
  RetryState state(&p);
  EXPECT_EQ(state.decide(response(500), true), Decision::Retry);
  EXPECT_EQ(state.decide(response(599), true), Decision::Retry);
  EXPECT_EQ(state.decide(failure(Kind::Reset), true), Decision::Retry);
  EXPECT_EQ(state.decide(failure(Kind::PerTryTimeout), true), Decision::Retry);
  EXPECT_EQ(state.decide(response(404), true), Decision::NoRetry);
  EXPECT_EQ(state.decide(failure(Kind::Overflow), true), Decision::NoRetry);
}

TEST(RetryStateTest, GatewayErrorIsOnly502To504_Sem5_3) {
  xds::RetryPolicy p;
  p.num_retries = 5;
  p.retry_on = xds::parse_retry_on("gateway-error", &p.retriable_status_codes);
  RetryState state(&p);
  EXPECT_EQ(state.decide(response(500), true), Decision::NoRetry);
  EXPECT_EQ(state.decide(response(502), true), Decision::Retry);
  EXPECT_EQ(state.decide(response(504), true), Decision::Retry);
}

TEST(RetryStateTest, IntegerTokensBecomeRetriableStatusCodes_Sem5_1) {
  xds::RetryPolicy p;
  p.num_retries = 1;
  p.retry_on = xds::parse_retry_on("503,reset", &p.retriable_status_codes);
  ASSERT_EQ(p.retriable_status_codes.size(), 1u);
  EXPECT_EQ(p.retriable_status_codes[0], 503u);
  RetryState state(&p);
  EXPECT_EQ(state.decide(response(503), true), Decision::Retry);
}

TEST(RetryStateTest, Retriable4xxIs409Only_Sem5_3) {
  xds::RetryPolicy p;
  p.num_retries = 3;
  p.retry_on = xds::parse_retry_on("retriable-4xx", &p.retriable_status_codes);
  RetryState state(&p);
  EXPECT_EQ(state.decide(response(409), true), Decision::Retry);
  EXPECT_EQ(state.decide(response(404), true), Decision::NoRetry);
}

TEST(RetryStateTest, BreakerRefusalIsUOAndStillSpendsARetry_Sem5_2) {
  xds::RetryPolicy p;
  p.num_retries = 1;
  p.retry_on = xds::kRetry5xx;
  RetryState state(&p);
  EXPECT_EQ(state.decide(response(503), false), Decision::Overflow);
  EXPECT_EQ(state.decide(response(503), true), Decision::LimitExceeded);
}

TEST(RetryStateTest, NoPolicyNeverRetries_Sem5_1) {
  RetryState state(nullptr);
  EXPECT_EQ(state.decide(failure(Kind::ConnectFailure), true), Decision::NoRetry);
}

TEST(BackoffPolicyTest, FullJitterDoublesFrom25msCappedAt250ms_Sem5_4) {
  engine::RngStream rng(5, "test/backoff");
  const engine::SimDuration ms = engine::kMillisecond;
  const engine::SimDuration limits[] = {25 * ms, 50 * ms, 100 * ms, 200 * ms, 250 * ms, 250 * ms};
  for (int trial = 0; trial < 2000; ++trial) {
    BackoffPolicy backoff(25 * ms, 250 * ms);
    for (engine::SimDuration limit : limits) {
      ASSERT_EQ(backoff.next_limit(), limit);
      const engine::SimDuration wait = backoff.next(rng);
      ASSERT_GE(wait, engine::SimDuration{});
      ASSERT_LT(wait, limit);
      ASSERT_EQ(wait % ms, engine::SimDuration{}) << "Envoy draws whole milliseconds";
    }
  }
}

TEST(BackoffPolicyTest, FirstRetryWaitIsUniformBelow25ms_Sem5_4) {
  engine::RngStream rng(6, "test/backoff-mean");
  double sum = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) {
    BackoffPolicy backoff(25 * engine::kMillisecond, 250 * engine::kMillisecond);
    sum += engine::to_millis(backoff.next(rng));
  }
  EXPECT_NEAR(sum / n, 12.0, 0.1);  // mean of U{0..24} ms
}

TEST(BackoffPolicyTest, LegacyDocumentedFormIsSelectable_Sem5_4) {
  const engine::SimDuration ms = engine::kMillisecond;
  BackoffPolicy backoff(25 * ms, 250 * ms, BackoffPolicy::Kind::LegacyDocumented);
  engine::RngStream rng(1, "test/legacy");
  EXPECT_EQ(backoff.next_limit(), 25 * ms);
  backoff.next(rng);
  EXPECT_EQ(backoff.next_limit(), 75 * ms);
  backoff.next(rng);
  EXPECT_EQ(backoff.next_limit(), 175 * ms);
  backoff.next(rng);
  EXPECT_EQ(backoff.next_limit(), 250 * ms);
}

}  // namespace
}  // namespace meshtwin::proxy
