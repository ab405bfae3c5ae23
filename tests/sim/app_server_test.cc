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
  app.service_time = engine::Distribution::constant(5.0 * engine::kMillisecond);
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

}  // namespace
}  // namespace meshtwin::app
