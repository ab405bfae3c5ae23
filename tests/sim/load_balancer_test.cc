// Host selection (SEMANTICS §8): round robin, least request (power of two choices), random,
// and the previous-hosts retry predicate (§5.5).
#include "model/proxy/load_balancer.h"

#include <array>
#include <cmath>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::proxy {
namespace {

using Kind = xds::LbPolicy::Kind;

TEST(LoadBalancerTest, RoundRobinVisitsEveryHostOncePerCycle_Sem8_1) {
  engine::RngStream rng(7, "test/rr");
  LoadBalancer lb(Kind::RoundRobin, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 1, 2, 3};
  const std::vector<std::uint32_t> active(4, 0);
  for (int cycle = 0; cycle < 5; ++cycle) {
    std::array<int, 4> seen{};
    for (int i = 0; i < 4; ++i) ++seen[lb.choose(0, eligible, active, rng)];
    EXPECT_EQ(seen, (std::array<int, 4>{1, 1, 1, 1})) << "cycle " << cycle;
  }
}

TEST(LoadBalancerTest, RoundRobinStartsAtARandomOffsetPerWorker_Sem8_1) {
  // §8.1: each LB instance (worker) starts at a random index; over many seeds the first pick
  // must not always be host 0.
  const std::vector<std::uint32_t> eligible{0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<std::uint32_t> active(8, 0);
  std::map<std::int32_t, int> first_picks;
  for (int seed = 0; seed < 64; ++seed) {
    engine::RngStream rng(seed, "test/rr-start");
    LoadBalancer lb(Kind::RoundRobin, 2, rng);
    ++first_picks[lb.choose(0, eligible, active, rng)];
  }
  EXPECT_GE(first_picks.size(), 5u);
}

TEST(LoadBalancerTest, LeastRequestNeverPicksTheBusierOfItsTwoDraws_Sem8_2) {
  // Two hosts, host 0 busier: host 0 is chosen only when both draws hit it, i.e. with
  // probability exactly 1/4; with equal load the first draw wins (1/2 each).
  engine::RngStream rng(11, "test/p2c");
  LoadBalancer lb(Kind::LeastRequest, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 1};
  const std::vector<std::uint32_t> busy{3, 0};
  const int n = 200'000;
  int zero = 0;
  for (int i = 0; i < n; ++i) zero += lb.choose(0, eligible, busy, rng) == 0;
  EXPECT_NEAR(static_cast<double>(zero) / n, 0.25, 0.005);

  const std::vector<std::uint32_t> equal{2, 2};
  zero = 0;
  for (int i = 0; i < n; ++i) zero += lb.choose(0, eligible, equal, rng) == 0;
  EXPECT_NEAR(static_cast<double>(zero) / n, 0.5, 0.005);
}

TEST(LoadBalancerTest, LeastRequestAvoidsTheBusiestHostAmongThree_Sem8_2) {
  // Host 2 is the busiest: it wins only when both draws are host 2 (1/9).
  engine::RngStream rng(12, "test/p2c3");
  LoadBalancer lb(Kind::LeastRequest, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 1, 2};
  const std::vector<std::uint32_t> active{1, 1, 5};
  const int n = 180'000;
  int busiest = 0;
  for (int i = 0; i < n; ++i) busiest += lb.choose(0, eligible, active, rng) == 2;
  EXPECT_NEAR(static_cast<double>(busiest) / n, 1.0 / 9, 0.005);
}

TEST(LoadBalancerTest, RandomIsUniform_Sem8_3) {
  engine::RngStream rng(13, "test/random");
  LoadBalancer lb(Kind::Random, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 1, 2, 3};
  const std::vector<std::uint32_t> active{9, 0, 0, 0};  // ignored by RANDOM
  std::array<int, 4> count{};
  const int n = 200'000;
  for (int i = 0; i < n; ++i) ++count[lb.choose(0, eligible, active, rng)];
  for (int c : count) EXPECT_NEAR(static_cast<double>(c) / n, 0.25, 0.005);
}

TEST(LoadBalancerTest, EmptyHostSetGivesNoHost_Sem8_5) {
  engine::RngStream rng(1, "test/empty");
  LoadBalancer lb(Kind::LeastRequest, 2, rng);
  EXPECT_EQ(lb.choose(0, {}, {}, rng), kNoHost);
}

TEST(LoadBalancerTest, PreviousHostsPredicateFindsAnUntriedHost_Sem5_5) {
  engine::RngStream rng(3, "test/prev");
  LoadBalancer lb(Kind::Random, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 1, 2};
  const std::vector<std::uint32_t> active(3, 0);
  const std::vector<std::int32_t> tried{0, 1};
  // Up to 6 picks: the chance that all six miss host 2 is (2/3)^6 ≈ 8.8 %; count it.
  int untried = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) untried += lb.choose_avoiding(0, eligible, active, tried, 5, rng) == 2;
  EXPECT_NEAR(static_cast<double>(untried) / n, 1 - std::pow(2.0 / 3, 6), 0.005);
}

TEST(LoadBalancerTest, PreviousHostsPredicateFallsBackToTheLastPick_Sem5_5) {
  engine::RngStream rng(4, "test/prev-all");
  LoadBalancer lb(Kind::RoundRobin, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 1};
  const std::vector<std::uint32_t> active(2, 0);
  const std::vector<std::int32_t> tried{0, 1};
  const std::int32_t host = lb.choose_avoiding(0, eligible, active, tried, 5, rng);
  EXPECT_TRUE(host == 0 || host == 1);
}

}  // namespace
}  // namespace meshtwin::proxy
