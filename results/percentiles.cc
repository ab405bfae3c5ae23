#include "results/percentiles.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace meshtwin::results {
namespace {

// Nearest rank (1-based) of quantile q among n values. The epsilon keeps 0.99 * 100 at rank
// 99 despite binary floating point.
std::uint64_t nearest_rank(double q, std::uint64_t n) {
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n) - 1e-9));
  return std::clamp<std::uint64_t>(rank, 1, n);
}

constexpr std::size_t kSubBuckets = 128;  // per power of two: <= 1/128 relative error
constexpr int kSubBits = 7;

}  // namespace

std::int64_t percentile_from_buckets(const BucketCounts& counts, double q) {
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  if (total == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(total);
  std::uint64_t before = 0;
  for (std::size_t b = 0; b < kDurationBuckets; ++b) {
    std::uint64_t c = counts[b];
    if (c == 0 || static_cast<double>(before + c) < rank) {
      before += c;
      continue;
    }
    if (b == kDurationBuckets - 1) return kDurationBucketBoundsNs.back();
    double lower = b == 0 ? 0.0 : static_cast<double>(kDurationBucketBoundsNs[b - 1]);
    double upper = static_cast<double>(kDurationBucketBoundsNs[b]);
    double within = (rank - static_cast<double>(before)) / static_cast<double>(c);
    return static_cast<std::int64_t>(std::llround(lower + (upper - lower) * within));
  }
  return kDurationBucketBoundsNs.back();
}

std::int64_t percentile_exact(std::vector<std::int64_t>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[nearest_rank(q, values.size()) - 1];
}

DurationDigest::DurationDigest(std::size_t exact_limit) : exact_limit_(exact_limit) {}

void DurationDigest::add(std::int64_t d) {
  if (d < 0) d = 0;
  if (count_ == 0) {
    min_ = max_ = d;
  } else {
    min_ = std::min(min_, d);
    max_ = std::max(max_, d);
  }
  ++count_;
  double x = static_cast<double>(d);
  sum_ += x;
  sum_sq_ += x * x;
  if (!overflowed_) {
    values_.push_back(d);
    sorted_ = false;
    if (values_.size() > exact_limit_) spill();
  } else {
    ++fine_[fine_index(d)];
  }
}

void DurationDigest::merge(const DurationDigest& other) {
  if (other.count_ == 0) return;
  if (count_ == 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  sum_ += other.sum_;
  sum_sq_ += other.sum_sq_;
  if (!overflowed_ && !other.overflowed_ && values_.size() + other.values_.size() <= exact_limit_) {
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    sorted_ = false;
    return;
  }
  if (!overflowed_) spill();
  if (other.overflowed_) {
    for (std::size_t i = 0; i < other.fine_.size(); ++i) fine_[i] += other.fine_[i];
  } else {
    for (std::int64_t v : other.values_) ++fine_[fine_index(v)];
  }
}

void DurationDigest::spill() {
  fine_.assign(fine_index(std::numeric_limits<std::int64_t>::max()) + 1, 0);
  for (std::int64_t v : values_) ++fine_[fine_index(v)];
  std::vector<std::int64_t>().swap(values_);  // give the memory back: that is the point
  overflowed_ = true;
}

double DurationDigest::stddev() const {
  if (count_ == 0) return 0;
  double n = static_cast<double>(count_);
  double mean = sum_ / n;
  return std::sqrt(std::max(0.0, sum_sq_ / n - mean * mean));
}

std::size_t DurationDigest::fine_index(std::int64_t d) {
  auto u = static_cast<std::uint64_t>(d);
  if (u < kSubBuckets) return static_cast<std::size_t>(u);
  int e = std::bit_width(u) - 1;  // >= kSubBits
  int shift = e - kSubBits;
  std::size_t sub = static_cast<std::size_t>(u >> shift) - kSubBuckets;
  return kSubBuckets + static_cast<std::size_t>(shift) * kSubBuckets + sub;
}

std::int64_t DurationDigest::fine_lower(std::size_t index) {
  if (index < kSubBuckets) return static_cast<std::int64_t>(index);
  std::size_t k = (index - kSubBuckets) / kSubBuckets;
  std::size_t sub = (index - kSubBuckets) % kSubBuckets;
  return static_cast<std::int64_t>((kSubBuckets + sub) << k);
}

std::int64_t DurationDigest::fine_upper(std::size_t index) {
  if (index < kSubBuckets) return static_cast<std::int64_t>(index);
  std::size_t k = (index - kSubBuckets) / kSubBuckets;
  return fine_lower(index) + static_cast<std::int64_t>((std::uint64_t{1} << k) - 1);
}

std::int64_t DurationDigest::percentile(double q) const {
  if (count_ == 0) return 0;
  std::uint64_t rank = nearest_rank(q, count_);
  if (!overflowed_) {
    if (!sorted_) {
      std::sort(values_.begin(), values_.end());
      sorted_ = true;
    }
    return values_[rank - 1];
  }
  // The extremes are known exactly even when the middle is bucketed.
  if (rank == count_) return max_;
  if (rank == 1) return min_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < fine_.size(); ++i) {
    seen += fine_[i];
    if (seen >= rank) {
      std::int64_t mid = fine_lower(i) + (fine_upper(i) - fine_lower(i)) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

double DurationDigest::fraction_at_or_below(std::int64_t d) const {
  if (count_ == 0) return 0;
  std::uint64_t n = 0;
  if (!overflowed_) {
    if (!sorted_) {
      std::sort(values_.begin(), values_.end());
      sorted_ = true;
    }
    n = static_cast<std::uint64_t>(std::upper_bound(values_.begin(), values_.end(), d) -
                                   values_.begin());
  } else {
    if (d < 0) return 0;
    std::size_t last = fine_index(d);
    for (std::size_t i = 0; i <= last && i < fine_.size(); ++i) n += fine_[i];
  }
  return static_cast<double>(n) / static_cast<double>(count_);
}

}  // namespace meshtwin::results
