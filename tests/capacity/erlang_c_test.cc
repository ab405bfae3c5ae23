// `meshtwin capacity` against a queue with a known answer (issue 12 §3): one pod with c workers,
// exponential service of rate μ, Poisson arrivals at λ, no network latency and no proxy cost
// (tests/capacity/mmc.yaml) is an M/M/c FCFS queue, and a client request's response time is
// its sojourn time T. The rate λ* at which the p99 of T reaches a bound follows from T's
// distribution (below); the capacity search for `p99 < bound` must land just under it.
//
// The M/M/c sojourn time (Gross, Shortle, Thompson and Harris, Fundamentals of Queueing Theory,
// §2.3 "M/M/c", the waiting-time distribution of the FCFS M/M/c queue; Kleinrock, Queueing
// Systems vol. 1, §3.5 for Erlang's C formula). With a = λ/μ, ρ = a/c < 1:
//   - An arrival waits with probability C = C(c, a), Erlang's C formula, computed here from
//     Erlang B's recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), C = B / (1 - ρ (1 - B)).
//   - Given that it waits, its wait W is exponential with rate θ = cμ - λ: every server is busy,
//     so the queue drains at cμ, and by memorylessness the number ahead of it is geometric;
//     a geometric sum of exponentials is exponential, P(W > x | W > 0) = e^{-θ x}.
//   - Its service S ~ exp(μ) is independent of W, and T = W + S.
// So T is S with probability 1 - C and S + W' (W' ~ exp(θ)) with probability C, and
//   P(T > t) = (1 - C) e^{-μt} + C P(S + W' > t),
// where the hypoexponential tail is P(S + W' > t) = (θ e^{-μt} - μ e^{-θt}) / (θ - μ) for
// θ ≠ μ and e^{-μt} (1 + μt) for θ = μ (the limit). Equivalently
//   P(T > t) = e^{-μt} [1 + C (1 - e^{-μt (c - 1 - a)}) / (c - 1 - a)],
// the form the textbook gives. For c = 1 it reduces to e^{-(μ - λ) t}, the M/M/1 sojourn time
// (a test below checks that). p99(λ) is the t with P(T > t) = 0.01; it rises with λ, so λ* with
// p99(λ*) = bound is a root of P(T > bound; λ) - 0.01, found with Boost.Math's TOMS 748.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include <boost/math/tools/roots.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

double erlang_c(int c, double a) {
  double b = 1;
  for (int k = 1; k <= c; ++k) b = a * b / (k + a * b);
  const double rho = a / c;
  return b / (1 - rho * (1 - b));
}

// P(T > t) for the M/M/c FCFS sojourn time (the derivation above); t in seconds.
double sojourn_tail(double t, double lambda, int c, double mu) {
  const double a = lambda / mu;
  const double wait = erlang_c(c, a);
  const double theta = c * mu - lambda;
  const double hypo = std::abs(theta - mu) < 1e-9 * mu
                          ? std::exp(-mu * t) * (1 + mu * t)
                          : (theta * std::exp(-mu * t) - mu * std::exp(-theta * t)) / (theta - mu);
  return (1 - wait) * std::exp(-mu * t) + wait * hypo;
}

// The q-quantile of T: P(T > t) falls from 1 at t = 0, so a root in (0, upper).
double sojourn_quantile(double q, double lambda, int c, double mu) {
  auto f = [&](double t) { return sojourn_tail(t, lambda, c, mu) - (1 - q); };
  boost::uintmax_t iterations = 200;
  const auto r = boost::math::tools::toms748_solve(f, 0.0, 100.0, boost::math::tools::eps_tolerance<double>(40),
                                                   iterations);
  return (r.first + r.second) / 2;
}

// λ* with p99(λ*) = bound: P(T > bound; λ) - 0.01 rises with λ on (0, cμ).
double capacity_rate(double bound_seconds, int c, double mu) {
  auto f = [&](double lambda) { return sojourn_tail(bound_seconds, lambda, c, mu) - 0.01; };
  boost::uintmax_t iterations = 200;
  const auto r = boost::math::tools::toms748_solve(f, 1e-6 * c * mu, c * mu * (1 - 1e-9),
                                                   boost::math::tools::eps_tolerance<double>(40), iterations);
  return (r.first + r.second) / 2;
}

