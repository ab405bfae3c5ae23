#include "engine/time.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "engine/rng.h"

namespace meshtwin::engine {
namespace {

constexpr SimDuration kMax = SimDuration::max();
constexpr SimDuration kMin = SimDuration::min();

struct ValidCase {
  const char* text;
  SimDuration want;
};

// Mostly Go's own time.ParseDuration table; fractions round to the nearest ns here where Go
// truncates (see the last rows).
const ValidCase kValid[] = {
    {"0", SimDuration::from_ns(0)},
    {"5s", 5 * kSecond},
    {"30s", 30 * kSecond},
    {"1478s", 1478 * kSecond},
    {"-5s", -5 * kSecond},
    {"+5s", 5 * kSecond},
    {"-0", SimDuration::from_ns(0)},
    {"+0", SimDuration::from_ns(0)},
    {"0s", SimDuration::from_ns(0)},
    {"5.0s", 5 * kSecond},
    {"5.6s", 5 * kSecond + 600 * kMillisecond},
    {"5.s", 5 * kSecond},
    {"1.s", kSecond},
    {".5s", 500 * kMillisecond},
    {"0.5s", 500 * kMillisecond},
    {"1.0s", kSecond},
    {"1.00s", kSecond},
    {"1.004s", kSecond + 4 * kMillisecond},
    {"1.0040s", kSecond + 4 * kMillisecond},
    {"100.00100s", 100 * kSecond + 1 * kMillisecond},
    {"10ns", SimDuration::from_ns(10)},
    {"11us", 11 * kMicrosecond},
    {"12\u00b5s", 12 * kMicrosecond},  // micro sign
    {"12\u03bcs", 12 * kMicrosecond},  // Greek mu
    {"13ms", 13 * kMillisecond},
    {"300ms", 300 * kMillisecond},
    {"50us", 50 * kMicrosecond},
    {"14s", 14 * kSecond},
    {"15m", 15 * kMinute},
    {"16h", 16 * kHour},
    {"1h", kHour},
    {"1m30s", 90 * kSecond},
    {"3h30m", 3 * kHour + 30 * kMinute},
    {"10.5s4m", 4 * kMinute + 10 * kSecond + 500 * kMillisecond},
    {"-2m3.4s", -(2 * kMinute + 3 * kSecond + 400 * kMillisecond)},
    {"-1.5h", -(kHour + 30 * kMinute)},
    {"1h2m3s4ms5us6ns", kHour + 2 * kMinute + 3 * kSecond + 4 * kMillisecond + 5 * kMicrosecond + SimDuration::from_ns(6)},
    {"39h9m14.425s", 39 * kHour + 9 * kMinute + 14 * kSecond + 425 * kMillisecond},
    {"52763797000ns", SimDuration::from_ns(52763797000)},
    {"0.3333333333333333333h", 20 * kMinute},
    {"9007199254740993ns", SimDuration::from_ns((std::int64_t{1} << 53) + 1)},
    {"9223372036854775807ns", kMax},
    {"9223372036854775.807us", kMax},
    {"9223372036s854ms775us807ns", kMax},
    {"-9223372036s854ms775us808ns", kMin},
    {"-9223372036854775808ns", kMin},
    {"-9223372036854775.808us", kMin},
    {"-2562047h47m16.854775808s", kMin},
    {"2562047h47m16.854775807s", kMax},
    {"0.100000000000000000000h", 6 * kMinute},
    // Rounded to nearest (Go truncates to ...827ns).
    {"0.830103483285477580700h", 49 * kMinute + 48 * kSecond + SimDuration::from_ns(372539828)},
    {"1.5ns", SimDuration::from_ns(2)},
    {"1.49ns", SimDuration::from_ns(1)},
    {"0.4ns", SimDuration::from_ns(0)},
    {"0.5ns", SimDuration::from_ns(1)},
    {"-1.5ns", SimDuration::from_ns(-2)},
    {"1.0005us", SimDuration::from_ns(1001)},
    {"1.0004999us", SimDuration::from_ns(1000)},
};

TEST(ParseDuration, AcceptsGoSyntax) {
  for (const auto& c : kValid) {
    std::string error;
    const auto got = parse_duration(c.text, &error);
    ASSERT_TRUE(got.has_value()) << c.text << ": " << error;
    EXPECT_EQ(*got, c.want) << c.text;
    EXPECT_TRUE(error.empty()) << c.text;
  }
}

TEST(ParseDuration, RejectsEverythingElseWithASentence) {
  const char* const kInvalid[] = {
      "",       "3",      "-",         "+",           "s",          ".",
      "-.",     ".s",     "+.s",       "1d",          "ms",         "1.5",
      "5 s",    " 5s",    "5s ",       "00",          "1e3s",       "1h-1m",
      "1.2.3s", "5S",     "5sec",      "\x85\x85",    "\xffs",      "hello",
      "--5s",   "-+5s",   "1hh",       "5s5",         "3000000h",   "9223372036854775808ns",
      "9223372036854775.808us",        "9223372036854ms775us808ns", "-9223372036854775809ns", "9223372036s854ms775us808ns",
      "2562047h47m16.854775808s",      "99999999999999999999999999s",
  };
  for (const char* text : kInvalid) {
    std::string error;
    const auto got = parse_duration(text, &error);
    EXPECT_FALSE(got.has_value()) << '"' << text << "\" parsed as " << got.value_or(SimDuration{}).ns();
    EXPECT_NE(error.find("invalid duration"), std::string::npos) << text << ": " << error;
  }
}

TEST(ParseDuration, ErrorSentencesSayWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(parse_duration("1d", &error));
  EXPECT_NE(error.find("unknown unit \"d\""), std::string::npos) << error;
  EXPECT_FALSE(parse_duration("5", &error));
  EXPECT_NE(error.find("missing unit"), std::string::npos) << error;
  EXPECT_FALSE(parse_duration("", &error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
  EXPECT_FALSE(parse_duration("ms", &error));
  EXPECT_NE(error.find("expected a number"), std::string::npos) << error;
  EXPECT_FALSE(parse_duration("3000000h", &error));
  EXPECT_NE(error.find("too large"), std::string::npos) << error;
  // No error pointer: still nullopt, no crash.
  EXPECT_FALSE(parse_duration("1d"));
}

TEST(FormatDuration, PrintsLikeGo) {
  struct Case {
    SimDuration d;
    const char* want;
  };
  const Case kCases[] = {
      {SimDuration::from_ns(0), "0s"},
      {SimDuration::from_ns(1), "1ns"},
      {SimDuration::from_ns(999), "999ns"},
      {SimDuration::from_ns(1100), "1.1us"},
      {50 * kMicrosecond, "50us"},
      {2200 * kMicrosecond, "2.2ms"},
      {300 * kMillisecond, "300ms"},
      {3300 * kMillisecond, "3.3s"},
      {1500 * kMillisecond, "1.5s"},
      {90 * kSecond, "1m30s"},
      {4 * kMinute + 5 * kSecond, "4m5s"},
      {4 * kMinute + 5001 * kMillisecond, "4m5.001s"},
      {5 * kHour + 6 * kMinute + 7001 * kMillisecond, "5h6m7.001s"},
      {8 * kMinute + SimDuration::from_ns(1), "8m0.000000001s"},
      {kHour, "1h0m0s"},
      {-90 * kSecond, "-1m30s"},
      {SimDuration::from_ns(-1), "-1ns"},
      {kMax, "2562047h47m16.854775807s"},
      {kMin, "-2562047h47m16.854775808s"},
  };
  for (const auto& c : kCases) EXPECT_EQ(format_duration(c.d), c.want) << c.d.ns();
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (const auto& c : kValid) {
    const std::string text = format_duration(c.want);
    const auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, c.want) << text;
  }
  // Random magnitudes from 1ns to the full range.
  RngStream rng(7, "test/format-roundtrip");
  for (int i = 0; i < 20000; ++i) {
    const int bits = 1 + static_cast<int>(rng.uniform_int(63));  // 1..63
    SimDuration d = SimDuration::from_ns(static_cast<std::int64_t>(rng.next_u64() >> (64 - bits)));
    if (rng.bernoulli(0.5)) d = -d;
    const std::string text = format_duration(d);
    const auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, d) << text;
  }
}

TEST(Time, Conversions) {
  EXPECT_DOUBLE_EQ(to_seconds(1500 * kMillisecond), 1.5);
  EXPECT_DOUBLE_EQ(to_millis(250 * kMicrosecond), 0.25);
  EXPECT_EQ(kHour.ns(), (SimDuration::from_ns(3'600'000'000'000)).ns());
}


// human_duration: the rule in engine/time.h, pinned by examples (issue 10: durations print
// rounded to what a person reads, never to the nanosecond).
TEST(HumanDuration, RoundsToWhatAPersonReads) {
  struct Case {
    SimDuration d;
    const char* want;
  };
  const Case kCases[] = {
      {SimDuration::from_ns(0), "0s"},
      {SimDuration::from_ns(850), "850ns"},
      {SimDuration::from_ns(999), "999ns"},
      {12 * kMicrosecond, "12\u00b5s"},
      {SimDuration::from_ns(12'345), "12.3\u00b5s"},
      {SimDuration::from_ns(999'600), "1ms"},                          // the carry changes the unit
      {350 * kMillisecond, "350ms"},
      {350 * kMillisecond + SimDuration::from_ns(123'456), "350ms"},   // never to the nanosecond
      {SimDuration::from_ns(1'234'567), "1.23ms"},
      {SimDuration::from_ns(2'514'999'999), "2.51s"},
      {SimDuration::from_ns(2'515'000'000), "2.52s"},                  // halves round away from zero
      {SimDuration::from_ns(2'500'000'000), "2.5s"},                   // trailing zeros go
      {SimDuration::from_ns(59'960'000'000), "1m0s"},                  // 59.96s rounds to a minute
      {60 * kSecond + 4 * kMillisecond + SimDuration::from_ns(321), "1m0.004s"},
      {kHour + 2 * kMinute + SimDuration::from_ns(3'456'789'000), "1h2m3.457s"},
      {SimDuration::from_ns(-1'234'567), "-1.23ms"},
  };
  for (const auto& c : kCases) EXPECT_EQ(human_duration(c.d), c.want) << c.d.ns();
}

TEST(HumanDuration, SignedAndFractional) {
  EXPECT_EQ(human_duration(5 * kMillisecond, true), "+5ms");
  EXPECT_EQ(human_duration(-5 * kMillisecond, true), "-5ms");
  EXPECT_EQ(human_duration(SimDuration{}, true), "0s");
  EXPECT_EQ(human_duration_ns(182'301'234.7), "182ms");
  EXPECT_EQ(human_duration_ns(-4.6e5, true), "-460\u00b5s");
  EXPECT_EQ(human_duration_ns(std::nan("")), "-");
}

// What a person reads must parse back to within the rounding: 3 significant digits keep the
// relative error at or below 0.5 %, and minutes are exact to the millisecond.
TEST(HumanDuration, ParsesBackWithinTheRounding) {
  RngStream rng(11, "test/human-roundtrip");
  for (int i = 0; i < 20000; ++i) {
    const int bits = 1 + static_cast<int>(rng.uniform_int(50));
    const SimDuration d = SimDuration::from_ns(static_cast<std::int64_t>(rng.next_u64() >> (64 - bits)));
    const std::string text = human_duration(d);
    const auto back = parse_duration(text);
    ASSERT_TRUE(back.has_value()) << text;
    const double err = std::fabs(static_cast<double>((*back - d).ns()));
    if (d >= kMinute) EXPECT_LE(err, 0.5 * static_cast<double>(kMillisecond.ns())) << d.ns() << " " << text;
    else EXPECT_LE(err, 0.005 * static_cast<double>(d.ns()) + 0.5) << d.ns() << " " << text;
  }
}

}  // namespace
}  // namespace meshtwin::engine

namespace meshtwin::engine {
namespace {

// The affine algebra of SimDuration (a point) and SimDuration (a length), engine/time.h.
namespace algebra {

template <class A, class B>
concept Addable = requires(A a, B b) { a + b; };
template <class A, class B>
concept Subtractable = requires(A a, B b) { a - b; };
template <class A, class B>
concept Multipliable = requires(A a, B b) { a * b; };

// time + time is meaningless: it must not compile.
static_assert(!Addable<SimTime, SimTime>);
static_assert(Addable<SimTime, SimDuration> && Addable<SimDuration, SimTime> && Addable<SimDuration, SimDuration>);
static_assert(Subtractable<SimTime, SimTime> && Subtractable<SimTime, SimDuration>);
static_assert(!Subtractable<SimDuration, SimTime>);
static_assert(std::is_same_v<decltype(SimTime{} - SimTime{}), SimDuration>);
static_assert(std::is_same_v<decltype(SimTime{} + kSecond), SimTime>);
static_assert(std::is_same_v<decltype(kSecond / kMillisecond), std::int64_t>);
// Scaling by a fraction has to go through scale_truncated (it says how it rounds).
static_assert(Multipliable<SimDuration, int> && !Multipliable<SimDuration, double>);
static_assert(!Multipliable<SimTime, int>);
// No implicit conversion from or to an integer.
static_assert(!std::is_convertible_v<std::int64_t, SimTime> && !std::is_convertible_v<SimTime, std::int64_t>);
static_assert(!std::is_convertible_v<std::int64_t, SimDuration> && !std::is_convertible_v<SimDuration, std::int64_t>);
static_assert(!std::is_convertible_v<SimDuration, SimTime> && !std::is_convertible_v<SimTime, SimDuration>);
// Zero cost: one int64, trivially copyable.
static_assert(sizeof(SimTime) == 8 && sizeof(SimDuration) == 8);
static_assert(std::is_trivially_copyable_v<SimTime> && std::is_trivially_copyable_v<SimDuration>);

}  // namespace algebra

TEST(SimTimeAlgebra, PointsAndLengths) {
  const SimTime t0 = SimTime::from_ns(1'500);
  const SimTime t1 = t0 + 2 * kMicrosecond;
  EXPECT_EQ((t1 - t0).ns(), 2'000);
  EXPECT_EQ((t1 - kMicrosecond).ns(), 2'500);
  EXPECT_EQ((kMicrosecond + t0).ns(), 2'500);
  EXPECT_LT(t0, t1);
  EXPECT_EQ(t1.since_start(), SimDuration::from_ns(3'500));
  SimTime t = t0;
  t += kMillisecond;
  t -= kMicrosecond;
  EXPECT_EQ(t.ns(), 1'500 + 1'000'000 - 1'000);
  EXPECT_EQ(SimTime{}.ns(), 0);
  EXPECT_EQ(kNever, SimTime::max());
}

TEST(SimTimeAlgebra, DurationArithmetic) {
  EXPECT_EQ(kSecond + kMillisecond, SimDuration::from_ns(1'001'000'000));
  EXPECT_EQ(kSecond - kMillisecond, SimDuration::from_ns(999'000'000));
  EXPECT_EQ(-kSecond, SimDuration::from_ns(-1'000'000'000));
  EXPECT_EQ(3 * kMillisecond, kMillisecond * 3);
  EXPECT_EQ(kSecond / 4, 250 * kMillisecond);
  EXPECT_EQ(kSecond / (300 * kMillisecond), 3);
  EXPECT_EQ(kSecond % (300 * kMillisecond), 100 * kMillisecond);
  EXPECT_EQ(kMinute, 60 * kSecond);
  EXPECT_EQ(kHour, 60 * kMinute);
  SimDuration d = kSecond;
  d *= 3;
  d /= 2;
  d += kMillisecond;
  d -= 2 * kMillisecond;
  EXPECT_EQ(d, 1'499 * kMillisecond);
  EXPECT_GT(kSecond, SimDuration{});
  EXPECT_EQ(SimDuration::zero(), SimDuration{});
}

TEST(SimTimeAlgebra, ScalingAndConversions) {
  EXPECT_EQ(scale_truncated(kSecond, 0.25), 250 * kMillisecond);
  EXPECT_EQ(scale_truncated(SimDuration::from_ns(10), 0.99), SimDuration::from_ns(9));  // truncates
  EXPECT_EQ(seconds_to_duration(1.5), 1'500 * kMillisecond);
  EXPECT_EQ(seconds_to_duration(2.5e-9), SimDuration::from_ns(3));  // nearest, halves away
  EXPECT_DOUBLE_EQ(to_seconds(1'500 * kMillisecond), 1.5);
  EXPECT_DOUBLE_EQ(to_millis(SimTime{} + 2 * kSecond), 2000.0);
  EXPECT_EQ(human_duration(SimTime{} + 1'500 * kMillisecond), "1.5s");
  EXPECT_EQ(human_duration(300 * kMillisecond), "300ms");
}

}  // namespace
}  // namespace meshtwin::engine
