// Host selection (docs/semantics.md §8): round robin with EDF for weights (§8.1), least request (§8.2),
// random (§8.3), ring hash and maglev (§8.4), priorities, health and panic (§8.5), locality-
// weighted choice (§8.6), Istio's locality priorities (§7.5), slow start (§7.6) and the
// previous-hosts retry predicate (§5.5).
#include "model/proxy/load_balancer.h"

#include <array>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/config/loader.h"
#include "model/proxy/locality.h"
#include "model/proxy/xxhash.h"
#include "model/registry/registry.h"

namespace meshtwin::proxy {
namespace {

using Kind = xds::LbPolicy::Kind;
using engine::kMillisecond;
using engine::kSecond;

LbHost host(std::uint32_t i, std::uint32_t weight = 1, std::uint32_t priority = 0,
            std::uint32_t locality = 0) {
  LbHost h;
  h.address = "10.244.0." + std::to_string(i + 1) + ":9080";
  h.weight = weight;
  h.priority = priority;
  h.locality = locality;
  return h;
}

std::vector<LbHost> equal_hosts(std::uint32_t n) {
  std::vector<LbHost> out;
  for (std::uint32_t i = 0; i < n; ++i) out.push_back(host(i));
  return out;
}

std::vector<LbHost> weighted_hosts(std::vector<std::uint32_t> weights) {
  std::vector<LbHost> out;
  for (std::uint32_t i = 0; i < weights.size(); ++i) out.push_back(host(i, weights[i]));
  return out;
}

LbSettings settings(Kind kind) {
  LbSettings s;
  s.kind = kind;
  return s;
}

// Picks `n` times on `worker` and counts the hosts picked (kNoHost counted at index `size`).
std::vector<int> count_picks(LoadBalancer& lb, engine::RngStream& rng, int n, std::size_t size,
                             LoadBalancer::Pick pick = {}) {
  std::vector<int> seen(size + 1, 0);
  for (int i = 0; i < n; ++i) {
    const std::int32_t h = lb.choose(pick, rng);
    ++seen[h == kNoHost ? size : static_cast<std::size_t>(h)];
  }
  return seen;
}

// ------------------------------------------------------------------ round robin

TEST(LoadBalancerTest, RoundRobinVisitsEveryHostOncePerCycle_Sem8_1) {
  engine::RngStream rng(7, "test/rr");
  LoadBalancer lb(settings(Kind::RoundRobin), 1, rng);
  lb.set_hosts(equal_hosts(4), {}, engine::SimTime{});
  for (int cycle = 0; cycle < 5; ++cycle) {
    const auto seen = count_picks(lb, rng, 4, 4);
    EXPECT_EQ(seen, (std::vector<int>{1, 1, 1, 1, 0})) << "cycle " << cycle;
  }
}

TEST(LoadBalancerTest, RoundRobinStartsAtARandomOffsetPerWorker_Sem8_0_Sem8_1) {
  // §8.1: each worker's LB instance starts at a random index. Over many seeds the first pick
  // must not always be host 0, and the two workers of one proxy must not move in lock step.
  std::map<std::int32_t, int> first_picks;
  int same_first = 0;
  for (int seed = 0; seed < 64; ++seed) {
    engine::RngStream rng(seed, "test/rr-start");
    LoadBalancer lb(settings(Kind::RoundRobin), 2, rng);
    lb.set_hosts(equal_hosts(8), {}, engine::SimTime{});
    LoadBalancer::Pick w0, w1;
    w1.worker = 1;
    const std::int32_t a = lb.choose(w0, rng);
    const std::int32_t b = lb.choose(w1, rng);
    ++first_picks[a];
    same_first += a == b;
  }
  EXPECT_GE(first_picks.size(), 5u);
  EXPECT_LT(same_first, 32);
}

TEST(LoadBalancerTest, WeightedRoundRobinPicksMatchWeightsExactlyOverACycle_Sem8_1) {
  // Weights 1, 2, 3: EDF picks host i at deadlines k/w_i, so each unit of scheduler time holds
  // exactly 1, 2 and 3 picks, and so does every window of 6 consecutive picks, whatever the
  // random pre-advance. Deadlines are sums of doubles (as in Envoy), so after a few hundred
  // picks rounding can reorder the three hosts due at the same whole time; a window then
  // straddles two such ties and may be off by one, while the totals stay exact.
  for (int seed = 0; seed < 8; ++seed) {
    engine::RngStream rng(seed, "test/edf");
    LoadBalancer lb(settings(Kind::RoundRobin), 2, rng);
    lb.set_hosts(weighted_hosts({1, 2, 3}), {}, engine::SimTime{});
    for (std::uint32_t worker = 0; worker < 2; ++worker) {
      LoadBalancer::Pick pick;
      pick.worker = worker;
      std::vector<std::int32_t> sequence;
      for (int i = 0; i < 6000; ++i) sequence.push_back(lb.choose(pick, rng));
      for (std::size_t start = 0; start + 6 <= sequence.size(); ++start) {
        std::array<int, 3> counts{};
        for (std::size_t i = start; i < start + 6; ++i) ++counts[sequence[i]];
        if (start < 120) {
          ASSERT_EQ(counts, (std::array<int, 3>{1, 2, 3}))
              << "seed " << seed << " worker " << worker << " window at " << start;
        }
        for (int h = 0; h < 3; ++h) ASSERT_LE(std::abs(counts[h] - (h + 1)), 1) << start;
      }
      std::array<int, 3> total{};
      for (std::int32_t h : sequence) ++total[h];
      for (int h = 0; h < 3; ++h) EXPECT_NEAR(total[h], 1000 * (h + 1), 1) << h;
    }
  }
}

TEST(LoadBalancerTest, EdfPrePicksEqualPickingFromScratch_Sem8_1) {
  // createWithPicks (a random pre-advance, seed mod 429496729) must leave the scheduler where
  // that many real picks would have.
  const std::vector<double> weights{1.1, 2.3, 3.7, 0.45};
  const std::vector<std::uint32_t> items{0, 1, 2, 3};
  auto weight = [&](std::uint32_t i) { return weights[i]; };
  for (std::uint32_t k : {0u, 1u, 5u, 17u, 100u, 1000u}) {
    EdfScheduler emulated, picked;
    emulated.build(items, weight, k);
    picked.build(items, weight, 0);
    for (std::uint32_t i = 0; i < k; ++i) picked.pick_and_add(weight);
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(emulated.pick_and_add(weight), picked.pick_and_add(weight)) << "k " << k << " pick " << i;
    }
  }
  // Envoy documents the emulation as "very similar" only: for large k the 1e-13 it adds to
  // every weight shifts an occasional tie, but the shares stay the same.
  {
    EdfScheduler emulated, picked;
    emulated.build(items, weight, 12345);
    picked.build(items, weight, 0);
    for (std::uint32_t i = 0; i < 12345; ++i) picked.pick_and_add(weight);
    std::array<int, 4> a{}, b{};
    for (int i = 0; i < 1000; ++i) {
      ++a[emulated.pick_and_add(weight)];
      ++b[picked.pick_and_add(weight)];
    }
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(a[i], b[i], 2) << i;
  }
  // 429496729 pre-picks are the same as none.
  EdfScheduler wrapped, fresh;
  wrapped.build(items, weight, 429496729u);
  fresh.build(items, weight, 0);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(wrapped.pick_and_add(weight), fresh.pick_and_add(weight));
}

TEST(LoadBalancerTest, EqualWeightsNeedNoSchedulerAndASingleHostIsAlwaysPicked_Sem8_1) {
  engine::RngStream rng(5, "test/single");
  LoadBalancer lb(settings(Kind::RoundRobin), 1, rng);
  lb.set_hosts(weighted_hosts({7}), {}, engine::SimTime{});
  EXPECT_EQ(count_picks(lb, rng, 10, 1), (std::vector<int>{10, 0}));
}

// ------------------------------------------------------------------ least request

TEST(LoadBalancerTest, LeastRequestNeverPicksTheBusierOfItsTwoDraws_Sem8_2) {
  // Two hosts, host 0 busier: host 0 is chosen only when both draws hit it, i.e. with
  // probability exactly 1/4; with equal load the first draw wins (1/2 each).
  engine::RngStream rng(11, "test/p2c");
  LoadBalancer lb(settings(Kind::LeastRequest), 1, rng);
  lb.set_hosts(equal_hosts(2), {}, engine::SimTime{});
  const std::vector<std::uint32_t> busy{3, 0};
  LoadBalancer::Pick pick;
  pick.active_requests = busy;
  const int n = 200'000;
  auto seen = count_picks(lb, rng, n, 2, pick);
  EXPECT_NEAR(static_cast<double>(seen[0]) / n, 0.25, 0.005);

  const std::vector<std::uint32_t> equal{2, 2};
  pick.active_requests = equal;
  seen = count_picks(lb, rng, n, 2, pick);
  EXPECT_NEAR(static_cast<double>(seen[0]) / n, 0.5, 0.005);
}

TEST(LoadBalancerTest, LeastRequestAvoidsTheBusiestHostAmongThree_Sem8_2) {
  // Host 2 is the busiest: it wins only when both draws are host 2 (1/9).
  engine::RngStream rng(12, "test/p2c3");
  LoadBalancer lb(settings(Kind::LeastRequest), 1, rng);
  lb.set_hosts(equal_hosts(3), {}, engine::SimTime{});
  const std::vector<std::uint32_t> active{1, 1, 5};
  LoadBalancer::Pick pick;
  pick.active_requests = active;
  const int n = 180'000;
  const auto seen = count_picks(lb, rng, n, 3, pick);
  EXPECT_NEAR(static_cast<double>(seen[2]) / n, 1.0 / 9, 0.005);
}

TEST(LoadBalancerTest, WeightedLeastRequestUsesEdfOnWeightOverActivePlusOne_Sem8_2) {
  engine::RngStream rng(13, "test/lr-edf");
  LoadBalancer lb(settings(Kind::LeastRequest), 1, rng);
  lb.set_hosts(weighted_hosts({1, 3}), {}, engine::SimTime{});
  // Idle: dynamic weights 1 and 3 -> exactly 1:3.
  const std::vector<std::uint32_t> idle{0, 0};
  LoadBalancer::Pick pick;
  pick.active_requests = idle;
  auto seen = count_picks(lb, rng, 400, 2, pick);
  EXPECT_NEAR(seen[0], 100, 1);
  EXPECT_NEAR(seen[1], 300, 1);
  // Host 1 with 2 active requests: 3 / (2 + 1) = 1, the same as host 0's 1 / 1.
  const std::vector<std::uint32_t> busy{0, 2};
  pick.active_requests = busy;
  seen = count_picks(lb, rng, 400, 2, pick);
  EXPECT_NEAR(seen[0], 200, 2);
  EXPECT_NEAR(seen[1], 200, 2);
}

TEST(LoadBalancerTest, RandomIsUniformAndIgnoresWeightsAndLoad_Sem8_3) {
  engine::RngStream rng(13, "test/random");
  LoadBalancer lb(settings(Kind::Random), 1, rng);
  lb.set_hosts(weighted_hosts({1, 5, 1, 1}), {}, engine::SimTime{});
  const std::vector<std::uint32_t> active{9, 0, 0, 0};
  LoadBalancer::Pick pick;
  pick.active_requests = active;
  const int n = 200'000;
  const auto seen = count_picks(lb, rng, n, 4, pick);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(static_cast<double>(seen[i]) / n, 0.25, 0.005);
}

// ------------------------------------------------------------------ priorities, health, panic

std::vector<LbHost> two_priorities(std::uint32_t p0, std::uint32_t p1) {
  std::vector<LbHost> out;
  for (std::uint32_t i = 0; i < p0 + p1; ++i) out.push_back(host(i, 1, i < p0 ? 0 : 1));
  return out;
}

TEST(LoadBalancerTest, EmptyHostSetGivesNoHost_Sem8_5) {
  engine::RngStream rng(1, "test/empty");
  LoadBalancer lb(settings(Kind::LeastRequest), 2, rng);
  EXPECT_EQ(lb.choose(LoadBalancer::Pick{}, rng), kNoHost);
  lb.set_hosts({}, {}, engine::SimTime{});
  EXPECT_EQ(lb.choose(LoadBalancer::Pick{}, rng), kNoHost);
}

TEST(LoadBalancerTest, PriorityZeroKeepsAllTrafficDownTo71Point4PercentHealthy_Sem8_5) {
  engine::RngStream rng(21, "test/spill");
  // P0 of 7 hosts with 5 healthy: 140 × 5 / 7 = 100 -> P0 keeps 100 %.
  LoadBalancer lb(settings(Kind::RoundRobin), 1, rng);
  lb.set_hosts(two_priorities(7, 3), {}, engine::SimTime{});
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{100, 0}));
  lb.set_ejected(0, true);
  lb.set_ejected(1, true);
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{100, 0}));
  // 4 of 7 healthy: 140 × 4 / 7 = 80 -> 80 / 20.
  lb.set_ejected(2, true);
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{80, 20}));
  const int n = 20'000;
  const auto seen = count_picks(lb, rng, n, 10);
  const int p1 = seen[7] + seen[8] + seen[9];
  EXPECT_NEAR(static_cast<double>(p1) / n, 0.20, 0.01);
  EXPECT_EQ(seen[0] + seen[1] + seen[2], 0);  // ejected hosts get nothing (no panic)
  // Everything in P0 out: all to P1.
  for (std::uint32_t h = 3; h < 7; ++h) lb.set_ejected(h, true);
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{0, 100}));

  // 7 of 10 healthy: 140 × 7 / 10 = 98 -> 2 % spills.
  LoadBalancer ten(settings(Kind::RoundRobin), 1, rng);
  ten.set_hosts(two_priorities(10, 2), {}, engine::SimTime{});
  for (std::uint32_t h = 0; h < 3; ++h) ten.set_ejected(h, true);
  EXPECT_EQ(ten.priority_loads(), (std::vector<std::uint32_t>{98, 2}));
}

