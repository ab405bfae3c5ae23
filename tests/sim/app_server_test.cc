// app:: alone (docs/design.md §3.2): failure draws, service time, workers and their queue, and
// the app's verdict on a call's result — no mesh.
#include "model/app/app_server.h"

#include <gtest/gtest.h>

namespace meshtwin::app {
namespace {

TEST(AppServer, FailureDrawsKeepEachKindsRate) {
  Behaviour app;
  app.failures.push_back({0.25, Failure::Kind::Status, 503, 14, false});
  app.failures.push_back({0.25, Failure::Kind::Reset, 500, 14, true});
  engine::RngStream rng(3, "app-test");
  int status = 0, reset = 0, none = 0;
  for (int i = 0; i < 40'000; ++i) {
    const Failure* f = draw_failure(app, rng);
    if (!f) ++none;
    else if (f->kind == Failure::Kind::Status) ++status;
    else ++reset;
  }
  EXPECT_NEAR(status / 40'000.0, 0.25, 0.01);
  EXPECT_NEAR(reset / 40'000.0, 0.25, 0.01);
  EXPECT_NEAR(none / 40'000.0, 0.5, 0.01);
  Behaviour healthy;
  EXPECT_EQ(draw_failure(healthy, rng), nullptr);
}

TEST(AppServer, ConstantServiceTimeDrawsNothing) {
  Behaviour app;
  app.service_time = engine::Distribution::constant(5.0 * engine::kMillisecond.ns());
  engine::RngStream rng(3, "app-test"), untouched(3, "app-test");
  EXPECT_EQ(draw_service_time(app, rng), 5 * engine::kMillisecond);
  EXPECT_EQ(rng.next_u64(), untouched.next_u64());
}

TEST(AppServer, WorkersQueueFifoBeyondTheirNumber) {
  Workers w;
  EXPECT_TRUE(w.take_or_wait(1, 2));
  EXPECT_TRUE(w.take_or_wait(2, 2));
  EXPECT_FALSE(w.take_or_wait(3, 2));
  EXPECT_FALSE(w.take_or_wait(4, 2));
  EXPECT_EQ(w.release(), 3u);  // the oldest waiter starts on the freed worker
  w.take();
  EXPECT_EQ(w.busy(), 2u);
  EXPECT_EQ(w.release(), 4u);
  w.take();
  EXPECT_EQ(w.release(), Workers::kNone);
  EXPECT_EQ(w.busy(), 1u);
  Workers unlimited;
  for (std::uint32_t r = 0; r < 100; ++r) EXPECT_TRUE(unlimited.take_or_wait(r, 0));
}

TEST(AppServer, CallVerdictRetriesThenContinuesOrFails) {
  EXPECT_EQ(judge_call(200, false, 1, 3, false), CallVerdict::Ok);
  EXPECT_EQ(judge_call(200, true, 1, 1, false), CallVerdict::Failed);  // body cut off by a reset
  EXPECT_EQ(judge_call(503, false, 1, 3, false), CallVerdict::Retry);
  EXPECT_EQ(judge_call(503, false, 3, 3, true), CallVerdict::Degraded);
  EXPECT_EQ(judge_call(0, false, 3, 3, false), CallVerdict::Failed);
}


// Deterministic failure patterns (issue 11 §2): exact, so retries can be tested exactly.
Failure pattern(Failure::Pattern p, std::uint32_t n, Failure::Per per = Failure::Per::Pod) {
  Failure f;
  f.pattern = p;
  f.n = n;
  f.per = per;
  f.status = 503;
  return f;
}

TEST(AppFailurePattern, FirstNPerRequestIdThenSucceed) {
  const std::vector<Failure> failures{pattern(Failure::Pattern::First, 2, Failure::Per::Request)};
  PatternCounts pods, requests;
  engine::RngStream rng(1, "t");
  for (std::uint64_t id : {7u, 8u}) {
    FailureContext ctx{SimTime{}, 0, id, &pods, &requests};
    EXPECT_NE(choose_failure(failures, ctx, rng), nullptr);
    EXPECT_NE(choose_failure(failures, ctx, rng), nullptr);
    EXPECT_EQ(choose_failure(failures, ctx, rng), nullptr);  // the third try of each id succeeds
    EXPECT_EQ(choose_failure(failures, ctx, rng), nullptr);
  }
  EXPECT_EQ(pods.scopes(), 0u);
  EXPECT_EQ(requests.scopes(), 2u);
  requests.forget(7);
  EXPECT_EQ(requests.scopes(), 1u);
}

TEST(AppFailurePattern, FirstNPerPodCountsEachPodApart) {
  const std::vector<Failure> failures{pattern(Failure::Pattern::First, 1)};
  PatternCounts pods, requests;
  engine::RngStream rng(1, "t");
  FailureContext a{SimTime{}, 1, 100, &pods, &requests}, b{SimTime{}, 2, 101, &pods, &requests};
  EXPECT_NE(choose_failure(failures, a, rng), nullptr);
  EXPECT_NE(choose_failure(failures, b, rng), nullptr);
  EXPECT_EQ(choose_failure(failures, a, rng), nullptr);
  EXPECT_EQ(choose_failure(failures, b, rng), nullptr);
}

// `per: connection`: each connection the requests arrive on counts apart, and a connection that
// closed and was replaced (a new serial) starts again from 1; a request on no modelled
// connection (scope 0) is the first of its own.
TEST(AppFailurePattern, EveryKthPerConnectionCountsEachConnectionFromOne) {
  const std::vector<Failure> failures{pattern(Failure::Pattern::Every, 2, Failure::Per::Connection)};
  PatternCounts pods, requests, connections;
  engine::RngStream rng(1, "t");
  auto on = [&](std::uint64_t connection) {
    const FailureContext ctx{engine::SimTime{}, 0, 0, &pods, &requests, connection, &connections};
    return choose_failure(failures, ctx, rng) ? 'x' : '.';
  };
  std::string seen;
  for (std::uint64_t conn : {1u, 2u, 1u, 2u, 1u}) seen += on(conn);
  EXPECT_EQ(seen, "..xx.");
  connections.forget(1);  // connection 1 closed; a new one gets serial 3
  seen.clear();
  for (std::uint64_t conn : {3u, 3u, 2u}) seen += on(conn);
  EXPECT_EQ(seen, ".x.");
  EXPECT_EQ(on(0), '.');  // no connection: always the first request of one
  EXPECT_EQ(on(0), '.');
  EXPECT_EQ(pods.scopes(), 0u);
  EXPECT_EQ(connections.scopes(), 2u);
  const std::vector<Failure> first{pattern(Failure::Pattern::First, 1, Failure::Per::Connection)};
  const FailureContext none{engine::SimTime{}, 0, 0, &pods, &requests, 0, &connections};
  EXPECT_NE(choose_failure(first, none, rng), nullptr);
  EXPECT_NE(choose_failure(first, none, rng), nullptr);
}

TEST(AppFailurePattern, EveryKthFails) {
  const std::vector<Failure> failures{pattern(Failure::Pattern::Every, 3)};
  PatternCounts pods, requests;
  engine::RngStream rng(1, "t");
  std::string seen;
  for (int i = 0; i < 9; ++i) {
    FailureContext ctx{SimTime{}, 0, static_cast<std::uint64_t>(i), &pods, &requests};
    seen += choose_failure(failures, ctx, rng) ? 'x' : '.';
  }
  EXPECT_EQ(seen, "..x..x..x");
}

TEST(AppFailurePattern, BetweenLimitsRatesAndPatternsToTheirWindow) {
  Failure always;
  always.rate = 1.0;
  always.from = engine::SimTime{} + 10 * engine::kSecond;
  always.to = engine::SimTime{} + 20 * engine::kSecond;
  const std::vector<Failure> failures{always};
  PatternCounts pods, requests;
  engine::RngStream rng(1, "t");
  auto at = [&](engine::SimDuration since_start) {
    return choose_failure(failures, FailureContext{SimTime{} + since_start, 0, 0, &pods, &requests}, rng);
  };
  EXPECT_EQ(at(10 * engine::kSecond - engine::SimDuration::from_ns(1)), nullptr);
  EXPECT_NE(at(10 * engine::kSecond), nullptr);
  EXPECT_NE(at(20 * engine::kSecond - engine::SimDuration::from_ns(1)), nullptr);
  EXPECT_EQ(at(20 * engine::kSecond), nullptr);  // [t1, t2): t2 itself is outside

  // A pattern counts only the requests inside its window.
  Failure first = pattern(Failure::Pattern::First, 1);
  first.from = engine::SimTime{} + 5 * engine::kSecond;
  const std::vector<Failure> late{first};
  EXPECT_EQ(choose_failure(late, FailureContext{SimTime{}, 0, 0, &pods, &requests}, rng), nullptr);
  EXPECT_NE(choose_failure(late, FailureContext{engine::SimTime{} + 5 * engine::kSecond, 0, 0, &pods, &requests}, rng), nullptr);
  EXPECT_EQ(choose_failure(late, FailureContext{engine::SimTime{} + 6 * engine::kSecond, 0, 0, &pods, &requests}, rng), nullptr);
}

TEST(AppFailurePattern, RatesAloneDrawExactlyAsBefore) {
  // Same seed, same stream: the pattern-aware choice equals the plain draw request by request,
  // which keeps every existing scenario's rows (golden digests) unchanged.
  Behaviour app;
  app.failures.push_back({0.3, Failure::Kind::Status, 503, 14, false});
  app.failures.push_back({0.2, Failure::Kind::Reset, 500, 14, false});
  engine::RngStream a(9, "same"), b(9, "same");
  PatternCounts pods, requests;
  for (int i = 0; i < 1000; ++i) {
    const Failure* x = draw_failure(app, a);
    const Failure* y = draw_failure(app, Handling{}, FailureContext{engine::SimTime{} + i * engine::kSecond, 0, 0, &pods, &requests}, b);
    ASSERT_EQ(x, y) << i;
  }
}

}  // namespace
}  // namespace meshtwin::app
