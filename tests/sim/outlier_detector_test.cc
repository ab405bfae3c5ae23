// Outlier detection (docs/semantics.md §10): Istio's translation (§10.1), what feeds the detector
// (§10.2), ejection at the Nth consecutive error with current Envoy's max-ejection check
// (§10.3), un-ejection only on interval ticks with a growing, capped, decaying multiplier
// (§10.4), and §16.1 item 8.
#include "model/proxy/outlier_detector.h"

#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::proxy {
namespace {

using engine::kSecond;
using Type = OutlierDetector::EjectionType;
using LocalOrigin = OutlierDetector::LocalOriginFailure;

OutlierSettings defaults() { return resolve_outlier_detection(config::OutlierDetection{}); }

// Sends `n` responses with `status` to `host` at `now`; returns how many of them ejected it.
int send(OutlierDetector& od, std::uint32_t host, int status, int n, SimTime now) {
  int ejections = 0;
  for (int i = 0; i < n; ++i) ejections += od.on_response(host, status, now);
  return ejections;
}

TEST(OutlierSettingsTest, IstioDefaultsWhenTheBlockIsEmpty_Sem10_1) {
  const OutlierSettings s = defaults();
  EXPECT_EQ(s.consecutive_5xx, 5u);
  EXPECT_TRUE(s.enforce_consecutive_5xx);
  EXPECT_EQ(s.consecutive_gateway_failure, 5u);
  EXPECT_FALSE(s.enforce_consecutive_gateway_failure);  // unset -> Envoy's enforcing 0
  EXPECT_FALSE(s.split_external_local_origin_errors);
  EXPECT_EQ(s.interval, 10 * kSecond);
  EXPECT_EQ(s.base_ejection_time, 30 * kSecond);
  EXPECT_EQ(s.max_ejection_time, 300 * kSecond);
  EXPECT_EQ(s.max_ejection_percent, 10u);
  EXPECT_EQ(s.healthy_panic_threshold, 0u);  // minHealthPercent 0: panic off (§8.5)
}

TEST(OutlierSettingsTest, ExplicitValuesAndZeroMeaningOff_Sem10_1) {
  config::OutlierDetection od;
  od.consecutive_5xx_errors = 0;  // explicitly 0: detector off (enforcing 0)
  od.consecutive_gateway_errors = 3;
  od.interval = 2 * kSecond;
  od.base_ejection_time = 400 * kSecond;  // above 300 s: max_ejection_time follows it
  od.max_ejection_percent = 50;
  od.min_health_percent = 30;
  od.consecutive_errors = 1;  // deprecated, ignored
  od.split_external_local_origin_errors = true;
  od.consecutive_local_origin_failures = 7;
  const OutlierSettings s = resolve_outlier_detection(od);
  EXPECT_EQ(s.consecutive_5xx, 0u);
  EXPECT_FALSE(s.enforce_consecutive_5xx);
  EXPECT_EQ(s.consecutive_gateway_failure, 3u);
  EXPECT_TRUE(s.enforce_consecutive_gateway_failure);
  EXPECT_EQ(s.interval, 2 * kSecond);
  EXPECT_EQ(s.base_ejection_time, 400 * kSecond);
  EXPECT_EQ(s.max_ejection_time, 400 * kSecond);
  EXPECT_EQ(s.max_ejection_percent, 50u);
  EXPECT_EQ(s.healthy_panic_threshold, 30u);
  EXPECT_TRUE(s.split_external_local_origin_errors);
  EXPECT_EQ(s.consecutive_local_origin_failure, 7u);

  // consecutive5xxErrors: 0 really switches the 5xx detector off.
  OutlierDetector detector(s, 2);
  EXPECT_EQ(send(detector, 0, 500, 20, SimTime{}), 0);
  EXPECT_FALSE(detector.is_ejected(0));
}

TEST(OutlierDetectorTest, FiveConsecutive503sOfTenHostsEjectAtTheFifthAndReturnOnATick_Sem10_3) {
  OutlierDetector od(defaults(), 10);
  const SimTime t = engine::SimTime{} + 12 * kSecond;
  EXPECT_EQ(send(od, 3, 503, 4, t), 0);
  EXPECT_FALSE(od.is_ejected(3));
  EXPECT_TRUE(od.on_response(3, 503, t));  // the 5th: ejected at that response
  EXPECT_TRUE(od.is_ejected(3));
  EXPECT_EQ(od.ejected_count(), 1u);
  EXPECT_EQ(od.last_ejection_type(3), Type::Consecutive5xx);
  EXPECT_EQ(od.multiplier(3), 1u);
  EXPECT_EQ(od.ejection_duration(3), 30 * kSecond);
  EXPECT_EQ(od.ejected_at(3), t);

  // Ticks every 10 s from t=0: at 40 s only 28 s have passed; the first tick after 30 s is 50 s.
  std::vector<std::uint32_t> returned;
  for (SimTime tick = engine::SimTime{} + 20 * kSecond; tick <= SimTime{} + 40 * kSecond; tick += 10 * kSecond) {
    od.on_interval(tick, returned);
    EXPECT_TRUE(returned.empty()) << tick.ns();
    EXPECT_TRUE(od.is_ejected(3));
  }
  od.on_interval(engine::SimTime{} + 50 * kSecond, returned);
  EXPECT_EQ(returned, (std::vector<std::uint32_t>{3}));
  EXPECT_FALSE(od.is_ejected(3));
  EXPECT_EQ(od.ejected_count(), 0u);
}

TEST(OutlierDetectorTest, FourHostsWithDefaultMaxEjectionPercentNeverEject_Sem10_3_Sem16_1) {
  // 100 × (0 + 1) / 4 = 25 % > 10 %: refused. The counter is still reset, so the next try
  // needs another full run of 5.
  // (500s: only the 5xx detector runs, so each refusal counts once in overflow_count.)
  OutlierDetector od(defaults(), 4);
  EXPECT_EQ(send(od, 0, 500, 5, SimTime{}), 0);
  EXPECT_FALSE(od.is_ejected(0));
  EXPECT_EQ(od.overflow_count(), 1u);
  EXPECT_EQ(send(od, 0, 500, 4, SimTime{}), 0);
  EXPECT_EQ(od.overflow_count(), 1u);  // 4 more errors: below the threshold again
  EXPECT_EQ(send(od, 0, 500, 1, SimTime{}), 0);
  EXPECT_EQ(od.overflow_count(), 2u);
  for (std::uint32_t h = 1; h < 4; ++h) EXPECT_EQ(send(od, h, 503, 50, SimTime{}), 0);
  EXPECT_EQ(od.ejected_count(), 0u);
  // 503s also reach the (unenforced) gateway threshold; Envoy checks the percentage before
  // enforcement, so that refusal is counted as an overflow too.
  OutlierDetector gateway(defaults(), 4);
  EXPECT_EQ(send(gateway, 0, 503, 5, SimTime{}), 0);
  EXPECT_EQ(gateway.overflow_count(), 2u);
}

TEST(OutlierDetectorTest, TenHostsAtTenPercentAllowExactlyOneEjection_Sem10_3) {
  OutlierDetector od(defaults(), 10);
  EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 1);  // 100 × 1 / 10 = 10 ≤ 10
  EXPECT_EQ(send(od, 1, 500, 5, SimTime{}), 0);  // 100 × 2 / 10 = 20 > 10
  EXPECT_FALSE(od.is_ejected(1));
  EXPECT_EQ(od.overflow_count(), 1u);
}

