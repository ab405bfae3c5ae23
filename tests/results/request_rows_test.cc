// results/request_rows.h: a re-simulated request's records as the views' rows, and the first
// difference from the stored rows, named by row and column (what `meshtwin trace` refuses on).
#include <gtest/gtest.h>

#include "model/telemetry/response_flags.h"
#include "results/request_rows.h"

namespace meshtwin::results {
namespace {

telemetry::RequestRecord request() {
  telemetry::RequestRecord r;
  r.request_id = 7;
  r.client = "users";
  r.start = engine::SimTime::from_ns(100);
  r.duration = engine::SimDuration::from_ns(1000);
  r.method = "GET";
  r.authority = "httpbin:8000";
  r.path = "/get";
  r.response_code = 504;
  r.response_flags = telemetry::kUpstreamRequestTimeout;
  r.attempts = 3;
  return r;
}

telemetry::SpanRecord span(std::uint64_t id, int attempt) {
  telemetry::SpanRecord s;
  s.request_id = 7;
  s.span_id = id;
  s.source_workload = "sleep";
  s.cluster = "outbound|8000||httpbin.default.svc.cluster.local";
  s.attempt = attempt;
  s.start = engine::SimTime::from_ns(100 + attempt);
  s.duration = engine::SimDuration::from_ns(400);
  s.response_code = 504;
  return s;
}

TEST(RequestRowsTest, RecordsBecomeTheViewsValues) {
  const Row r = request_row(request());
  ASSERT_EQ(r.size(), request_columns().size());
  EXPECT_EQ(std::get<std::string>(r[8]), "UT");                // response_flags as Envoy writes them
  EXPECT_EQ(std::get<std::string>(r[10]), "-");                // no route name
  EXPECT_EQ(std::get<std::string>(r[12]), "unknown");          // no destination service
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r[16]));  // no sim_outcome: NULL
  const Row s = span_row(span(3, 1));
  ASSERT_EQ(s.size(), span_columns().size());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(s[2]));   // no parent span: NULL
  EXPECT_EQ(std::get<std::string>(s[3]), "attempt");
  EXPECT_EQ(std::get<std::string>(s[18]), "-");
}

TEST(RequestRowsTest, NamesTheFirstDifferingRowAndColumn) {
  RequestRows stored{request_row(request()), {span_row(span(3, 1)), span_row(span(4, 2))}};
  RequestRows same = stored;
  EXPECT_EQ(first_difference(stored, same), std::nullopt);

  RequestRows changed = stored;
  auto s = span(4, 2);
  s.duration = engine::SimDuration::from_ns(401);
  changed.spans[1] = span_row(s);
  EXPECT_EQ(first_difference(stored, changed),
            "the spans row of span_id 4, duration_ns: stored 400, re-simulated 401");

  auto r = request();
  r.response_code = 200;
  changed = stored;
  changed.request = request_row(r);
  EXPECT_EQ(first_difference(stored, changed), "the requests row, response_code: stored 504, re-simulated 200");

  changed = stored;
  changed.spans.pop_back();
  EXPECT_EQ(first_difference(stored, changed), "the spans row of span_id 4: the re-simulation has no such span");
  changed = stored;
  changed.spans.push_back(span_row(span(5, 3)));
  EXPECT_EQ(first_difference(stored, changed), "the spans rows: the re-simulation has span_id 5, which the file does not hold");
  changed = stored;
  changed.request.reset();
  EXPECT_EQ(first_difference(stored, changed), "the requests row: the re-simulation did not finish the request");
}

}  // namespace
}  // namespace meshtwin::results
