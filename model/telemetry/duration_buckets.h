// Istio's duration histogram: the buckets of `istio_request_duration_milliseconds`, shared by
// the metric windows (metric_windows.h) and every reader of them (results/percentiles.h).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "engine/time.h"

namespace meshtwin::telemetry {

// Istio's default `istio_request_duration_milliseconds` boundaries (ms), then +Inf: Envoy's
// default histogram buckets (envoy/config/metrics/v3/stats.proto HistogramSettings), which
// Istio's stats filter does not override.
inline constexpr std::size_t kDurationBuckets = 20;  // 19 finite + +Inf
inline constexpr std::array<double, kDurationBuckets - 1> kDurationBucketBoundsMs = {
    0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000,
    600000, 1800000, 3600000};
// The same boundaries in ns (exact integers: comparisons never round).
inline constexpr std::array<std::int64_t, kDurationBuckets - 1> kDurationBucketBoundsNs = {
    500'000LL, 1'000'000LL, 5'000'000LL, 10'000'000LL, 25'000'000LL, 50'000'000LL,
    100'000'000LL, 250'000'000LL, 500'000'000LL, 1'000'000'000LL, 2'500'000'000LL,
    5'000'000'000LL, 10'000'000'000LL, 30'000'000'000LL, 60'000'000'000LL, 300'000'000'000LL,
    600'000'000'000LL, 1'800'000'000'000LL, 3'600'000'000'000LL};

using BucketCounts = std::array<std::uint64_t, kDurationBuckets>;

// Index of the bucket a duration falls in (upper bound inclusive, like Prometheus' `le`).
// The first bound not below d (std::lower_bound's answer), searched without branches: the
// halving steps compile to conditional moves. Durations land in neighbouring buckets at random,
// and a branchy search mispredicted about twice per call, three calls per hop attempt.
inline std::size_t duration_bucket(engine::SimDuration duration) {
  const std::int64_t d = duration.ns();
  const std::int64_t* base = kDurationBucketBoundsNs.data();
  std::size_t n = kDurationBucketBoundsNs.size();
  while (n > 1) {
    const std::size_t half = n / 2;
    base = base[half - 1] < d ? base + half : base;
    n -= half;
  }
  return static_cast<std::size_t>(base - kDurationBucketBoundsNs.data()) + (*base < d ? 1 : 0);
}

}  // namespace meshtwin::telemetry