TEST(OutlierDetectorTest, ThreeHostsNeedAtLeast34PercentForOneEjection_Sem10_3) {
  auto with_percent = [](int percent) {
    config::OutlierDetection cfg;
    cfg.max_ejection_percent = percent;
    return resolve_outlier_detection(cfg);
  };
  {
    OutlierDetector od(with_percent(33), 3);  // 33.3 % > 33
    EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 0);
  }
  {
    OutlierDetector od(with_percent(34), 3);  // 33.3 % ≤ 34 -> one; 66.7 % > 34 -> not two
    EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 1);
    EXPECT_EQ(send(od, 1, 503, 5, SimTime{}), 0);
    EXPECT_EQ(od.ejected_count(), 1u);
  }
  {
    OutlierDetector od(with_percent(67), 3);  // 66.7 % ≤ 67 -> two; 100 % -> not three
    EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 1);
    EXPECT_EQ(send(od, 1, 503, 5, SimTime{}), 1);
    EXPECT_EQ(send(od, 2, 503, 5, SimTime{}), 0);
    EXPECT_EQ(od.ejected_count(), 2u);
  }
}

TEST(OutlierDetectorTest, ASuccessOrA4xxBreaksTheRun_Sem10_2) {
  OutlierDetector od(defaults(), 10);
  EXPECT_EQ(send(od, 0, 503, 4, SimTime{}), 0);
  EXPECT_FALSE(od.on_response(0, 200, engine::SimTime{}));
  EXPECT_EQ(send(od, 0, 503, 4, SimTime{}), 0);
  EXPECT_FALSE(od.on_response(0, 404, engine::SimTime{}));
  EXPECT_EQ(send(od, 0, 500, 4, SimTime{}), 0);
  EXPECT_FALSE(od.is_ejected(0));
  EXPECT_TRUE(od.on_response(0, 500, engine::SimTime{}));  // 5 in a row at last
}

