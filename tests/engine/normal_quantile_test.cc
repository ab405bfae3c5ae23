// The normal quantile behind every normal and lognormal draw (engine/distribution.cc, Wichura's
// AS 241) against Boost.Math's, which it replaced for speed: the two must agree to a few ulps
// everywhere, or draws (and so results) would move by more than rounding.
#include <cmath>
#include <cstdint>
#include <limits>

#include <boost/math/distributions/normal.hpp>
#include <gtest/gtest.h>

#include "engine/distribution.h"
#include "engine/rng.h"

namespace meshtwin::engine {
namespace {

double boost_quantile(double p) {
  static const boost::math::normal_distribution<double> kStandard(0.0, 1.0);
  return boost::math::quantile(kStandard, p);
}

// |a - b| within a few ulps of b (and within a few ulps of the smallest normal near 0, where
// the quantile itself is tiny).
void expect_close(double p, double ours, double ref) {
  const double tol = 4 * std::numeric_limits<double>::epsilon() * std::fabs(ref) + 1e-300;
  EXPECT_LE(std::fabs(ours - ref), tol) << "p=" << p << " ours=" << ours << " boost=" << ref;
}

TEST(NormalQuantile, AgreesWithBoostOnAGridAndInTheTails) {
  const Distribution n = Distribution::normal(0, 1);
  // Dense over (0, 1), crossing both of AS 241's range boundaries (|p - 0.5| = 0.425 and
  // tail area e^-25).
  for (int i = 1; i < 100000; ++i) {
    const double p = i / 100000.0;
    expect_close(p, n.quantile(p), boost_quantile(p));
  }
  // Far tails, down to the smallest p an open-interval draw can produce (2^-54) and beyond.
  for (double t = 1e-3; t > 1e-300; t *= 0.37) {
    expect_close(t, n.quantile(t), boost_quantile(t));
    if (1 - t < 1) expect_close(1 - t, n.quantile(1 - t), boost_quantile(1 - t));
  }
  for (double p : {0.075, 0.925, 0.07499999999999999, 0.925000000000001, 0x1.0p-54, 1 - 0x1.0p-53,
                   1.3887943864964021e-11, 0.5, std::nextafter(0.5, 1.0)}) {
    expect_close(p, n.quantile(p), boost_quantile(p));
  }
}

TEST(NormalQuantile, AgreesWithBoostOnTheValuesDrawsUse) {
  // The uniforms sample() inverts: 53 random bits, centred in their bucket.
  RngStream rng(11, "test/normal-quantile");
  const Distribution n = Distribution::normal(0, 1);
  for (int i = 0; i < 200000; ++i) {
    const double u = (static_cast<double>(rng.next_u64() >> 11) + 0.5) * 0x1.0p-53;
    expect_close(u, n.quantile(u), boost_quantile(u));
  }
}

TEST(NormalQuantile, IsOddAndMonotone) {
  const Distribution n = Distribution::normal(0, 1);
  double last = -std::numeric_limits<double>::infinity();
  for (int i = 1; i < 20000; ++i) {
    const double p = i / 20000.0;
    const double z = n.quantile(p);
    EXPECT_GE(z, last) << p;
    last = z;
    EXPECT_NEAR(z, -n.quantile(1 - p), 1e-12) << p;
  }
}

}  // namespace
}  // namespace meshtwin::engine
