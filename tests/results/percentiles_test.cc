#include "results/percentiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace meshtwin::results {
namespace {

// DurationDigest and the percentile helpers work on row values: int64 nanoseconds.
constexpr std::int64_t kMs = engine::kMillisecond.ns();

// duration_bucket searches without branches; it must give std::lower_bound's answer at every
// bound, one either side of it, below the first, past the last and across the range.
TEST(DurationBucket, BranchlessSearchAgreesWithLowerBound) {
  const auto& bounds = telemetry::kDurationBucketBoundsNs;
  auto expect_lower_bound = [&](std::int64_t d) {
    const auto want = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), d) - bounds.begin());
    EXPECT_EQ(duration_bucket(engine::SimDuration::from_ns(d)), want) << d;
  };
  for (const std::int64_t b : bounds)
    for (std::int64_t k = -2; k <= 2; ++k) expect_lower_bound(b + k);
  for (const std::int64_t d : {std::int64_t{-5}, std::int64_t{0}, std::numeric_limits<std::int64_t>::max()})
    expect_lower_bound(d);
  for (std::int64_t d = 1; d < 4'000'000'000'000LL; d = d * 13 / 10 + 7) expect_lower_bound(d);
}

TEST(DurationBucket, UpperBoundIsInclusive) {
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(engine::SimDuration{})], "bucket_0_5");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(engine::kMillisecond / 2)], "bucket_0_5");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(engine::kMillisecond / 2 + engine::kNanosecond)], "bucket_1");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(3 * engine::kMillisecond)], "bucket_5");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(5 * engine::kMillisecond)], "bucket_5");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(5 * engine::kMillisecond + engine::kNanosecond)], "bucket_10");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(3600 * engine::kSecond)], "bucket_3600000");
  EXPECT_EQ(kDurationBucketColumns[duration_bucket(3600 * engine::kSecond + engine::SimDuration::from_ns(1))], "bucket_inf");
}

TEST(DurationBucket, BoundsAgreeInMsAndNs) {
  for (std::size_t i = 0; i < kDurationBucketBoundsMs.size(); ++i) {
    EXPECT_EQ(static_cast<std::int64_t>(kDurationBucketBoundsMs[i] * 1e6), kDurationBucketBoundsNs[i]);
  }
}

TEST(PercentileExact, NearestRank) {
  std::vector<std::int64_t> v = {4, 1, 3, 2};
  EXPECT_EQ(percentile_exact(v, 0.5), 2);
  EXPECT_EQ(percentile_exact(v, 0.75), 3);
  EXPECT_EQ(percentile_exact(v, 1.0), 4);
  EXPECT_EQ(percentile_exact(v, 0.0), 1);
  std::vector<std::int64_t> hundred;
  for (std::int64_t i = 1; i <= 100; ++i) hundred.push_back(i);
  EXPECT_EQ(percentile_exact(hundred, 0.99), 99);
  EXPECT_EQ(percentile_exact(hundred, 0.90), 90);
  std::vector<std::int64_t> empty;
  EXPECT_EQ(percentile_exact(empty, 0.5), 0);
}

TEST(PercentileFromBuckets, InterpolatesLikePrometheus) {
  BucketCounts c{};
  c[2] = 10;  // ten values in (1 ms, 5 ms]
  EXPECT_EQ(percentile_from_buckets(c, 0.5), 3 * kMs);   // halfway through (1, 5]
  EXPECT_EQ(percentile_from_buckets(c, 1.0), 5 * kMs);
  c[3] = 10;  // and ten in (5, 10]
  EXPECT_EQ(percentile_from_buckets(c, 0.5), 5 * kMs);
  EXPECT_EQ(percentile_from_buckets(c, 0.75), 7'500'000);
  BucketCounts inf{};
  inf[kDurationBuckets - 1] = 3;
  EXPECT_EQ(percentile_from_buckets(inf, 0.5), kDurationBucketBoundsNs.back());
  EXPECT_EQ(percentile_from_buckets(BucketCounts{}, 0.5), 0);
}

TEST(DurationDigest, ExactWhileSmall) {
  DurationDigest d(100);
  for (std::int64_t i = 100; i >= 1; --i) d.add(i * kMs);
  EXPECT_TRUE(d.exact());
  EXPECT_EQ(d.count(), 100u);
  EXPECT_EQ(d.percentile(0.5), 50 * kMs);
  EXPECT_EQ(d.percentile(0.99), 99 * kMs);
  EXPECT_EQ(d.min(), 1 * kMs);
  EXPECT_EQ(d.max(), 100 * kMs);
  EXPECT_DOUBLE_EQ(d.mean(), 50.5 * kMs);
  EXPECT_DOUBLE_EQ(d.fraction_at_or_below(10 * kMs), 0.10);
}

TEST(DurationDigest, BoundedErrorAfterSpill) {
  DurationDigest d(1000);
  for (std::int64_t i = 1; i <= 100'000; ++i) d.add(i * 1000);  // 1 us .. 100 ms
  EXPECT_FALSE(d.exact());
  EXPECT_EQ(d.count(), 100'000u);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double want = q * 100'000 * 1000;
    EXPECT_NEAR(static_cast<double>(d.percentile(q)), want, want / 128) << q;
  }
  EXPECT_EQ(d.percentile(1.0), d.max());
  EXPECT_NEAR(d.fraction_at_or_below(50 * kMs), 0.5, 0.01);
}

TEST(DurationDigest, MergeKeepsCountsAndOrder) {
  DurationDigest a(10), b(10);
  for (std::int64_t i = 1; i <= 5; ++i) a.add(i);
  for (std::int64_t i = 6; i <= 10; ++i) b.add(i);
  a.merge(b);
  EXPECT_TRUE(a.exact());
  EXPECT_EQ(a.count(), 10u);
  EXPECT_EQ(a.percentile(0.5), 5);
  DurationDigest c(3);
  c.merge(a);  // does not fit: spills
  EXPECT_FALSE(c.exact());
  EXPECT_EQ(c.count(), 10u);
  EXPECT_EQ(c.percentile(0.5), 5);  // small values have exact fine buckets
}

}  // namespace
}  // namespace meshtwin::results