TEST(OutlierDetectorTest, GatewayErrorsCountOnlyWhenConfiguredAndBreakOnOther5xx_Sem10_2) {
  config::OutlierDetection cfg;
  cfg.consecutive_gateway_errors = 3;
  cfg.consecutive_5xx_errors = 0;  // only the gateway detector
  OutlierDetector od(resolve_outlier_detection(cfg), 10);
  EXPECT_EQ(send(od, 0, 502, 2, SimTime{}), 0);
  EXPECT_FALSE(od.on_response(0, 500, engine::SimTime{}));  // a non-gateway 5xx resets the gateway run
  EXPECT_EQ(send(od, 0, 504, 2, SimTime{}), 0);
  EXPECT_TRUE(od.on_response(0, 503, engine::SimTime{}));
  EXPECT_EQ(od.last_ejection_type(0), Type::ConsecutiveGatewayFailure);

  // With Istio's defaults the gateway detector reaches 5 first but is not enforced; the 5xx
  // detector ejects on the same response.
  OutlierDetector by_default(defaults(), 10);
  EXPECT_EQ(send(by_default, 1, 503, 5, SimTime{}), 1);
  EXPECT_EQ(by_default.last_ejection_type(1), Type::Consecutive5xx);
}

TEST(OutlierDetectorTest, ErrorsWhileEjectedDoNotRetriggerAndReturnResetsCounters_Sem10_3_Sem10_4) {
  OutlierDetector od(defaults(), 10);
  EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 1);
  // In-flight requests still answer with errors: the counter goes past 5 (no reset while
  // ejected), the equality check never fires again, nothing changes.
  EXPECT_EQ(send(od, 0, 503, 7, engine::SimTime{} + kSecond), 0);
  EXPECT_EQ(od.ejection_count(0), 1u);
  EXPECT_EQ(od.multiplier(0), 1u);
  std::vector<std::uint32_t> returned;
  od.on_interval(engine::SimTime{} + 30 * kSecond, returned);
  ASSERT_EQ(returned, (std::vector<std::uint32_t>{0}));
  // Counters were reset on return: a fresh run of 5 is needed.
  EXPECT_EQ(send(od, 0, 503, 4, engine::SimTime{} + 31 * kSecond), 0);
  EXPECT_FALSE(od.is_ejected(0));
  EXPECT_TRUE(od.on_response(0, 503, engine::SimTime{} + 31 * kSecond));
}