TEST(LoadBalancerTest, NoHealthyHostAndNoPanicGivesNoHost_Sem8_5_Sem16_1) {
  // Istio's default panic threshold is 0: ejected or unready hosts are never used (UH).
  engine::RngStream rng(22, "test/uh");
  LoadBalancer lb(settings(Kind::LeastRequest), 1, rng);
  auto hosts = equal_hosts(3);
  hosts[2].healthy = false;  // sent as UNHEALTHY (Istio >= 1.31)
  lb.set_hosts(hosts, {}, engine::SimTime{});
  EXPECT_EQ(count_picks(lb, rng, 300, 3)[2], 0);
  lb.set_ejected(0, true);
  lb.set_ejected(1, true);
  EXPECT_EQ(count_picks(lb, rng, 50, 3)[3], 50);
  EXPECT_EQ(lb.priority_panic(), (std::vector<bool>{false}));
  lb.set_ejected(1, false);
  EXPECT_EQ(count_picks(lb, rng, 50, 3)[1], 50);
}

TEST(LoadBalancerTest, MinHealthPercentTurnsOnPanicOverAllHosts_Sem8_5) {
  engine::RngStream rng(23, "test/panic");
  LbSettings s = settings(Kind::RoundRobin);
  s.healthy_panic_threshold = 50;  // DR outlierDetection.minHealthPercent: 50
  LoadBalancer lb(s, 1, rng);
  lb.set_hosts(equal_hosts(4), {}, engine::SimTime{});
  lb.set_ejected(0, true);
  lb.set_ejected(1, true);  // 50 % healthy: not below 50, no panic
  EXPECT_EQ(lb.priority_panic(), (std::vector<bool>{false}));
  auto seen = count_picks(lb, rng, 400, 4);
  EXPECT_EQ(seen[0] + seen[1], 0);
  lb.set_ejected(2, true);  // 25 % < 50 %: panic, all four hosts again, ejected ones included
  EXPECT_EQ(lb.priority_panic(), (std::vector<bool>{true}));
  seen = count_picks(lb, rng, 400, 4);
  EXPECT_EQ(seen, (std::vector<int>{100, 100, 100, 100, 0}));
}

