#include "engine/distribution.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace meshtwin::engine {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Φ⁻¹(0.99): converts a lognormal's p50/p99 into sigma.
constexpr double kZ99 = 2.3263478740408408;

// Uniform on the open interval (0, 1): every inversion below may take log(u) or Φ⁻¹(u)
// without special cases. 53 random bits, centred in their bucket.
inline double open01(RngStream& rng) {
  return (static_cast<double>(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53;
}

// Φ⁻¹(p) by Wichura's algorithm AS 241 (PPND16, Applied Statistics 37(3), 1988):
// a rational function of degree 7 over 7 in three ranges of p, relative error about 1e-16, the
// same accuracy as Boost.Math's erf_inv, which it replaced on the sampling hot path (every
// lognormal and normal draw) at about a fifth of the instructions (docs/performance.md).
// tests/engine/normal_quantile_test.cc compares it with Boost over the whole range.
// Sampling is by inversion rather than a ziggurat: exactly one 64-bit word per draw (so how far
// a stream has advanced never depends on the values drawn) and sample() agrees with quantile().
double normal_quantile(double p) {
  if (p <= 0) return -kInf;
  if (p >= 1) return kInf;
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    // The central 85 % of draws: one rational function, no libm call.
    const double r = 0.180625 - q * q;
    const double num = ((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r +
                            6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r +
                          1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r +
                        1.3314166789178437745e2) * r + 3.3871328727963666080e0;
    const double den = ((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r +
                            3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r +
                          5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r +
                        4.2313330701600911252e1) * r + 1.0;
    return q * num / den;
  }
  // Tails: in the variable sqrt(-log(tail area)). 1 - p is exact for p >= 0.5 (Sterbenz).
  double r = std::sqrt(-std::log(q < 0 ? p : 1.0 - p));
  double z;
  if (r <= 5.0) {
    r -= 1.6;
    z = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
              2.41780725177450611770e-1) * r + 1.27045825245236838258e0) * r +
            3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r +
          4.63033784615654529590e0) * r + 1.42343711074968357734e0) /
        (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
              1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r +
            6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r +
          2.05319162663775882187e0) * r + 1.0);
  } else {
    // p or 1 - p below about 1.4e-11.
    r -= 5.0;
    z = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
              1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r +
            2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r +
          5.46378491116411436990e0) * r + 6.65790464350110377720e0) /
        (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
              1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r +
            1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r +
          5.99832206555887937690e-1) * r + 1.0);
  }
  return q < 0 ? -z : z;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

Distribution Distribution::constant(double value) {
  Distribution d;
  d.kind_ = Kind::Constant;
  d.a_ = value;
  return d;
}

Distribution Distribution::uniform(double low, double high) {
  Distribution d;
  d.kind_ = Kind::Uniform;
  d.a_ = low;
  d.b_ = high;
  return d;
}

Distribution Distribution::exponential(double mean) {
  Distribution d;
  d.kind_ = Kind::Exponential;
  d.a_ = mean;
  return d;
}

Distribution Distribution::normal(double mean, double stddev) {
  Distribution d;
  d.kind_ = Kind::Normal;
  d.a_ = mean;
  d.b_ = stddev;
  return d;
}

Distribution Distribution::lognormal_mu_sigma(double mu, double sigma) {
  Distribution d;
  d.kind_ = Kind::LogNormal;
  d.a_ = mu;
  d.b_ = sigma;
  return d;
}

Distribution Distribution::lognormal_p50_p99(double p50, double p99) {
  // ln X ~ N(mu, sigma): the median of X is e^mu and its 99th percentile e^(mu + z99 sigma).
  return lognormal_mu_sigma(std::log(p50), (std::log(p99) - std::log(p50)) / kZ99);
}

Distribution Distribution::pareto(double scale, double shape) {
  Distribution d;
  d.kind_ = Kind::Pareto;
  d.a_ = scale;
  d.b_ = shape;
  return d;
}

Distribution Distribution::empirical(std::vector<std::pair<double, double>> points) {
  Distribution d;
  d.kind_ = Kind::Empirical;
  d.points_ = std::move(points);
  return d;
}

