// Percentiles and Istio's duration buckets, shared by the writer (metrics, summaries), the
// reader, the report and later diff/assertions, so that every tool computes a p99 the same way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/time.h"
#include "model/telemetry/duration_buckets.h"

namespace meshtwin::results {



// Istio's duration buckets live with the metric windows (model/telemetry/duration_buckets.h).
using telemetry::BucketCounts;
using telemetry::duration_bucket;
using telemetry::kDurationBucketBoundsMs;
using telemetry::kDurationBucketBoundsNs;
using telemetry::kDurationBuckets;

// Column names in `metrics`: `bucket_<le in ms>` with `.` written `_`, then `bucket_inf`.
// Counts are NOT cumulative (unlike Prometheus' `le` series): bucket_5 counts durations d with
// 1 ms < d <= 5 ms, so summing a column over windows or label sets is always meaningful.
inline constexpr std::array<std::string_view, kDurationBuckets> kDurationBucketColumns = {
    "bucket_0_5",   "bucket_1",      "bucket_5",      "bucket_10",      "bucket_25",
    "bucket_50",    "bucket_100",    "bucket_250",    "bucket_500",     "bucket_1000",
    "bucket_2500",  "bucket_5000",   "bucket_10000",  "bucket_30000",   "bucket_60000",
    "bucket_300000", "bucket_600000", "bucket_1800000", "bucket_3600000", "bucket_inf"};

// Schema 4: Istio's labels of a hop's two ends, columns of `metrics` after the buckets, in
// this order (docs/results-schema.md says how each is derived).
inline constexpr std::array<std::string_view, 9> kPeerColumns = {
    "source_workload_namespace", "source_app", "source_version", "source_principal",
    "destination_workload_namespace", "destination_app", "destination_principal",
    "request_protocol", "connection_security_policy"};

// Prometheus' histogram_quantile: linear interpolation inside the bucket holding the q-th
// value (bucket 0 starts at 0); a quantile in +Inf answers the last finite bound. q in [0,1].
// Returns 0 for an empty histogram.
std::int64_t percentile_from_buckets(const BucketCounts& counts, double q);

// Exact percentile by nearest rank: the smallest value v such that at least q of the values
// are <= v (so p50 of {1,2,3,4} is 2 and p100 is the max). Sorts `values` in place. 0 if empty.
std::int64_t percentile_exact(std::vector<std::int64_t>& values, double q);

// Collects durations for percentiles with bounded memory: exact (nearest rank) while at most
// `exact_limit` values were added, after that a log-linear histogram with <= 1/128 relative
// error per value (about 5k counters). Tools use it where a run may hold 100M requests.
class DurationDigest {
 public:
  explicit DurationDigest(std::size_t exact_limit = 1u << 20);
  void add(std::int64_t duration);
  void merge(const DurationDigest& other);
  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  std::int64_t max() const { return count_ ? max_ : 0; }
  double sum() const { return sum_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double stddev() const;
  bool exact() const { return !overflowed_; }
  // q in [0,1]; exact nearest rank while exact(), else the midpoint of the fine bucket.
  std::int64_t percentile(double q) const;
  // Fraction of values <= `duration` (for Fortio's histogram percentile column).
  double fraction_at_or_below(std::int64_t duration) const;

 private:
  void spill();
  static std::size_t fine_index(std::int64_t d);
  static std::int64_t fine_lower(std::size_t index);
  static std::int64_t fine_upper(std::size_t index);

  std::size_t exact_limit_;
  std::uint64_t count_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
  double sum_ = 0;
  double sum_sq_ = 0;
  bool overflowed_ = false;
  mutable bool sorted_ = true;
  mutable std::vector<std::int64_t> values_;  // while exact
  std::vector<std::uint64_t> fine_;      // after spill
};

}  // namespace meshtwin::results
