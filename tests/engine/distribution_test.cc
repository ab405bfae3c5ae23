#include "engine/distribution.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::engine {
namespace {

constexpr int kSamples = 200000;

// Theory is written here from closed forms, independently of distribution.cc (which samples
// by inverting its own quantile function, so comparing samples with quantile() would be
// circular).
double phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

struct Theory {
  std::function<double(double)> cdf;
  double mean;
  double variance;
  std::vector<double> probe_points;  // x values at which the empirical CDF is checked
};

// Checks the sample mean (within 6 standard errors) and the empirical CDF at each probe point
// (within 6 binomial standard deviations, i.e. about 0.0013 at p = 0.99 with 200k samples).
void check_against_theory(const Distribution& d, const Theory& t, const std::string& name) {
  RngStream rng(2024, "test/distribution/" + name);
  std::vector<double> xs(kSamples);
  double sum = 0;
  for (double& x : xs) {
    x = d.sample(rng);
    sum += x;
  }
  const double mean = sum / kSamples;
  EXPECT_NEAR(mean, t.mean, 6 * std::sqrt(t.variance / kSamples)) << name << " mean";
  EXPECT_NEAR(d.mean(), t.mean, 1e-9 * std::max(1.0, std::fabs(t.mean))) << name << " mean()";
  std::sort(xs.begin(), xs.end());
  for (double x : t.probe_points) {
    const double p = t.cdf(x);
    const double emp =
        static_cast<double>(std::upper_bound(xs.begin(), xs.end(), x) - xs.begin()) / kSamples;
    EXPECT_NEAR(emp, p, 6 * std::sqrt(p * (1 - p) / kSamples) + 1e-9)
        << name << " empirical CDF at " << x;
  }
}

TEST(Distribution, ConstantDrawsNothing) {
  const Distribution d = Distribution::constant(3.5);
  RngStream a(1, "x"), b(1, "x");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(d.sample(a), 3.5);
  EXPECT_EQ(a.next_u64(), b.next_u64());  // the stream did not advance
  EXPECT_EQ(d.mean(), 3.5);
  EXPECT_EQ(d.quantile(0.99), 3.5);
  EXPECT_TRUE(d.is_constant());
  EXPECT_EQ(Distribution().sample(a), 0.0);
  EXPECT_TRUE(Distribution().is_constant());
}

TEST(Distribution, Uniform) {
  const Distribution d = Distribution::uniform(2, 10);
  EXPECT_EQ(d.kind(), Distribution::Kind::Uniform);
  EXPECT_DOUBLE_EQ(d.quantile(0.25), 4.0);
  check_against_theory(d,
                       {[](double x) { return std::clamp((x - 2) / 8, 0.0, 1.0); }, 6.0,
                        64.0 / 12, {2.1, 4, 6, 9, 9.9}},
                       "uniform");
}

TEST(Distribution, Exponential) {
  const double mean = 5e6;
  const Distribution d = Distribution::exponential(mean);
  EXPECT_NEAR(d.quantile(0.5), mean * std::log(2.0), 1e-6);
  EXPECT_NEAR(d.quantile(0.99), mean * std::log(100.0), 1e-6);
  auto cdf = [mean](double x) { return x <= 0 ? 0 : 1 - std::exp(-x / mean); };
  std::vector<double> probes;
  for (double p : {0.01, 0.1, 0.5, 0.9, 0.99, 0.999}) probes.push_back(-mean * std::log(1 - p));
  check_against_theory(d, {cdf, mean, mean * mean, probes}, "exponential");
}

TEST(Distribution, Normal) {
  const Distribution d = Distribution::normal(100, 15);
  // Known standard normal quantiles.
  EXPECT_NEAR(d.quantile(0.5), 100, 1e-12);
  EXPECT_NEAR(d.quantile(0.975), 100 + 15 * 1.959963984540054, 1e-9);
  EXPECT_NEAR(d.quantile(0.99), 100 + 15 * 2.3263478740408408, 1e-9);
  EXPECT_NEAR(d.quantile(0.001), 100 - 15 * 3.090232306167813, 1e-9);
  EXPECT_NEAR(Distribution::normal(0, 1).quantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(Distribution::normal(0, 1).quantile(1 - 1e-6), 4.753424308822899, 1e-9);
  EXPECT_EQ(d.quantile(0), -INFINITY);
  EXPECT_EQ(d.quantile(1), INFINITY);
  auto cdf = [](double x) { return phi((x - 100) / 15); };
  check_against_theory(d, {cdf, 100, 225, {70, 85, 100, 115, 130, 140}}, "normal");
}

TEST(Distribution, LogNormalByP50P99HitsBothPercentiles) {
  const double p50 = 4e6, p99 = 30e6;  // 4ms, 30ms in ns
  const Distribution d = Distribution::lognormal_p50_p99(p50, p99);
  EXPECT_EQ(d.kind(), Distribution::Kind::LogNormal);
  EXPECT_NEAR(d.quantile(0.5), p50, p50 * 1e-12);
  EXPECT_NEAR(d.quantile(0.99), p99, p99 * 1e-9);
  const double mu = std::log(p50);
  const double sigma = std::log(p99 / p50) / 2.326347874040841;
  auto cdf = [mu, sigma](double x) { return x <= 0 ? 0 : phi((std::log(x) - mu) / sigma); };
  const double m = std::exp(mu + sigma * sigma / 2);
  const double var = (std::exp(sigma * sigma) - 1) * m * m;
  // Probes include p50 and p99 themselves: a p99 off by 10% moves the CDF there by ~0.0026,
  // twice the tolerance.
  check_against_theory(d, {cdf, m, var, {1e6, p50, 10e6, 20e6, p99, 60e6}}, "lognormal_p50_p99");
}

TEST(Distribution, LogNormalByMuSigma) {
  const double mu = 1.0, sigma = 0.5;
  const Distribution d = Distribution::lognormal_mu_sigma(mu, sigma);
  EXPECT_NEAR(d.quantile(0.5), std::exp(mu), 1e-12);
  auto cdf = [mu, sigma](double x) { return x <= 0 ? 0 : phi((std::log(x) - mu) / sigma); };
  const double m = std::exp(mu + sigma * sigma / 2);
  const double var = (std::exp(sigma * sigma) - 1) * m * m;
  check_against_theory(d, {cdf, m, var, {1.0, 2.0, std::exp(mu), 5.0, 8.0}}, "lognormal_mu_sigma");
}

TEST(Distribution, Pareto) {
  const double scale = 2, shape = 5;
  const Distribution d = Distribution::pareto(scale, shape);
  EXPECT_NEAR(d.quantile(0.5), scale * std::pow(2.0, 1 / shape), 1e-12);
  EXPECT_NEAR(d.quantile(0), scale, 1e-12);
  auto cdf = [=](double x) { return x <= scale ? 0 : 1 - std::pow(scale / x, shape); };
  const double m = shape * scale / (shape - 1);
  const double var = scale * scale * shape / ((shape - 1) * (shape - 1) * (shape - 2));
  check_against_theory(d, {cdf, m, var, {2.05, 2.3, 2.5, 3, 4, 5}}, "pareto");
  EXPECT_EQ(Distribution::pareto(1, 1).mean(), INFINITY);
  RngStream rng(3, "test/pareto-min");
  for (int i = 0; i < 1000; ++i) EXPECT_GE(d.sample(rng), scale);
}

TEST(Distribution, EmpiricalInterpolatesBetweenPoints) {
  // Mass 0.2 at 1, then uniform on [1,2] with mass 0.3, uniform on [2,4] with mass 0.5.
  const Distribution d = Distribution::empirical({{1, 0.2}, {2, 0.5}, {4, 1.0}});
  EXPECT_EQ(d.kind(), Distribution::Kind::Empirical);
  EXPECT_DOUBLE_EQ(d.quantile(0.1), 1);
  EXPECT_DOUBLE_EQ(d.quantile(0.35), 1.5);
  EXPECT_DOUBLE_EQ(d.quantile(0.5), 2);
  EXPECT_DOUBLE_EQ(d.quantile(0.75), 3);
  EXPECT_DOUBLE_EQ(d.quantile(1.0), 4);
  auto cdf = [](double x) {
    if (x < 1) return 0.0;
    if (x < 2) return 0.2 + 0.3 * (x - 1);
    if (x < 4) return 0.5 + 0.5 * (x - 2) / 2;
    return 1.0;
  };
  const double m = 0.2 * 1 + 0.3 * 1.5 + 0.5 * 3;
  const double ex2 = 0.2 * 1 + 0.3 * (1 + 2 + 4) / 3.0 + 0.5 * (4 + 8 + 16) / 3.0;
  check_against_theory(d, {cdf, m, ex2 - m * m, {1.0, 1.5, 2.0, 3.0, 3.9}}, "empirical");
}

TEST(Distribution, EmpiricalDegenerateInputsDoNotCrash) {
  RngStream rng(4, "test/empirical-degenerate");
  const Distribution one = Distribution::empirical({{5, 1.0}});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(one.sample(rng), 5);
  EXPECT_EQ(one.mean(), 5);
  EXPECT_EQ(one.quantile(0.3), 5);

  const Distribution none = Distribution::empirical({});
  EXPECT_EQ(none.sample(rng), 0);
  EXPECT_EQ(none.mean(), 0);

  // Flat segment (repeated probability) and a last probability short of 1.
  const Distribution odd = Distribution::empirical({{1, 0.5}, {2, 0.5}, {3, 0.9}});
  for (int i = 0; i < 1000; ++i) {
    const double x = odd.sample(rng);
    EXPECT_TRUE(std::isfinite(x));
    EXPECT_GE(x, 1);
    EXPECT_LE(x, 3);
  }
  EXPECT_DOUBLE_EQ(odd.quantile(0.95), 3);
}

TEST(Distribution, SampleDurationRoundsAndClamps) {
  RngStream rng(5, "test/duration");
  EXPECT_EQ(Distribution::constant(1.5).sample_duration(rng), SimDuration::from_ns(2));
  EXPECT_EQ(Distribution::constant(2.4).sample_duration(rng), SimDuration::from_ns(2));
  EXPECT_EQ(Distribution::constant(-5).sample_duration(rng), engine::SimDuration{});
  EXPECT_EQ(Distribution::constant(NAN).sample_duration(rng), engine::SimDuration{});
  EXPECT_EQ(Distribution::constant(1e30).sample_duration(rng), SimDuration::max());
  const Distribution n = Distribution::normal(0, 1000);
  int zeros = 0;
  for (int i = 0; i < 10000; ++i) {
    const SimDuration t = n.sample_duration(rng);
    EXPECT_GE(t, SimDuration{});
    zeros += t == SimDuration{};
  }
  EXPECT_NEAR(zeros, 5000, 300);
}

TEST(Distribution, SamplingIsDeterministicPerStream) {
  const std::vector<Distribution> all = {
      Distribution::uniform(0, 1),           Distribution::exponential(3),
      Distribution::normal(1, 2),            Distribution::lognormal_p50_p99(4e6, 30e6),
      Distribution::pareto(1, 2.5),          Distribution::empirical({{0, 0.1}, {10, 1}}),
  };
  RngStream a(11, "test/det"), b(11, "test/det");
  for (const auto& d : all) {
    for (int i = 0; i < 100; ++i) EXPECT_EQ(d.sample(a), d.sample(b)) << d.describe();
  }
}

TEST(Distribution, DescribeNamesKindAndParameters) {
  EXPECT_EQ(Distribution::constant(3).describe(), "constant(3)");
  EXPECT_EQ(Distribution::uniform(1, 2).describe(), "uniform(1, 2)");
  EXPECT_EQ(Distribution::exponential(5).describe(), "exponential(mean=5)");
  EXPECT_EQ(Distribution::normal(1, 2).describe(), "normal(mean=1, stddev=2)");
  const std::string ln = Distribution::lognormal_p50_p99(4e6, 30e6).describe();
  EXPECT_NE(ln.find("lognormal(mu="), std::string::npos) << ln;
  EXPECT_NE(ln.find("p50=4e+06"), std::string::npos) << ln;
  EXPECT_NE(ln.find("p99=3e+07"), std::string::npos) << ln;
  EXPECT_EQ(Distribution::pareto(1, 2).describe(), "pareto(scale=1, shape=2)");
  EXPECT_EQ(Distribution::empirical({{1, 0.5}, {2, 1}}).describe(), "empirical(1@0.5, 2@1)");
}

}  // namespace
}  // namespace meshtwin::engine