// Kept small so that it inlines into sample_duration (the hot path: every service time,
// latency and inter-arrival time is drawn here); the other kinds go through quantile().
[[gnu::always_inline]] inline double Distribution::sample_inline(RngStream& rng) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;  // draws nothing: a constant never disturbs its stream
    case Kind::Uniform:
      return a_ + (b_ - a_) * rng.uniform01();
    case Kind::Exponential:
      return -a_ * std::log(open01(rng));  // 1 - U and U have the same law
    case Kind::LogNormal:
      // quantile()'s expression, here without its call and second switch: service times and
      // network legs are lognormal, three draws per Bookinfo hop attempt.
      return std::exp(a_ + b_ * normal_quantile(open01(rng)));
    default:
      return quantile(open01(rng));
  }
}

double Distribution::sample(RngStream& rng) const { return sample_inline(rng); }

SimDuration Distribution::sample_duration(RngStream& rng) const {
  const double x = sample_inline(rng);
  if (!(x > 0)) return SimDuration{};  // negative, zero or NaN
  if (x >= 9.2233720368547748e18) return SimDuration::max();
  // Round half away from zero without a libm call: x - whole is exact for x < 2^63.
  const auto whole = static_cast<std::int64_t>(x);
  return SimDuration::from_ns(whole + static_cast<std::int64_t>(x - static_cast<double>(whole) >= 0.5));
}

double Distribution::mean() const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Uniform:
      return 0.5 * (a_ + b_);
    case Kind::Exponential:
    case Kind::Normal:
      return a_;
    case Kind::LogNormal:
      return std::exp(a_ + 0.5 * b_ * b_);
    case Kind::Pareto:
      return b_ > 1 ? b_ * a_ / (b_ - 1) : kInf;
    case Kind::Empirical: {
      if (points_.empty()) return 0;
      // Mass F0 at the first value, then uniform within each segment; whatever the last
      // point leaves below 1 sits at the last value (as sample() does).
      double m = points_.front().second * points_.front().first;
      for (std::size_t i = 1; i < points_.size(); ++i) {
        const double mass = points_[i].second - points_[i - 1].second;
        m += mass * 0.5 * (points_[i].first + points_[i - 1].first);
      }
      m += (1.0 - points_.back().second) * points_.back().first;
      return m;
    }
  }
  return 0;
}

double Distribution::quantile(double p) const {
  switch (kind_) {
    case Kind::Constant:
      return a_;
    case Kind::Uniform:
      return a_ + (b_ - a_) * p;
    case Kind::Exponential:
      return p >= 1 ? kInf : -a_ * std::log1p(-p);
    case Kind::Normal:
      return a_ + b_ * normal_quantile(p);
    case Kind::LogNormal:
      return std::exp(a_ + b_ * normal_quantile(p));
    case Kind::Pareto:
      return p >= 1 ? kInf : a_ * std::pow(1.0 - p, -1.0 / b_);
    case Kind::Empirical: {
      if (points_.empty()) return 0;
      // First point with cumulative probability above p; below the first point's
      // probability the answer is its value (the mass sits there).
      const auto it = std::upper_bound(points_.begin(), points_.end(), p,
                                       [](double v, const auto& pt) { return v < pt.second; });
      if (it == points_.begin()) return it->first;
      if (it == points_.end()) return points_.back().first;
      const auto& lo = *(it - 1);
      const auto& hi = *it;
      const double span = hi.second - lo.second;  // > 0: hi.second > p >= lo.second
      return lo.first + (hi.first - lo.first) * ((p - lo.second) / span);
    }
  }
  return 0;
}

std::string Distribution::describe() const {
  switch (kind_) {
    case Kind::Constant:
      return "constant(" + fmt(a_) + ")";
    case Kind::Uniform:
      return "uniform(" + fmt(a_) + ", " + fmt(b_) + ")";
    case Kind::Exponential:
      return "exponential(mean=" + fmt(a_) + ")";
    case Kind::Normal:
      return "normal(mean=" + fmt(a_) + ", stddev=" + fmt(b_) + ")";
    case Kind::LogNormal:
      return "lognormal(mu=" + fmt(a_) + ", sigma=" + fmt(b_) + "; p50=" + fmt(quantile(0.5)) +
             ", p99=" + fmt(quantile(0.99)) + ")";
    case Kind::Pareto:
      return "pareto(scale=" + fmt(a_) + ", shape=" + fmt(b_) + ")";
    case Kind::Empirical: {
      std::string s = "empirical(";
      for (std::size_t i = 0; i < points_.size(); ++i) {
        if (i > 0) s += ", ";
        s += fmt(points_[i].first) + "@" + fmt(points_[i].second);
      }
      return s + ")";
    }
  }
  return "?";
}

}  // namespace meshtwin::engine