TEST(ErlangC, ReducesToMM1ForOneServer) {
  // M/M/1: T ~ exp(μ - λ); p99 = ln(100) / (μ - λ).
  EXPECT_NEAR(sojourn_tail(0.02, 50, 1, 100), std::exp(-50 * 0.02), 1e-12);
  EXPECT_NEAR(sojourn_quantile(0.99, 50, 1, 100), std::log(100.0) / 50, 1e-9);
  EXPECT_NEAR(erlang_c(1, 0.5), 0.5, 1e-12);  // C(1, a) = ρ
}

TEST(ErlangC, KnownValues) {
  // C(2, 1) = 1/3 (ρ = 1/2): B(1) = 1/2, B(2) = 1/5, C = (1/5) / (1 - (1/2)(4/5)).
  EXPECT_NEAR(erlang_c(2, 1.0), 1.0 / 3, 1e-12);
  // The equal-rates limit (θ = μ at λ = (c - 1) μ) joins its neighbours continuously.
  EXPECT_NEAR(sojourn_tail(0.05, 300, 4, 100), sojourn_tail(0.05, 300 + 1e-6, 4, 100), 1e-6);
  // Mean sojourn from the tail, ∫ P(T > t) dt = C / θ + 1/μ (the M/M/c mean response time).
  double integral = 0;
  const double dt = 1e-5;
  for (double t = dt / 2; t < 2.0; t += dt) integral += sojourn_tail(t, 300, 4, 100) * dt;
  EXPECT_NEAR(integral, erlang_c(4, 3.0) / (400 - 300) + 0.01, 1e-6);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The search on tests/capacity/mmc.yaml (c = 4, μ = 100/s) for `p99 < 100ms`, whose analytic
// answer is λ* ≈ 350.0/s. The found value is the highest probe whose whole p99 interval was
// below 100 ms, so it lies below λ* unless an interval missed (each look errs at most 5 %
// / looks), and within a few tolerances below it, since near λ* the probes are inconclusive
// (they count as failing). Stated tolerance: 0.90 λ* ≤ value ≤ λ* + --tolerance. Each
// replication simulates 40 s and leaves out the first 5 s: a shorter one, starting from an empty
// pod, has a p99 biased low enough near λ* to pass 352/s (p99 there is 102 ms).
TEST(Capacity, FindsTheErlangCRateOfAnMMcPod) {
  const double mu = 100, bound = 0.100;
  const int c = 4;
  const double lambda_star = capacity_rate(bound, c, mu);
  EXPECT_NEAR(sojourn_quantile(0.99, lambda_star, c, mu), bound, 1e-9);
  EXPECT_NEAR(lambda_star, 350.0, 1.0);  // the figure docs/capacity.md quotes

  const std::filesystem::path dir = std::filesystem::path(MESHTWIN_BINARY_DIR) / "tests" / "capacity-erlang-c";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "capacity.db").string(), out = (dir / "capacity.json").string();
  const std::string cmd = std::string(MESHTWIN_BINARY_DIR) + "/cli/meshtwin capacity " + MESHTWIN_SOURCE_DIR +
                          "/tests/capacity/mmc.yaml --vary 'spec.clients[0].rate.poisson' --from 250 --to 400 "
                          "--while 'p99 < 100ms' --while 'successRate >= 99.9%' --tolerance 6 --replications 4 "
                          "--max-replications 12 -q --format json -o " + db + " > " + out;
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << cmd;
  ASSERT_EQ(WEXITSTATUS(status), 0) << cmd;
  const auto j = nlohmann::json::parse(slurp(out));
  ASSERT_EQ(j["outcome"], "found");
  const double value = j["value"].get<double>();
  const double fail = j["bracket"]["fail"].get<double>();
  std::printf("capacity: %g (bracket [%g, %g]) against the Erlang C rate %.2f: %+.1f %%; %zu probes, %d "
              "replications\n",
              value, value, fail, lambda_star, 100 * (value / lambda_star - 1), j["probes"].size(),
              j["replicationsRun"].get<int>());
  EXPECT_GE(value, 0.90 * lambda_star);
  EXPECT_LE(value, lambda_star + 6);
  EXPECT_GT(fail, value);
  EXPECT_LE(fail - value, 6);
  // Every probe is a stored batch of the sweep.
  EXPECT_EQ(j["results"], db + ":s1");
  EXPECT_EQ(j["batches"].get<std::size_t>(), j["probes"].size());
  std::filesystem::remove_all(dir);
}

}  // namespace