TEST(LoadBalancerTest, NoPanicWhileOtherPrioritiesCoverTheLoad_Sem8_5) {
  engine::RngStream rng(24, "test/panic-cover");
  LbSettings s = settings(Kind::RoundRobin);
  s.healthy_panic_threshold = 50;
  LoadBalancer lb(s, 1, rng);
  lb.set_hosts(two_priorities(4, 4), {}, engine::SimTime{});
  for (std::uint32_t h = 0; h < 3; ++h) lb.set_ejected(h, true);
  // P0 health 35, P1 100: normalised availability 100 -> nobody panics, P0 35 / P1 65.
  EXPECT_EQ(lb.priority_panic(), (std::vector<bool>{false, false}));
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{35, 65}));
  // P1 down to 1 of 4 as well: 35 + 35 = 70 < 100 and both below 50 % -> total panic, load by
  // host counts (4 and 4 -> 50 / 50).
  for (std::uint32_t h = 4; h < 7; ++h) lb.set_ejected(h, true);
  EXPECT_EQ(lb.priority_panic(), (std::vector<bool>{true, true}));
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{50, 50}));
}

TEST(LoadBalancerTest, SetHostsKeepsEjectionsByAddressAndReportsPreviousIndices_Sem8_5) {
  engine::RngStream rng(25, "test/update");
  LoadBalancer lb(settings(Kind::RoundRobin), 1, rng);
  lb.set_hosts(equal_hosts(3), {}, engine::SimTime{});
  lb.set_ejected(1, true);
  std::vector<LbHost> next{host(2), host(1), host(7)};
  const auto previous = lb.set_hosts(next, {}, engine::SimTime{} + kSecond);
  EXPECT_EQ(previous, (std::vector<std::int32_t>{2, 1, kNoHost}));
  EXPECT_TRUE(lb.is_healthy(0));
  EXPECT_FALSE(lb.is_healthy(1));  // still ejected under its new index
  EXPECT_TRUE(lb.is_healthy(2));
  const auto seen = count_picks(lb, rng, 100, 3);
  EXPECT_EQ(seen[1], 0);
  EXPECT_EQ(seen[0], 50);
}

// ------------------------------------------------------------------ locality

