// app::Endpoint rules alone (docs/design.md §3.2 `endpoints`): matching method, path (exact,
// prefix, regex with captures), headers and query; the answer a rule gives (status and delay
// from captures, its own failures and error status, the workload's keys otherwise).
#include <gtest/gtest.h>

#include <map>

#include "model/app/app_server.h"

namespace meshtwin::app {
namespace {

using Headers = std::map<std::string, std::string, std::less<>>;

RequestView view(std::string_view method, std::string_view path, const Headers& h) {
  return RequestView{method, path, &h, [](const void* p, std::string_view name) -> std::optional<std::string_view> {
                       const auto& m = *static_cast<const Headers*>(p);
                       auto it = m.find(name);
                       if (it == m.end()) return std::nullopt;
                       return std::string_view(it->second);
                     }};
}

StringMatch sm(StringMatch::Kind k, std::string v) { return *make_string_match(k, std::move(v), nullptr); }

TEST(AppEndpoint, PathExactPrefixAndWholeRegex) {
  Captures c;
  EXPECT_TRUE(string_matches(sm(StringMatch::Kind::Exact, "/headers"), "/headers"));
  EXPECT_FALSE(string_matches(sm(StringMatch::Kind::Exact, "/headers"), "/headers/x"));
  EXPECT_TRUE(string_matches(sm(StringMatch::Kind::Prefix, "/status/"), "/status/418"));
  EXPECT_FALSE(string_matches(sm(StringMatch::Kind::Prefix, "/status/"), "/status"));
  // A regex must match the whole value (as Istio's regex StringMatch), not a part of it.
  EXPECT_FALSE(string_matches(sm(StringMatch::Kind::Regex, "/status/([0-9]+)"), "/status/418/x", &c));
  ASSERT_TRUE(string_matches(sm(StringMatch::Kind::Regex, "/status/([0-9]+)"), "/status/418", &c));
  EXPECT_EQ(c.count, 1);
  EXPECT_EQ(c.group[1], "418");
}

TEST(AppEndpoint, BadRegexIsRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(make_string_match(StringMatch::Kind::Regex, "/status/(", &error));
  EXPECT_NE(error.find("RE2"), std::string::npos);
  EXPECT_EQ(sm(StringMatch::Kind::Regex, "/a/(x)/(y)").groups(), 2);
}

TEST(AppEndpoint, QueryStringIsNotPartOfThePathButMatchesByParameter) {
  EXPECT_EQ(path_only("/get?a=1&b"), "/get");
  EXPECT_EQ(query_param("/get?a=1&b", "a"), "1");
  EXPECT_EQ(query_param("/get?a=1&b", "b"), "");
  EXPECT_EQ(query_param("/get?a=1&b", "c"), std::nullopt);
  EXPECT_EQ(query_param("/get", "a"), std::nullopt);

  EndpointMatch m;
  m.path = sm(StringMatch::Kind::Exact, "/get");
  m.query.emplace_back("debug", sm(StringMatch::Kind::Exact, "1"));
  const Headers none;
  Captures c;
  EXPECT_TRUE(endpoint_matches(m, view("GET", "/get?debug=1", none), c));
  EXPECT_FALSE(endpoint_matches(m, view("GET", "/get?debug=0", none), c));
  EXPECT_FALSE(endpoint_matches(m, view("GET", "/get", none), c));
}

TEST(AppEndpoint, MethodAndHeadersMustAllHold) {
  EndpointMatch m;
  m.method = "POST";
  m.headers.emplace_back("end-user", sm(StringMatch::Kind::Exact, "jason"));
  Captures c;
  const Headers jason{{"end-user", "jason"}}, other{{"end-user", "bob"}}, none;
  EXPECT_TRUE(endpoint_matches(m, view("POST", "/x", jason), c));
  EXPECT_FALSE(endpoint_matches(m, view("GET", "/x", jason), c));
  EXPECT_FALSE(endpoint_matches(m, view("POST", "/x", other), c));
  EXPECT_FALSE(endpoint_matches(m, view("POST", "/x", none), c));  // an absent header never matches
}

// httpbin's three endpoints as rules; the first matching rule decides.
Behaviour httpbin() {
  Behaviour app;
  app.service_time = engine::Distribution::constant(1e6);
  Endpoint status;
  status.match.path = sm(StringMatch::Kind::Regex, "/status/([0-9]+)");
  status.status_ref.group = 1;
  Endpoint delay;
  delay.match.path = sm(StringMatch::Kind::Regex, "/delay/([0-9.]+)");
  delay.delay.group = 1;
  Endpoint flaky;
  flaky.match.path = sm(StringMatch::Kind::Prefix, "/flaky");
  flaky.failures = std::vector<Failure>{{1.0, Failure::Kind::Status, 503, 14, false}};
  flaky.error_status = 502;
  app.endpoints = {status, delay, flaky};
  return app;
}

TEST(AppEndpoint, FirstMatchingRuleDecidesStatusAndDelayFromCaptures) {
  const Behaviour app = httpbin();
  const Headers none;
  Handling h = handle(app, view("GET", "/status/418", none));
  EXPECT_EQ(h.index, 0);
  EXPECT_EQ(h.status, 418);
  EXPECT_EQ(h.delay, engine::SimDuration::from_ns(-1));

  h = handle(app, view("GET", "/delay/2.5", none));
  EXPECT_EQ(h.index, 1);
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.delay, engine::SimDuration::from_ns(2'500'000'000));
  engine::RngStream rng(1, "t");
  EXPECT_EQ(draw_service_time(app, h, rng), engine::SimDuration::from_ns(2'500'000'000));

  // A capture that is no status: the handler's own error, 500.
  h = handle(app, view("GET", "/status/999", none));
  EXPECT_EQ(h.status, 500);
  // "1.2.3" fits the regex but is no number: 500 at once.
  h = handle(app, view("GET", "/delay/1.2.3", none));
  EXPECT_EQ(h.status, 500);
  EXPECT_EQ(h.delay, engine::SimDuration{});
}

TEST(AppEndpoint, NoRuleMatchingKeepsTheWorkloadsKeys) {
  const Behaviour app = httpbin();
  const Headers none;
  const Handling h = handle(app, view("GET", "/headers", none));
  EXPECT_EQ(h.endpoint, nullptr);
  EXPECT_EQ(h.status, 200);
  engine::RngStream rng(1, "t");
  EXPECT_EQ(draw_service_time(app, h, rng), engine::SimDuration::from_ns(1'000'000));
  EXPECT_EQ(draw_failure(app, h, rng), nullptr);
  EXPECT_EQ(error_status(app, h), 500);
}

TEST(AppEndpoint, RuleFailuresAndErrorStatusReplaceTheWorkloads) {
  Behaviour app = httpbin();
  app.failures.push_back({1.0, Failure::Kind::Reset, 500, 14, false});
  const Headers none;
  engine::RngStream rng(1, "t");
  const Handling flaky = handle(app, view("GET", "/flaky/x", none));
  const Failure* f = draw_failure(app, flaky, rng);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind, Failure::Kind::Status);
  EXPECT_EQ(f->status, 503);
  EXPECT_EQ(error_status(app, flaky), 502);
  // A rule without failures of its own keeps the workload's.
  const Handling status = handle(app, view("GET", "/status/200", none));
  f = draw_failure(app, status, rng);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->kind, Failure::Kind::Reset);
}

}  // namespace
}  // namespace meshtwin::app
