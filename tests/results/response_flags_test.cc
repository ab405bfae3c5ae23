#include "model/telemetry/response_flags.h"

#include <gtest/gtest.h>

#include "model/telemetry/records.h"

namespace meshtwin::telemetry {
namespace {

TEST(ResponseFlags, NoneIsDash) { EXPECT_EQ(format_response_flags(0), "-"); }

TEST(ResponseFlags, FormatsInEnvoyOrder) {
  EXPECT_EQ(format_response_flags(kUpstreamRetryLimitExceeded | kUpstreamRequestTimeout),
            "UT,URX");
  EXPECT_EQ(format_response_flags(kFaultInjected | kDelayInjected), "DI,FI");
  EXPECT_EQ(format_response_flags(kUpstreamConnectionFailure | kUpstreamRetryLimitExceeded),
            "UF,URX");
  EXPECT_EQ(format_response_flags(kNoHealthyUpstream), "UH");
  EXPECT_EQ(format_response_flags(kDownstreamRemoteReset | kFailedLocalHealthCheck), "LH,DR");
}

TEST(ResponseFlags, EveryFlagRoundTrips) {
  for (std::uint32_t bit = 0; bit <= 28; ++bit) {
    std::uint32_t flags = 1u << bit;
    std::string text = format_response_flags(flags);
    EXPECT_EQ(text.find(','), std::string::npos) << text;
    auto parsed = parse_response_flags(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(*parsed, flags) << text;
  }
  std::uint32_t all = (1u << 29) - 1;
  auto parsed = parse_response_flags(format_response_flags(all));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, all);
}

TEST(ResponseFlags, ParsesDashAndLists) {
  EXPECT_EQ(parse_response_flags("-"), std::optional<std::uint32_t>(0u));
  EXPECT_EQ(parse_response_flags("UT,URX"),
            std::optional<std::uint32_t>(kUpstreamRequestTimeout | kUpstreamRetryLimitExceeded));
  EXPECT_EQ(parse_response_flags("DI,FI"),
            std::optional<std::uint32_t>(kDelayInjected | kFaultInjected));
  EXPECT_EQ(parse_response_flags("UAEX"), std::optional<std::uint32_t>(kUnauthorizedExternalService));
}

TEST(ResponseFlags, UnknownCodeIsRejected) {
  EXPECT_FALSE(parse_response_flags("XX").has_value());
  EXPECT_FALSE(parse_response_flags("UT,XX").has_value());
  EXPECT_FALSE(parse_response_flags("UT,").has_value());
  EXPECT_FALSE(parse_response_flags("ut").has_value());  // codes are case-sensitive in Envoy
}

TEST(SpanKind, Names) {
  EXPECT_EQ(to_string(SpanKind::Attempt), "attempt");
  EXPECT_EQ(to_string(SpanKind::LocalReply), "local_reply");
  EXPECT_EQ(to_string(SpanKind::Shadow), "shadow");
}

}  // namespace
}  // namespace meshtwin::telemetry