TEST(LoadBalancerTest, LocalityWeightedChoiceFollowsEffectiveWeights_Sem8_6) {
  engine::RngStream rng(31, "test/lw");
  LbSettings s = settings(Kind::RoundRobin);
  s.locality_weighted = true;
  LoadBalancer lb(s, 1, rng);
  // Locality 0: hosts 0-1 (weight 1); locality 1: hosts 2-5 (weight 3).
  std::vector<LbHost> hosts{host(0, 1, 0, 0), host(1, 1, 0, 0), host(2, 1, 0, 1),
                            host(3, 1, 0, 1), host(4, 1, 0, 1), host(5, 1, 0, 1)};
  lb.set_hosts(hosts, {1, 3}, engine::SimTime{});
  auto seen = count_picks(lb, rng, 4000, 6);
  EXPECT_NEAR(seen[0] + seen[1], 1000, 2);
  EXPECT_NEAR(seen[2] + seen[3] + seen[4] + seen[5], 3000, 2);
  // Half of locality 1 ejected: 3 × min(1, 1.4 × 2/4) = 2.1 -> shares 1 : 2.1.
  lb.set_ejected(2, true);
  lb.set_ejected(3, true);
  seen = count_picks(lb, rng, 31'000, 6);
  EXPECT_NEAR(seen[0] + seen[1], 10'000, 3);
  EXPECT_NEAR(seen[4] + seen[5], 21'000, 3);
  EXPECT_EQ(seen[2] + seen[3], 0);
}

TEST(LocalityPlanTest, DefaultFailoverOrdersRegionZoneSubzoneOnlyWithOutlierDetection_Sem7_5) {
  const std::vector<LocalityEndpoint> eps{
      {"us-east/zone2/a", nullptr, 1},  // same region
      {"eu-west/zone1/a", nullptr, 1},  // other region
      {"us-east/zone1/b", nullptr, 1},  // same zone
      {"us-east/zone1/a", nullptr, 1},  // same subzone
      {"us-east/zone1/a", nullptr, 1},
  };
  const LocalityCaller caller{"us-east/zone1/a", nullptr};
  const ResolvedLocalitySetting mesh_default = resolve_locality_setting(nullptr, "");
  const LocalityPlan with_od = plan_localities(mesh_default, true, caller, eps);
  EXPECT_EQ(with_od.priority, (std::vector<std::uint32_t>{2, 3, 1, 0, 0}));
  EXPECT_EQ(with_od.priority_count, 4u);
  EXPECT_FALSE(with_od.locality_weighted);  // default failover does not set locality weighting
  // Groups: P0 the caller's own locality (weight 2), then P1, P2, P3.
  EXPECT_EQ(with_od.group, (std::vector<std::int32_t>{2, 3, 1, 0, 0}));
  EXPECT_EQ(with_od.group_weight, (std::vector<std::uint32_t>{2, 1, 1, 1}));

  // §16.1 item 11: without outlier detection there is no locality preference at all.
  const LocalityPlan without = plan_localities(mesh_default, false, caller, eps);
  EXPECT_EQ(without.priority, (std::vector<std::uint32_t>{0, 0, 0, 0, 0}));
  EXPECT_EQ(without.priority_count, 1u);
  // The caller's locality still comes first among the localities of P0.
  EXPECT_EQ(without.group[3], 0);

  // A DestinationRule with enabled: false switches it off even with outlier detection.
  config::LocalityLbSetting off;
  off.enabled = false;
  const LocalityPlan disabled =
      plan_localities(resolve_locality_setting(&off, ""), true, caller, eps);
  EXPECT_EQ(disabled.priority_count, 1u);
}

TEST(LocalityPlanTest, ExplicitFailoverPushesOtherRegionsBehindTheTarget_Sem7_5) {
  const std::vector<LocalityEndpoint> eps{
      {"ap-south/z/a", nullptr, 1}, {"eu-west/z/a", nullptr, 1}, {"us-east/zone9/x", nullptr, 1}};
  config::LocalityLbSetting dr;
  dr.failover.push_back({"us-east", "eu-west"});
  const LocalityPlan plan = plan_localities(resolve_locality_setting(&dr, ""), true,
                                            {"us-east/zone1/a", nullptr}, eps);
  // us-east (same region) 2 -> 0, eu-west (the target) 3 -> 1, ap-south 4 -> 2 after compaction.
  EXPECT_EQ(plan.priority, (std::vector<std::uint32_t>{2, 1, 0}));
  EXPECT_TRUE(plan.locality_weighted);
}

TEST(LocalityPlanTest, FailoverPriorityRanksByLeadingMatchingLabels_Sem7_5) {
  const config::Labels caller_labels{{"app", "client"}, {"net", "n1"}, {"rack", "r1"}};
  const config::Labels same{{"net", "n1"}, {"rack", "r1"}};
  const config::Labels other_rack{{"net", "n1"}, {"rack", "r2"}};
  const config::Labels other_net{{"net", "n2"}, {"rack", "r1"}};
  const std::vector<LocalityEndpoint> eps{
      {"r/z/s", &other_net, 1}, {"r/z/s", &other_rack, 1}, {"r/z/s", &same, 1}};
  config::LocalityLbSetting dr;
  dr.failover_priority = {"net", "rack"};
  const LocalityCaller caller{"r/z/s", &caller_labels};
  const LocalityPlan plan = plan_localities(resolve_locality_setting(&dr, ""), true, caller, eps);
  // Mismatch at label 0 -> 2, at label 1 -> 1, all match -> 0.
  EXPECT_EQ(plan.priority, (std::vector<std::uint32_t>{2, 1, 0}));
  EXPECT_TRUE(plan.locality_weighted);
  // A pinned value: rack=r2 prefers the r2 endpoint.
  dr.failover_priority = {"net", "rack=r2"};
  const LocalityPlan pinned = plan_localities(resolve_locality_setting(&dr, ""), true, caller, eps);
  EXPECT_EQ(pinned.priority, (std::vector<std::uint32_t>{2, 0, 1}));
  // Without outlier detection nothing happens.
  EXPECT_EQ(plan_localities(resolve_locality_setting(&dr, ""), false, caller, eps).priority_count, 1u);
  // trafficDistribution forces failover on region/zone even without outlier detection.
  const std::vector<LocalityEndpoint> zones{{"r/z2/s", nullptr, 1}, {"r/z/s", nullptr, 1}};
  const LocalityPlan forced =
      plan_localities(resolve_locality_setting(nullptr, "PreferClose"), false, caller, zones);
  EXPECT_TRUE(forced.failover_enabled);
  EXPECT_EQ(forced.priority, (std::vector<std::uint32_t>{1, 0}));
}

TEST(LocalityPlanTest, DistributeSetsWeightsAndDropsUnlistedLocalities_Sem7_5) {
  const std::vector<LocalityEndpoint> eps{
      {"us-east/zone1/a", nullptr, 1}, {"us-east/zone1/a", nullptr, 1},
      {"us-east/zone2/a", nullptr, 1}, {"eu-west/zone1/a", nullptr, 1}};
  config::LocalityLbSetting dr;
  dr.distribute.push_back({"us-east/zone1/*", {{"us-east/zone1/*", 80}, {"us-east/zone2/*", 20}}});
  const LocalityPlan plan = plan_localities(resolve_locality_setting(&dr, ""), false,
                                            {"us-east/zone1/a", nullptr}, eps);
  EXPECT_TRUE(plan.locality_weighted);
  EXPECT_EQ(plan.priority_count, 1u);
  EXPECT_EQ(plan.group[3], LocalityPlan::kNotSent);  // eu-west not listed: no traffic
  ASSERT_GE(plan.group[0], 0);
  ASSERT_GE(plan.group[2], 0);
  EXPECT_EQ(plan.group[0], plan.group[1]);
  // ceil(2 × 80 / 2) = 80 and ceil(1 × 20 / 1) = 20.
  EXPECT_EQ(plan.group_weight[plan.group[0]], 80u);
  EXPECT_EQ(plan.group_weight[plan.group[2]], 20u);
  // A caller matching no `from` keeps the plain weights.
  const LocalityPlan other = plan_localities(resolve_locality_setting(&dr, ""), false,
                                             {"eu-west/zone1/a", nullptr}, eps);
  EXPECT_EQ(other.group[3], 0);  // its own locality first
  EXPECT_EQ(other.group_weight, (std::vector<std::uint32_t>{1, 2, 1}));
}

TEST(LocalityPlanTest, LocalityMatchingAndSplitting_Sem7_5) {
  const Locality l = split_locality("us-east/zone1/a");
  EXPECT_EQ(l.region, "us-east");
  EXPECT_EQ(l.zone, "zone1");
  EXPECT_EQ(l.subzone, "a");
  EXPECT_TRUE(locality_matches(l, "us-east"));
  EXPECT_TRUE(locality_matches(l, "us-east/*"));
  EXPECT_TRUE(locality_matches(l, "*"));
  EXPECT_TRUE(locality_matches(l, "us-east/zone1/a"));
  EXPECT_FALSE(locality_matches(l, "us-east/zone2"));
  EXPECT_FALSE(locality_matches(l, "us-west/*"));
  EXPECT_EQ(locality_lb_priority(l, split_locality("us-east/zone1/b")), 1u);
}

TEST(LoadBalancerTest, FailoverPrioritiesMoveTrafficWhenTheLocalZoneIsEjected_Sem7_5_Sem8_5) {
  // The plan feeds the LB: local zone P0, other zone P1; ejecting P0 moves traffic to P1.
  const std::vector<LocalityEndpoint> eps{{"r/z1/s", nullptr, 1}, {"r/z1/s", nullptr, 1},
                                          {"r/z2/s", nullptr, 1}, {"r/z2/s", nullptr, 1}};
  const LocalityPlan plan =
      plan_localities(resolve_locality_setting(nullptr, ""), true, {"r/z1/s", nullptr}, eps);
  std::vector<LbHost> hosts;
  for (std::uint32_t i = 0; i < eps.size(); ++i) {
    hosts.push_back(host(i, 1, plan.priority[i], static_cast<std::uint32_t>(plan.group[i])));
  }
  engine::RngStream rng(32, "test/failover");
  LoadBalancer lb(settings(Kind::LeastRequest), 2, rng);
  lb.set_hosts(hosts, plan.group_weight, engine::SimTime{});
  auto seen = count_picks(lb, rng, 1000, 4);
  EXPECT_EQ(seen[2] + seen[3], 0);
  lb.set_ejected(0, true);  // 1 of 2 healthy: 70 % -> 30 % spills to the other zone
  EXPECT_EQ(lb.priority_loads(), (std::vector<std::uint32_t>{70, 30}));
  lb.set_ejected(1, true);
  seen = count_picks(lb, rng, 1000, 4);
  EXPECT_EQ(seen[2] + seen[3], 1000);
}

// A client in zone a calls reviews with pods in zones a and b; the DestinationRule asks for
// ROUND_ROBIN with outlier detection, so istiod assigns failover priorities (§7.5).
constexpr std::string_view kZonedMesh = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-a, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: reviews, zone: a}}
  template:
    metadata:
      labels: {app: reviews, zone: a, topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: a}
    spec:
      containers: [{name: app, image: reviews, ports: [{containerPort: 9080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-b, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: reviews, zone: b}}
  template:
    metadata:
      labels: {app: reviews, zone: b, topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: b}
    spec:
      containers: [{name: app, image: reviews, ports: [{containerPort: 9080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: default}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata:
      labels: {app: client, topology.kubernetes.io/region: r1, topology.kubernetes.io/zone: a}
    spec:
      containers: [{name: app, image: client}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 3}
)";

TEST(LoadBalancerTest, SetupFromTheCompiledClusterPrefersTheCallersZone_Sem7_5_Sem8_5) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::load_yaml_text(kZonedMesh, "zoned.yaml", store, diags);
  ASSERT_FALSE(diags.has_errors()) << diags.first_error()->format();
  const registry::Registry reg = registry::Registry::build(store, diags);
  xds::ProxyIdentity id;
  id.namespace_ = "default";
  id.labels = {{"app", "client"}};
  id.workload = "client";
  const auto cfg = xds::compile_sidecar(store, reg, id, xds::MeshOptions{});
  const std::int32_t index = cfg->find_cluster("outbound|9080||reviews.default.svc.cluster.local");
  ASSERT_NE(index, xds::kNoCluster);
  const xds::Cluster& cluster = cfg->clusters[index];
  ASSERT_EQ(cluster.endpoints.size(), 4u);
  const registry::Pod* caller = reg.find_pod("default", "client-0");
  ASSERT_NE(caller, nullptr);

  const LbSetup setup = lb_setup_for(cluster, reg, caller);
  EXPECT_EQ(setup.settings.kind, Kind::RoundRobin);
  EXPECT_EQ(setup.settings.healthy_panic_threshold, 0u);  // minHealthPercent unset
  EXPECT_FALSE(setup.settings.locality_weighted);
  EXPECT_EQ(setup.hosts_in_eds, 4u);
  ASSERT_EQ(setup.hosts.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    const registry::Pod& pod = reg.pods()[cluster.endpoints[i].pod];
    EXPECT_EQ(setup.hosts[i].address, pod.ip + ":9080");
    EXPECT_EQ(setup.hosts[i].priority, pod.labels.at("zone") == "a" ? 0u : 1u) << pod.name;
  }

  engine::RngStream rng(33, "test/setup");
  LoadBalancer lb(setup.settings, 2, rng);
  lb.set_hosts(setup.hosts, setup.locality_weights, engine::SimTime{});
  std::set<std::string> picked;
  for (int i = 0; i < 40; ++i) {
    const std::int32_t h = lb.choose(LoadBalancer::Pick{}, rng);
    ASSERT_GE(h, 0);
    picked.insert(reg.pods()[cluster.endpoints[h].pod].labels.at("zone"));
  }
  EXPECT_EQ(picked, (std::set<std::string>{"a"}));
}

// ------------------------------------------------------------------ slow start

TEST(LoadBalancerTest, SlowStartScalesANewHostsWeight_Sem7_6) {
  engine::RngStream rng(41, "test/slow");
  LbSettings s = settings(Kind::RoundRobin);
  s.slow_start_window = 10 * kSecond;  // warmup 10s, minimumPercent 10, aggression 1
  LoadBalancer lb(s, 1, rng);
  lb.set_hosts(equal_hosts(2), {}, engine::SimTime{});
  // Past the first window, a third host arrives at t = 20 s.
  lb.set_hosts(equal_hosts(3), {}, engine::SimTime{} + 20 * kSecond);
  EXPECT_DOUBLE_EQ(lb.slow_start_factor(0, engine::SimTime{} + 25 * kSecond), 1.0);
  EXPECT_DOUBLE_EQ(lb.slow_start_factor(2, engine::SimTime{} + 25 * kSecond), 0.5);
  EXPECT_DOUBLE_EQ(lb.slow_start_factor(2, engine::SimTime{} + 20 * kSecond + 500 * kMillisecond), 0.1);  // floor
  EXPECT_DOUBLE_EQ(lb.slow_start_factor(2, engine::SimTime{} + 30 * kSecond), 1.0);  // window over
  // EDF with weights 1, 1, 0.5 at t = 25 s: the new host gets 1/5 of the picks.
  LoadBalancer::Pick pick;
  pick.now = engine::SimTime{} + 25 * kSecond;
  const auto seen = count_picks(lb, rng, 500, 3, pick);
  EXPECT_NEAR(seen[2], 100, 1);
  EXPECT_NEAR(seen[0], 200, 1);

  LbSettings aggressive = s;
  aggressive.slow_start_aggression = 2.0;  // t_factor^(1/2)
  LoadBalancer lb2(aggressive, 1, rng);
  lb2.set_hosts(equal_hosts(1), {}, engine::SimTime{});
  lb2.set_hosts(equal_hosts(2), {}, engine::SimTime{} + 20 * kSecond);
  EXPECT_NEAR(lb2.slow_start_factor(1, engine::SimTime{} + 25 * kSecond), std::sqrt(0.5), 1e-12);
}

TEST(LoadBalancerTest, SlowStartSettingsOnlyForRoundRobinAndLeastRequest_Sem7_6) {
  xds::Cluster c;
  config::WarmupConfiguration w;
  w.duration = 30 * kSecond;
  w.minimum_percent = 25;
  c.lb.warmup = w;
  c.lb.kind = Kind::RoundRobin;
  LbSettings s = lb_settings_for(c);
  EXPECT_EQ(s.slow_start_window, 30 * kSecond);
  EXPECT_DOUBLE_EQ(s.slow_start_min_weight, 0.25);
  EXPECT_DOUBLE_EQ(s.slow_start_aggression, 1.0);
  c.lb.kind = Kind::Random;
  EXPECT_EQ(lb_settings_for(c).slow_start_window, engine::SimDuration{});
}

TEST(LoadBalancerTest, IstioPanicThresholdFollowsMinHealthPercent_Sem8_5_Sem10_1) {
  xds::Cluster c;
  EXPECT_EQ(lb_settings_for(c, true).healthy_panic_threshold, 0u);   // 1.31: unhealthy sent
  EXPECT_EQ(lb_settings_for(c, false).healthy_panic_threshold, 50u);  // older: Envoy default
  c.outlier_detection = config::OutlierDetection{};
  EXPECT_EQ(lb_settings_for(c, false).healthy_panic_threshold, 0u);
  c.outlier_detection->min_health_percent = 40;
  EXPECT_EQ(lb_settings_for(c, true).healthy_panic_threshold, 40u);
}

// ------------------------------------------------------------------ consistent hashing

std::uint64_t key_hash(int i) { return hash_request_key("user-" + std::to_string(i)); }

// An independent ring built the way E-RH describes it (equal weights): `per_host` entries
// "<ip:port>_<i>" per host, sorted by xxHash64. Each entry: (hash, host, i).
struct TestRingEntry {
  std::uint64_t hash;
  std::int32_t host;
  int index;
  bool operator<(const TestRingEntry& o) const { return hash < o.hash; }
};
std::vector<TestRingEntry> test_ring(const std::vector<std::int32_t>& hosts, int per_host) {
  std::vector<TestRingEntry> ring;
  for (std::int32_t h : hosts) {
    for (int i = 0; i < per_host; ++i) {
      ring.push_back({xxhash64(host(h).address + "_" + std::to_string(i)), h, i});
    }
  }
  std::sort(ring.begin(), ring.end());
  return ring;
}
const TestRingEntry& test_lookup(const std::vector<TestRingEntry>& ring, std::uint64_t hash) {
  auto it = std::lower_bound(ring.begin(), ring.end(), TestRingEntry{hash, 0, 0});
  return it == ring.end() ? ring.front() : *it;
}

TEST(LoadBalancerTest, RingHashIsConsistentAndRemovingAHostMovesItsKeysAway_Sem8_4) {
  engine::RngStream rng(51, "test/ring");
  LoadBalancer lb(settings(Kind::RingHash), 2, rng);
  lb.set_hosts(equal_hosts(5), {}, engine::SimTime{});
  // Five equal hosts: min weight 0.2, scale = ceil(0.2 × 1024) / 0.2 = 1025, 205 per host.
  EXPECT_EQ(lb.ring_size(0), 1025u);
  std::vector<std::int32_t> before;
  LoadBalancer::Pick pick;
  for (int i = 0; i < 2000; ++i) {
    pick.hash = key_hash(i);
    pick.worker = i % 2;
    before.push_back(lb.choose(pick, rng));
    EXPECT_EQ(lb.choose(pick, rng), before.back());  // same key, same host
  }
  // The same hosts in another proxy (other seeds, other EDS order) give the same mapping.
  engine::RngStream other_rng(999, "test/ring-other");
  LoadBalancer other(settings(Kind::RingHash), 1, other_rng);
  auto reordered = equal_hosts(5);
  std::swap(reordered[0], reordered[4]);
  other.set_hosts(reordered, {}, engine::SimTime{});
  for (int i = 0; i < 2000; ++i) {
    pick.hash = key_hash(i);
    const std::int32_t h = other.choose(pick, other_rng);
    const std::int32_t mapped = h == 0 ? 4 : h == 4 ? 0 : h;
    ASSERT_EQ(mapped, before[i]) << i;
  }
  // Eject host 2: the ring is rebuilt from the 4 healthy hosts. All of host 2's keys move.
  // Envoy rescales the ring to >= 1024 entries, so the survivors now have 256 entries each
  // instead of 205: keys of a survivor move only when one of those 51 new entries per host
  // (index >= 205) now catches them (a real Envoy effect, about a fifth of the keys here).
  lb.set_ejected(2, true);
  EXPECT_EQ(lb.ring_size(0), 1024u);
  const auto ring = test_ring({0, 1, 3, 4}, 256);
  int moved_away = 0, stayed = 0, captured = 0;
  for (int i = 0; i < 2000; ++i) {
    pick.hash = key_hash(i);
    const std::int32_t h = lb.choose(pick, rng);
    const TestRingEntry& entry = test_lookup(ring, *pick.hash);
    ASSERT_EQ(h, entry.host) << i;
    if (before[i] == 2) {
      EXPECT_NE(h, 2);
      ++moved_away;
    } else if (h == before[i]) {
      ++stayed;
    } else {
      EXPECT_GE(entry.index, 205) << i;  // only new entries take keys from a survivor
      ++captured;
    }
  }
  EXPECT_NEAR(moved_away, 400, 80);
  EXPECT_GT(stayed, 4 * captured);
}

TEST(LoadBalancerTest, RingLookupIsTheFirstEntryAtOrAfterTheHashWithWrap_Sem8_4) {
  engine::RngStream rng(52, "test/ring-lookup");
  LoadBalancer lb(settings(Kind::RingHash), 1, rng);
  lb.set_hosts(equal_hosts(3), {}, engine::SimTime{});
  // Rebuild the ring independently: keys "<ip:port>_<i>", 1024 entries for 3 equal hosts
  // (scale = ceil(1024/3) × 3 = 1026, running sums give 342 each).
  std::vector<std::pair<std::uint64_t, std::int32_t>> ring;
  for (std::int32_t h = 0; h < 3; ++h) {
    for (int i = 0; i < 342; ++i) {
      ring.emplace_back(xxhash64(host(h).address + "_" + std::to_string(i)), h);
    }
  }
  std::sort(ring.begin(), ring.end());
  ASSERT_EQ(lb.ring_size(0), ring.size());
  engine::RngStream probe(53, "test/ring-probe");
  std::vector<std::uint64_t> hashes{0, 1, ring.front().first, ring.back().first,
                                    ring.back().first + 1, ~0ULL};
  for (int i = 0; i < 2000; ++i) hashes.push_back(probe.next_u64());
  for (std::uint64_t h : hashes) {
    auto it = std::lower_bound(ring.begin(), ring.end(), std::make_pair(h, std::int32_t{-1}));
    const std::int32_t expected = it == ring.end() ? ring.front().second : it->second;
    ASSERT_EQ(lb.hash_lookup(0, h), expected) << h;
    // Retry attempt k: the entry k places further on.
    const std::size_t index = it == ring.end() ? 0 : static_cast<std::size_t>(it - ring.begin());
    ASSERT_EQ(lb.hash_lookup(0, h, 3), ring[(index + 3) % ring.size()].second) << h;
  }
}

TEST(LoadBalancerTest, RingHashWeightsAndTheRetryPredicate_Sem8_4_Sem5_5) {
  engine::RngStream rng(54, "test/ring-weights");
  LoadBalancer lb(settings(Kind::RingHash), 1, rng);
  lb.set_hosts(weighted_hosts({1, 3}), {}, engine::SimTime{});
  // min weight 0.25: scale = ceil(256) / 0.25 = 1024 -> 256 and 768 entries.
  EXPECT_EQ(lb.ring_size(0), 1024u);
  int zero = 0;
  const int n = 20'000;
  LoadBalancer::Pick pick;
  for (int i = 0; i < n; ++i) {
    pick.hash = key_hash(i);
    zero += lb.choose(pick, rng) == 0;
  }
  EXPECT_NEAR(static_cast<double>(zero) / n, 0.25, 0.03);
  // With the previous-hosts predicate a retry moves along the ring to another host.
  int other = 0;
  for (int i = 0; i < 1000; ++i) {
    pick.hash = key_hash(i);
    pick.avoid = {};
    const std::int32_t first = lb.choose(pick, rng);
    const std::array<std::int32_t, 1> tried{first};
    pick.avoid = tried;
    pick.max_selection_retries = 5;
    other += lb.choose(pick, rng) != first;
  }
  // Envoy does not promise another host: the next entries may belong to the same host. For
  // weights 1:3 that leaves 0.25 + 0.75 × (1 − 0.75^5) ≈ 82 % of retries on the other host.
  EXPECT_NEAR(other / 1000.0, 0.82, 0.04);
}

TEST(LoadBalancerTest, MaglevTableSharesFollowWeights_Sem8_4) {
  engine::RngStream rng(61, "test/maglev");
  LoadBalancer lb(settings(Kind::Maglev), 1, rng);
  lb.set_hosts(weighted_hosts({1, 2, 3, 4}), {}, engine::SimTime{});
  ASSERT_EQ(lb.ring_size(0), 65537u);
  std::array<int, 4> entries{};
  for (std::uint64_t slot = 0; slot < 65537; ++slot) {
    const std::int32_t h = lb.hash_lookup(0, slot);
    ASSERT_GE(h, 0);
    ++entries[h];
  }
  for (int h = 0; h < 4; ++h) {
    EXPECT_NEAR(entries[h] / 65537.0, (h + 1) / 10.0, 0.01) << h;
  }
  // Retry attempt k XORs the hash with ~0 - k + 1.
  const std::uint64_t hash = 123456789;
  EXPECT_EQ(lb.hash_lookup(0, hash, 2), lb.hash_lookup(0, hash ^ (~0ULL - 1)));
}

TEST(LoadBalancerTest, MaglevIsConsistentWhenAHostLeaves_Sem8_4) {
  engine::RngStream rng(62, "test/maglev-consistent");
  LoadBalancer lb(settings(Kind::Maglev), 1, rng);
  lb.set_hosts(equal_hosts(10), {}, engine::SimTime{});
  std::vector<std::int32_t> before(65537);
  for (std::uint64_t s = 0; s < 65537; ++s) before[s] = lb.hash_lookup(0, s);
  lb.set_ejected(7, true);
  int kept = 0, others = 0;
  for (std::uint64_t s = 0; s < 65537; ++s) {
    const std::int32_t h = lb.hash_lookup(0, s);
    ASSERT_NE(h, 7);
    if (before[s] != 7) {
      ++others;
      kept += h == before[s];
    }
  }
  // Maglev's disruption is small but not zero (the paper's ~1-2 % for such sizes).
  EXPECT_GT(static_cast<double>(kept) / others, 0.95);
}

TEST(LoadBalancerTest, MissingHashKeyMeansARandomHost_Sem7_4) {
  engine::RngStream rng(63, "test/nohash");
  LoadBalancer lb(settings(Kind::RingHash), 1, rng);
  lb.set_hosts(equal_hosts(4), {}, engine::SimTime{});
  // Each pick draws a random hash, so the hosts share requests by their arcs of the ring
  // (about a quarter each, not exactly), and consecutive picks differ.
  const auto seen = count_picks(lb, rng, 40'000, 4);
  for (int h = 0; h < 4; ++h) EXPECT_NEAR(seen[h], 10'000, 2'000) << h;
  std::set<std::int32_t> first_ten;
  for (int i = 0; i < 10; ++i) first_ten.insert(lb.choose(LoadBalancer::Pick{}, rng));
  EXPECT_GE(first_ten.size(), 2u);
}

TEST(LoadBalancerTest, RequestHashKeysAreXxHash64OfTheValue_Sem7_4) {
  EXPECT_EQ(hash_request_key("jason"), xxhash64(std::string_view("jason")));
  const std::array<std::string_view, 2> ab{"b", "a"};
  const std::array<std::string_view, 2> ba{"a", "b"};
  EXPECT_EQ(hash_header_values(ab), hash_header_values(ba));
  const std::array<std::string_view, 1> one{"x"};
  EXPECT_EQ(hash_header_values(one), hash_request_key("x"));
  const std::string cookie = generated_cookie_value("10.244.0.7:51234", "10.244.0.9:9080");
  ASSERT_EQ(cookie.size(), 16u);
  char expected[17];
  std::snprintf(expected, sizeof expected, "%016llx",
                static_cast<unsigned long long>(
                    xxhash64(std::string_view("10.244.0.7:5123410.244.0.9:9080"))));
  EXPECT_EQ(cookie, expected);
}

TEST(LoadBalancerTest, RequestHashFollowsTheConsistentHashPolicy_Sem7_4) {
  using Key = config::ConsistentHashLB::Key;
  const std::array<xds::RequestHeader, 4> headers{{{"x-user", "b"},
                                                   {"cookie", "theme=dark; session=\"abc\""},
                                                   {"x-user", "a"},
                                                   {"x-other", "1"}}};
  xds::RequestAttributes request;
  request.authority = "reviews:9080";
  request.path = "/reviews/1?user=jason%20m&x=2";
  request.headers = headers.data();
  request.header_count = headers.size();

  config::ConsistentHashLB policy;
  policy.key = Key::HttpHeaderName;
  policy.header_name = "X-User";  // header names compare lower-cased
  const std::array<std::string_view, 2> values{"a", "b"};
  EXPECT_EQ(request_hash(policy, request, "10.244.0.5").hash, hash_header_values(values));
  policy.header_name = "x-missing";
  EXPECT_FALSE(request_hash(policy, request, "10.244.0.5").hash.has_value());

  policy.key = Key::HttpCookie;
  policy.cookie_name = "session";
  EXPECT_EQ(request_hash(policy, request, "").hash, hash_request_key("abc"));  // quotes stripped
  policy.cookie_name = "user";
  EXPECT_FALSE(request_hash(policy, request, "").hash.has_value());  // no ttl: no cookie made
  policy.cookie_ttl = engine::SimDuration{};                                             // session cookie
  const RequestHash generated =
      request_hash(policy, request, "", "10.244.0.5:40000", "10.244.0.9:9080");
  EXPECT_EQ(generated.set_cookie, generated_cookie_value("10.244.0.5:40000", "10.244.0.9:9080"));
  EXPECT_EQ(generated.hash, hash_request_key(generated.set_cookie));

  policy.key = Key::UseSourceIp;
  EXPECT_EQ(request_hash(policy, request, "10.244.0.5").hash, hash_request_key("10.244.0.5"));
  EXPECT_FALSE(request_hash(policy, request, "").hash.has_value());

  policy.key = Key::HttpQueryParameterName;
  policy.header_name = "user";
  EXPECT_EQ(request_hash(policy, request, "").hash, hash_request_key("jason m"));
  policy.header_name = "absent";
  EXPECT_FALSE(request_hash(policy, request, "").hash.has_value());
}

// ------------------------------------------------------------------ retry predicate

TEST(LoadBalancerTest, PreviousHostsPredicateFindsAnUntriedHost_Sem5_5) {
  engine::RngStream rng(3, "test/prev");
  LoadBalancer lb(settings(Kind::Random), 1, rng);
  lb.set_hosts(equal_hosts(3), {}, engine::SimTime{});
  const std::vector<std::int32_t> tried{0, 1};
  LoadBalancer::Pick pick;
  pick.avoid = tried;
  pick.max_selection_retries = 5;
  // Up to 6 picks: the chance that all six miss host 2 is (2/3)^6 ≈ 8.8 %; count it.
  const int n = 100'000;
  const auto seen = count_picks(lb, rng, n, 3, pick);
  EXPECT_NEAR(static_cast<double>(seen[2]) / n, 1 - std::pow(2.0 / 3, 6), 0.005);
}

TEST(LoadBalancerTest, PreviousHostsPredicateFallsBackToTheLastPick_Sem5_5) {
  engine::RngStream rng(4, "test/prev-all");
  LoadBalancer lb(settings(Kind::RoundRobin), 1, rng);
  lb.set_hosts(equal_hosts(2), {}, engine::SimTime{});
  const std::vector<std::int32_t> tried{0, 1};
  LoadBalancer::Pick pick;
  pick.avoid = tried;
  pick.max_selection_retries = 5;
  // Six RR selections all hit tried hosts; the sixth is used. RR consumed six slots, so the
  // next plain pick continues from there: with 2 hosts it is the other host than the last.
  const std::int32_t last = lb.choose(pick, rng);
  EXPECT_TRUE(last == 0 || last == 1);
  EXPECT_EQ(lb.choose(LoadBalancer::Pick{}, rng), 1 - last);
}

TEST(LoadBalancerTest, OldInterfaceStillWorksOverAnEligibleList_Sem8_1) {
  engine::RngStream rng(8, "test/legacy");
  LoadBalancer lb(Kind::RoundRobin, 1, rng);
  const std::vector<std::uint32_t> eligible{0, 2, 3};
  const std::vector<std::uint32_t> active(4, 0);
  std::array<int, 4> seen{};
  for (int i = 0; i < 30; ++i) ++seen[lb.choose(0, eligible, active, rng)];
  EXPECT_EQ(seen, (std::array<int, 4>{10, 0, 10, 10}));
  const std::vector<std::int32_t> tried{0, 2};
  int untried = 0;
  for (int i = 0; i < 30; ++i) untried += lb.choose_avoiding(0, eligible, active, tried, 5, rng) == 3;
  EXPECT_EQ(untried, 30);
}

}  // namespace
}  // namespace meshtwin::proxy

namespace meshtwin::proxy {
namespace {

// The fast path (one priority, no locality weights, no slow start, no EDF) must pick exactly
// what the general path picks and draw exactly as many numbers, through host changes,
// ejections (down to panic), retries with tried hosts, and EDF-weighted phases it must leave
// to the general path. Two identical balancers, one with the fast path off, fed the same
// picks from equally seeded streams.
TEST(LoadBalancerTest, FastPathPicksAndDrawsExactlyAsTheGeneralPath_Sem8_1_Sem8_2_Sem8_5) {
  for (Kind kind : {Kind::RoundRobin, Kind::LeastRequest}) {
    for (std::uint32_t n : {1u, 2u, 3u, 5u}) {
      LbSettings s = settings(kind);
      s.healthy_panic_threshold = 50;
      engine::RngStream seed_a(11, "test/fast/seed"), seed_b(11, "test/fast/seed");
      LoadBalancer fast(s, 2, seed_a), general(s, 2, seed_b);
      general.set_fast_path(false);
      engine::RngStream rng_a(5, "test/fast/picks"), rng_b(5, "test/fast/picks");
      std::vector<std::uint32_t> active(n, 0);
      int checked = 0;
      auto compare = [&](int picks, std::span<const std::int32_t> avoid) {
        for (int i = 0; i < picks; ++i) {
          LoadBalancer::Pick pick;
          pick.worker = static_cast<std::uint32_t>(i % 3);
          pick.active_requests = active;
          pick.avoid = avoid;
          pick.max_selection_retries = avoid.empty() ? 0 : 2;
          const std::int32_t a = fast.choose(pick, rng_a);
          const std::int32_t b = general.choose(pick, rng_b);
          ASSERT_EQ(a, b) << "kind " << static_cast<int>(kind) << " hosts " << n << " pick " << i;
          if (a != kNoHost) active[static_cast<std::size_t>(a)] = (active[static_cast<std::size_t>(a)] + i) % 4;
          ++checked;
        }
        ASSERT_EQ(rng_a.next_u64(), rng_b.next_u64()) << "the two paths drew differently";
      };
      fast.set_hosts(equal_hosts(n), {}, SimTime{});
      general.set_hosts(equal_hosts(n), {}, SimTime{});
      compare(40, {});
      const std::array<std::int32_t, 1> tried{0};
      compare(20, tried);
      fast.set_ejected(0, true);  // with one host: panic over all hosts
      general.set_ejected(0, true);
      compare(20, {});
      if (n > 1) {
        fast.set_ejected(1, true);
        general.set_ejected(1, true);
        compare(20, tried);
      }
      fast.set_hosts(weighted_hosts(std::vector<std::uint32_t>(n, 3)), {}, SimTime{});
      general.set_hosts(weighted_hosts(std::vector<std::uint32_t>(n, 3)), {}, SimTime{});
      compare(20, {});
      std::vector<std::uint32_t> unequal(n, 1);
      unequal[0] = 4;  // unequal weights: EDF, the general path's alone
      fast.set_hosts(weighted_hosts(unequal), {}, SimTime{});
      general.set_hosts(weighted_hosts(unequal), {}, SimTime{});
      compare(20, {});
      // More hosts: round-robin indices advanced on the way (even by one-host picks) show.
      active.assign(n + 2, 0);
      fast.set_hosts(equal_hosts(n + 2), {}, SimTime{});
      general.set_hosts(equal_hosts(n + 2), {}, SimTime{});
      compare(20, {});
      EXPECT_GT(checked, 100);
    }
  }
}

}  // namespace
}  // namespace meshtwin::proxy
