// The decision log (model/telemetry/decision_log.h): levels per component, the request filter,
// --log parsing, and records rendered through their message templates.
#include <gtest/gtest.h>

#include <vector>

#include "model/telemetry/decision_log.h"
#include "model/telemetry/response_flags.h"
#include "model/text/i18n.h"

namespace meshtwin::telemetry {
namespace {

struct Collect : LogSink {
  std::vector<LogRecord> records;
  void on_log(const LogRecord& r) override { records.push_back(r); }
};

TEST(DecisionLogTest, OffByDefaultAndNothingIsEvaluated) {
  DecisionLog log;
  int evaluated = 0;
  auto count = [&] { return ++evaluated; };
  MESHTWIN_DLOG(log, AttemptStart, engine::SimTime{}, 1, 0, LogField::i("attempt", count()));
  EXPECT_EQ(evaluated, 0);
  Collect sink;
  log.set_sink(&sink);  // a sink alone turns nothing on
  MESHTWIN_DLOG(log, AttemptStart, engine::SimTime{}, 1, 0, LogField::i("attempt", count()));
  EXPECT_EQ(evaluated, 0);
  EXPECT_TRUE(sink.records.empty());
}

TEST(DecisionLogTest, ComponentLevelsAndTheRequestFilter) {
  DecisionLog log;
  Collect sink;
  log.set_sink(&sink);
  log.set_level(LogComponent::Router, LogLevel::Info);
  EXPECT_FALSE(log.on(LogEvent::AttemptStart, 1));  // router debug
  EXPECT_TRUE(log.on(LogEvent::RouteTimeout, 1));   // router info
  EXPECT_FALSE(log.on(LogEvent::PoolWait, 1));      // pool off
  log.set_level(LogComponent::Router, LogLevel::Trace);
  EXPECT_TRUE(log.on(LogEvent::AttemptStart, 1));
  log.set_request(7);
  EXPECT_FALSE(log.on(LogEvent::AttemptStart, 1));
  EXPECT_TRUE(log.on(LogEvent::AttemptStart, 7));
  MESHTWIN_DLOG(log, AttemptStart, engine::SimTime::from_ns(5), 7, 2, LogField::i("attempt", 2), LogField::t("pod", "reviews-v1-0"),
                LogField::t("cluster", "outbound|9080||reviews"));
  ASSERT_EQ(sink.records.size(), 1u);
  const LogRecord& r = sink.records[0];
  EXPECT_EQ(r.component(), LogComponent::Router);
  EXPECT_EQ(r.time, engine::SimTime::from_ns(5));
  EXPECT_EQ(r.depth, 2);
  EXPECT_EQ(describe(r), "attempt 2 to reviews-v1-0 (outbound|9080||reviews)");
}

TEST(DecisionLogTest, ParsesTheLogOption) {
  DecisionLog log;
  std::string error;
  ASSERT_TRUE(parse_log_spec("router=debug, pool=trace,retry", log, &error)) << error;
  EXPECT_EQ(log.level(LogComponent::Router), LogLevel::Debug);
  EXPECT_EQ(log.level(LogComponent::Pool), LogLevel::Trace);
  EXPECT_EQ(log.level(LogComponent::Retry), LogLevel::Debug);  // bare component: debug
  EXPECT_EQ(log.level(LogComponent::App), LogLevel::Off);
  ASSERT_TRUE(parse_log_spec("all=info", log, &error));
  EXPECT_EQ(log.level(LogComponent::App), LogLevel::Info);
  EXPECT_FALSE(parse_log_spec("routr=debug", log, &error));
  EXPECT_NE(error.find("unknown component \"routr\""), std::string::npos) << error;
  EXPECT_FALSE(parse_log_spec("router=loud", log, &error));
  EXPECT_NE(error.find("unknown level \"loud\""), std::string::npos) << error;
  EXPECT_FALSE(parse_log_spec("", log, &error));
}

TEST(DecisionLogTest, RendersDurationsFlagsAndTranslatedFields) {
  LogRecord r;
  r.event = LogEvent::AttemptEnd;
  r.fields[0] = LogField::i("attempt", 1);
  r.fields[1] = LogField::i("code", 504);
  r.fields[2] = LogField::f("flags", kUpstreamRequestTimeout);
  r.fields[3] = LogField::d("duration", 250 * engine::kMillisecond);
  r.field_count = 4;
  EXPECT_EQ(describe(r), "attempt 1 ends: 504 UT after 250ms");
  EXPECT_NE(format_log_line(r).find("router debug request 0 depth 0: attempt 1 ends"), std::string::npos);

  // A translator changes the template and the Message fields, never names or numbers.
  text::set_translator([](const char* id) -> std::string {
    const std::string s(id);
    if (s == "attempt {attempt} ends: {code} {flags} after {duration}") return "{duration} later, try {attempt}: {code} {flags}";
    return s;
  });
  EXPECT_EQ(describe(r), "250ms later, try 1: 504 UT");
  text::set_translator(nullptr);
}

}  // namespace
}  // namespace meshtwin::telemetry
