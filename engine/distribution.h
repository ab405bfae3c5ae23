#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/rng.h"
#include "engine/time.h"

namespace meshtwin::engine {

// A univariate distribution as the scenario file describes them (docs/design.md §3.2): constant,
// uniform, exponential, normal, lognormal (by p50/p99 or mu/sigma), pareto, empirical CDF.
// Values are in whatever unit the caller chose; durations use nanoseconds as doubles.
// Immutable after construction; sampling draws from the stream given.
//
// Sampling is by inversion: exactly one 64-bit word per draw (none for a constant), so a
// stream's position never depends on the values drawn. Complexity: sample, mean, quantile
// O(1), except empirical O(log k) for sample and quantile and O(k) for mean (k points).
class Distribution {
 public:
  enum class Kind { Constant, Uniform, Exponential, Normal, LogNormal, Pareto, Empirical };

  Distribution() = default;  // constant 0
  static Distribution constant(double value);
  static Distribution uniform(double low, double high);
  static Distribution exponential(double mean);
  static Distribution normal(double mean, double stddev);
  // Parameters of the underlying normal of ln(X).
  static Distribution lognormal_mu_sigma(double mu, double sigma);
  // The lognormal whose median is p50 and 99th percentile p99 (p99 >= p50 > 0).
  static Distribution lognormal_p50_p99(double p50, double p99);
  // Pareto type I with minimum `scale` and tail index `shape` (> 0).
  static Distribution pareto(double scale, double shape);
  // Points (value, cumulative probability) with increasing values and probabilities ending at
  // 1; sampling interpolates linearly between points (the first point's probability mass
  // sits at its value).
  static Distribution empirical(std::vector<std::pair<double, double>> points);

  double sample(RngStream& rng) const;
  // A sample as a duration: rounded to ns and clamped at 0 (a normal can go negative).
  SimDuration sample_duration(RngStream& rng) const;

  // Theoretical mean and quantile, for tests and for `explain`.
  double mean() const;
  double quantile(double p) const;

  Kind kind() const { return kind_; }
  bool is_constant() const { return kind_ == Kind::Constant; }
  // e.g. "lognormal(p50=4ms-equivalent mu=..., sigma=...)"; for messages only.
  std::string describe() const;

 private:
  Kind kind_ = Kind::Constant;
  double sample_inline(RngStream& rng) const;

  double a_ = 0;  // meaning depends on kind: value, low, mean, mu, scale
  double b_ = 0;  // high, stddev, sigma, shape
  std::vector<std::pair<double, double>> points_;
};

}  // namespace meshtwin::engine
