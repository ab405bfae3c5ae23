// Arranging a request's spans as a waterfall: tree order, depth, retries and the backoff
// between tries, timeouts.

#include "gui/waterfall.h"

#include <gtest/gtest.h>

namespace meshtwin::gui {
namespace {

constexpr std::int64_t kMs = engine::kMillisecond.ns();  // row values: int64 nanoseconds

SpanRow span(std::uint64_t id, std::optional<std::uint64_t> parent, std::string from,
             std::string to_service, int attempt, std::int64_t start, std::int64_t duration, int code,
             std::string flags = "-") {
  SpanRow s;
  s.span_id = id;
  s.parent_span_id = parent;
  s.kind = "attempt";
  s.source_workload = std::move(from);
  s.destination_service = std::move(to_service);
  s.destination_version = "v1";
  s.destination_pod = "pod-0";
  s.attempt = attempt;
  s.start = start;
  s.duration = duration;
  s.response_code = code;
  s.response_flags = std::move(flags);
  return s;
}

TEST(Waterfall, RetriesShowTheirTryAndBackoffChildrenNestUnderTheirParent) {
  RequestDetail d;
  d.request.start = 1000 * kMs;
  d.request.duration = 80 * kMs;
  // Out of order on purpose: the waterfall sorts.
  d.spans.push_back(
      span(3, std::nullopt, "client", "back.ns.svc.cluster.local", 2, 1040 * kMs, 10 * kMs, 200));
  d.spans.push_back(
      span(1, std::nullopt, "client", "back.ns.svc.cluster.local", 1, 1000 * kMs, 20 * kMs, 503));
  d.spans.push_back(span(2, 1, "back-v1", "db.ns.svc.cluster.local", 1, 1005 * kMs, 5 * kMs, 200));
  auto rows = build_waterfall(d);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].attempt, 1);
  EXPECT_EQ(rows[0].depth, 0);
  EXPECT_FALSE(rows[0].retry);
  EXPECT_EQ(rows[0].start, 0);
  EXPECT_EQ(rows[1].caller, "back-v1");  // the child right under its parent
  EXPECT_EQ(rows[1].depth, 1);
  EXPECT_EQ(rows[1].start, 5 * kMs);
  EXPECT_EQ(rows[2].attempt, 2);
  EXPECT_TRUE(rows[2].retry);
  EXPECT_EQ(rows[2].backoff, 20 * kMs);  // tried at 40 ms, the first try ended at 20 ms
  EXPECT_NE(rows[2].label().find("try 2"), std::string::npos);
  EXPECT_EQ(rows[0].outcome(), "503");
  EXPECT_NE(rows[0].label().find("back v1 (pod-0)"), std::string::npos);
}

TEST(Waterfall, TimeoutsAndAppRetriesAreMarked) {
  RequestDetail d;
  d.spans.push_back(
      span(1, std::nullopt, "front", "back.ns.svc.cluster.local", 1, 0, 3000 * kMs, 0, "DC"));
  auto second = span(2, std::nullopt, "front", "back.ns.svc.cluster.local", 1, 3000 * kMs, 10 * kMs,
                     504, "UT");
  second.app_attempt = 2;
  d.spans.push_back(second);
  auto rows = build_waterfall(d);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].timeout);
  EXPECT_EQ(rows[0].outcome(), "timeout DC");
  EXPECT_TRUE(rows[1].retry);  // the app's second try, although Envoy's first
  EXPECT_TRUE(rows[1].timeout);
  EXPECT_EQ(rows[1].backoff, 0);
  EXPECT_NE(rows[1].label().find("app try 2"), std::string::npos);
}

TEST(Waterfall, EmptyDetailHasNoRows) { EXPECT_TRUE(build_waterfall(RequestDetail{}).empty()); }

}  // namespace
}  // namespace meshtwin::gui