TEST(OutlierDetectorTest, MultiplierGrowsLinearlyAndStopsAtTheCap_Sem10_3) {
  // Eject, return at the next possible tick, eject again at once (no decay tick in between):
  // durations 30, 60, ..., 300 s; the multiplier stops at 11 (30 × 11 = 330 = max + base).
  OutlierDetector od(defaults(), 10);
  std::vector<std::uint32_t> returned;
  SimTime now = engine::SimTime{};
  const std::vector<std::uint32_t> expected{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 11};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(send(od, 5, 503, 5, now), 1) << i;
    EXPECT_EQ(od.multiplier(5), expected[i]) << i;
    const engine::SimDuration duration = std::min<engine::SimDuration>(30 * kSecond * expected[i], 300 * kSecond);
    EXPECT_EQ(od.ejection_duration(5), duration) << i;
    od.on_interval(now + duration - kSecond, returned);  // one second short: still out
    EXPECT_TRUE(returned.empty()) << i;
    now += duration;
    od.on_interval(now, returned);
    ASSERT_EQ(returned, (std::vector<std::uint32_t>{5})) << i;
  }
}

TEST(OutlierDetectorTest, MultiplierDecaysOnePerTickOnceAnIntervalHasPassed_Sem10_4) {
  OutlierDetector od(defaults(), 10);
  std::vector<std::uint32_t> returned;
  ASSERT_EQ(send(od, 2, 503, 5, engine::SimTime{} + 5 * kSecond), 1);  // multiplier 1
  od.on_interval(engine::SimTime{} + 30 * kSecond, returned);            // 25 s < 30 s
  EXPECT_TRUE(returned.empty());
  od.on_interval(engine::SimTime{} + 40 * kSecond, returned);
  ASSERT_EQ(returned.size(), 1u);
  ASSERT_EQ(send(od, 2, 503, 5, engine::SimTime{} + 41 * kSecond), 1);  // multiplier 2: 60 s
  EXPECT_EQ(od.multiplier(2), 2u);
  od.on_interval(engine::SimTime{} + 100 * kSecond, returned);  // 59 s
  EXPECT_TRUE(returned.empty());
  od.on_interval(engine::SimTime{} + 110 * kSecond, returned);  // 69 s: back; no decay on the returning tick
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(od.multiplier(2), 2u);
  od.on_interval(engine::SimTime{} + 115 * kSecond, returned);  // only 5 s since the return: no decay yet
  EXPECT_EQ(od.multiplier(2), 2u);
  od.on_interval(engine::SimTime{} + 120 * kSecond, returned);
  EXPECT_EQ(od.multiplier(2), 1u);
  od.on_interval(engine::SimTime{} + 130 * kSecond, returned);
  EXPECT_EQ(od.multiplier(2), 0u);
  od.on_interval(engine::SimTime{} + 140 * kSecond, returned);
  EXPECT_EQ(od.multiplier(2), 0u);
  // Fully decayed: the next ejection lasts the base time again.
  ASSERT_EQ(send(od, 2, 503, 5, engine::SimTime{} + 141 * kSecond), 1);
  EXPECT_EQ(od.ejection_duration(2), 30 * kSecond);
}

TEST(OutlierDetectorTest, LocalOriginFailuresCountAs503And504WithoutSplitMode_Sem10_2) {
  OutlierDetector od(defaults(), 10);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(od.on_local_origin_failure(0, LocalOrigin::ConnectFailed, engine::SimTime{}));
  od.on_connect_success(0);  // no effect without split mode
  EXPECT_TRUE(od.on_local_origin_failure(0, LocalOrigin::Timeout, engine::SimTime{}));
  EXPECT_EQ(od.last_ejection_type(0), Type::Consecutive5xx);

  OutlierDetector other(defaults(), 10);
  EXPECT_EQ(send(other, 1, 503, 2, SimTime{}), 0);
  EXPECT_FALSE(other.on_local_origin_failure(1, LocalOrigin::Timeout, engine::SimTime{}));
  EXPECT_FALSE(other.on_response(1, 200, engine::SimTime{}));  // a real success ends the run of both kinds
  EXPECT_EQ(send(other, 1, 503, 4, SimTime{}), 0);
  EXPECT_FALSE(other.is_ejected(1));
}

TEST(OutlierDetectorTest, SplitModeKeepsLocalOriginFailuresApart_Sem10_2) {
  config::OutlierDetection cfg;
  cfg.split_external_local_origin_errors = true;
  cfg.consecutive_local_origin_failures = 3;
  OutlierDetector od(resolve_outlier_detection(cfg), 10);
  // Local-origin failures do not feed the 5xx counter...
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(od.on_local_origin_failure(0, LocalOrigin::ConnectFailed, engine::SimTime{}));
  EXPECT_EQ(send(od, 0, 503, 4, SimTime{}), 0);
  // ...and HTTP responses, even successes, do not reset the local-origin counter.
  EXPECT_FALSE(od.on_response(0, 200, engine::SimTime{}));
  EXPECT_TRUE(od.on_local_origin_failure(0, LocalOrigin::Timeout, engine::SimTime{}));
  EXPECT_EQ(od.last_ejection_type(0), Type::ConsecutiveLocalOriginFailure);

  // A successful connection resets it.
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(od.on_local_origin_failure(1, LocalOrigin::ConnectFailed, engine::SimTime{}));
  od.on_connect_success(1);
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(od.on_local_origin_failure(1, LocalOrigin::ConnectFailed, engine::SimTime{}));
  EXPECT_FALSE(od.is_ejected(1));
}

TEST(OutlierDetectorTest, GrpcStatusesMapToWhatTheDetectorSees_Sem10_2) {
  EXPECT_EQ(grpc_to_http_status(0), 200);
  EXPECT_EQ(grpc_to_http_status(14), 503);  // UNAVAILABLE: a gateway error
  EXPECT_EQ(grpc_to_http_status(4), 504);   // DEADLINE_EXCEEDED
  EXPECT_EQ(grpc_to_http_status(13), 500);
  EXPECT_EQ(grpc_to_http_status(5), 404);
  EXPECT_EQ(grpc_to_http_status(8), 429);
  EXPECT_EQ(grpc_to_http_status(99), 500);
  OutlierDetector od(defaults(), 10);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(od.on_response(0, grpc_to_http_status(14), engine::SimTime{}));
  EXPECT_TRUE(od.on_response(0, grpc_to_http_status(14), engine::SimTime{}));
}

TEST(OutlierDetectorTest, MembershipChangesCarryStateAndDropRemovedEjections_Sem10_3) {
  OutlierDetector od(defaults(), 10);
  ASSERT_EQ(send(od, 4, 503, 5, SimTime{}), 1);
  EXPECT_EQ(send(od, 6, 503, 3, SimTime{}), 0);
  // New order: old 6 first, old 4 second, then 8 fresh hosts (10 in all).
  std::vector<std::int32_t> previous{6, 4, -1, -1, -1, -1, -1, -1, -1, -1};
  od.update_hosts(previous);
  EXPECT_EQ(od.host_count(), 10u);
  EXPECT_TRUE(od.is_ejected(1));
  EXPECT_EQ(od.ejected_count(), 1u);
  EXPECT_EQ(send(od, 0, 503, 1, SimTime{}), 0);  // old host 6 had 3 errors: this is its 4th
  // Host 4 gone: nothing ejected remains, and a fresh 11-host set may eject again.
  std::vector<std::int32_t> without{0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
  od.update_hosts(without);
  EXPECT_EQ(od.ejected_count(), 0u);
  EXPECT_TRUE(od.on_response(0, 503, engine::SimTime{}));  // the carried run reaches 5
}

TEST(OutlierDetectorTest, MonitoredCountIsTheMaxEjectionDenominator_Sem10_3_Sem13) {
  // 10 endpoint indices, but only 9 reached this proxy: 100 × 1 / 9 = 11.1 % > 10 %.
  OutlierDetector od(defaults(), 10);
  od.set_monitored_host_count(9);
  EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 0);
  od.set_monitored_host_count(10);
  EXPECT_EQ(send(od, 0, 503, 5, SimTime{}), 1);
}

}  // namespace
}  // namespace meshtwin::proxy
