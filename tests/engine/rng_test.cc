#include "engine/rng.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <gtest/gtest.h>

namespace meshtwin::engine {
namespace {

std::vector<std::uint64_t> draws(RngStream& s, int n) {
  std::vector<std::uint64_t> out;
  for (int i = 0; i < n; ++i) out.push_back(s.next_u64());
  return out;
}

TEST(RngStream, SameSeedAndNameGiveSameDraws) {
  RngStream a(42, "pod/reviews-v1-0/failures");
  RngStream b(42, "pod/reviews-v1-0/failures");
  EXPECT_EQ(draws(a, 1000), draws(b, 1000));
}

TEST(RngStream, DifferentNamesOrSeedsGiveDifferentDraws) {
  RngStream base(42, "client/users/arrivals");
  RngStream other_name(42, "client/users/arrival");
  RngStream other_seed(43, "client/users/arrivals");
  const auto d0 = draws(base, 100);
  const auto d1 = draws(other_name, 100);
  const auto d2 = draws(other_seed, 100);
  int same01 = 0, same02 = 0;
  for (int i = 0; i < 100; ++i) {
    same01 += d0[i] == d1[i];
    same02 += d0[i] == d2[i];
  }
  EXPECT_EQ(same01, 0);
  EXPECT_EQ(same02, 0);
}

TEST(RngStream, ManyNamesGiveDistinctFirstDraws) {
  std::set<std::uint64_t> firsts;
  for (int i = 0; i < 10000; ++i) {
    RngStream s(1, "pod/p-" + std::to_string(i));
    firsts.insert(s.next_u64());
  }
  EXPECT_EQ(firsts.size(), 10000u);
}

TEST(RngStream, ExtraStreamsDoNotChangeAnotherStreamsDraws) {
  RngStream alone(9, "client/users/arrivals");
  const auto want = draws(alone, 500);

  // Same stream, created after others and interleaved with draws from them.
  RngStream before1(9, "pod/a/failures");
  RngStream before2(9, "pod/b/failures");
  before1.next_u64();
  RngStream target(9, "client/users/arrivals");
  RngStream after(9, "pod/c/failures");
  std::vector<std::uint64_t> got;
  for (int i = 0; i < 500; ++i) {
    got.push_back(target.next_u64());
    before1.next_u64();
    before2.uniform01();
    after.uniform_int(17);
  }
  EXPECT_EQ(got, want);
}

// Pinned values: the derivation from (seed, name) is part of the results contract (same
// scenario + seed => same rows across meshtwin versions). Change only on purpose.
TEST(RngStream, DerivationIsPinned) {
  EXPECT_EQ(stable_hash(""), 0xf52a15e9a9b5e89bULL);
  EXPECT_EQ(stable_hash("client/users/arrivals"), 0x69155b46aab92757ULL);
  RngStream s(42, "client/users/arrivals");
  EXPECT_EQ(s.next_u64(), 0xff820d5496e9a83fULL);
}

// What RngStream was until it got its own engine: boost's mt19937_64 seeded through
// seed(SeedSeq&). The golden digests pin the same thing end to end; these pin it per draw.
boost::random::mt19937_64 boost_reference(std::uint64_t seed, std::string_view name) {
  detail::SplitMixSeedSeq seq(detail::stream_key(seed, name));
  boost::random::mt19937_64 engine;
  engine.seed(seq);
  return engine;
}

TEST(RngStream, MatchesBoostMt19937_64AcrossTwists) {
  const std::vector<std::pair<std::uint64_t, std::string>> pairs = {
      {0, ""},
      {1, "client/users/arrivals"},
      {42, "pod/reviews-v1-0/failures"},
      {0xffffffffffffffffULL, "proxy/productpage-v1-0/lb"},
      {20261203, "pod/svc-0999-v1-2/network"},
  };
  for (const auto& [seed, name] : pairs) {
    SCOPED_TRACE(name);
    RngStream ours(seed, name);
    auto reference = boost_reference(seed, name);
    // Four twists: boost's first on its first draw (ours at construction), then three more.
    for (std::uint32_t i = 0; i < 4 * RngStream::kStateWords + 7; ++i)
      ASSERT_EQ(ours.next_u64(), reference()) << "draw " << i;
  }
}

TEST(RngStream, MatchesBoostMt19937_64ForAMillionDraws) {
  RngStream ours(7, "pod/details-v1-0/service");
  auto reference = boost_reference(7, "pod/details-v1-0/service");
  std::uint64_t mismatches = 0;
  for (int i = 0; i < 1000000; ++i) mismatches += ours.next_u64() != reference();
  EXPECT_EQ(mismatches, 0u);
}

TEST(RngStream, DerivedDrawsMatchBoostToo) {
  // uniform01, uniform_int (including a rejection-heavy n) and bernoulli consume the same
  // words as before: one per draw, or more on rejection, never a different count.
  RngStream ours(3, "test/derived");
  auto reference = boost_reference(3, "test/derived");
  const std::uint64_t n = (1ULL << 63) + 1;  // rejects almost half of the words
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(ours.uniform01(), static_cast<double>(reference() >> 11) * 0x1.0p-53);
    std::uint64_t x = reference();
    while (static_cast<std::uint64_t>(static_cast<unsigned __int128>(x) * n) < (0 - n) % n) x = reference();
    ASSERT_EQ(ours.uniform_int(n), static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * n) >> 64));
  }
}

TEST(RngStream, FirstDrawsEqualAWholeStreamsFirstDraws) {
  // first_draws computes a fresh stream's first draws from a few seeded words; it must give
  // what the stream itself would, up to its limit and (through a whole stream) past it.
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{7}, ~std::uint64_t{0}}) {
    for (int k = 0; k < 200; ++k) {
      const std::string name = "proxy/svc-" + std::to_string(k) + "-v1-0/lb/outbound|8080||svc-" + std::to_string(k);
      SCOPED_TRACE(name);
      const std::size_t n = k % 3 == 0 ? RngStream::kCheapFirstDraws : (k % 3 == 1 ? 2 : RngStream::kCheapFirstDraws + 9);
      std::vector<std::uint64_t> cheap(n);
      RngStream::first_draws(seed, name, cheap);
      RngStream whole(seed, name);
      ASSERT_EQ(cheap, draws(whole, static_cast<int>(n)));
      // Named in parts: the same stream.
      std::vector<std::uint64_t> parts(n);
      const std::string_view view(name);
      RngStream::first_draws(seed, {view.substr(0, 6), view.substr(6, 9), view.substr(15)}, parts);
      ASSERT_EQ(parts, cheap);
    }
  }
}

TEST(RngStream, CopyContinuesIndependentlyFromTheSamePoint) {
  // The reference streams are made and advanced on their own, so they say where each copy
  // should be whatever copying does.
  const int near_twist = static_cast<int>(RngStream::kStateWords) - 3;
  RngStream a(11, "test/copy"), ref_a(11, "test/copy"), ref_b(11, "test/copy");
  draws(a, near_twist);
  draws(ref_a, near_twist);
  draws(ref_b, near_twist);
  RngStream b(a);
  // The copy crosses a twist of its own block; the original, drawn from after it, is where it was.
  EXPECT_EQ(draws(b, 700), draws(ref_b, 700));
  EXPECT_EQ(draws(a, 10), draws(ref_a, 10));

  // Assignment replaces the whole state (here a different stream's) and the index.
  RngStream d(99, "test/other");
  draws(d, 5);
  d = a;
  EXPECT_EQ(draws(d, 400), draws(ref_a, 400));
  RngStream& alias = d;
  d = alias;  // self-assignment keeps the stream
  EXPECT_EQ(draws(d, 5), draws(ref_a, 5));
}

TEST(RngStream, MoveCarriesTheStream) {
  RngStream a(12, "test/move");
  RngStream twin(12, "test/move");
  draws(a, 100);
  draws(twin, 100);
  RngStream b(std::move(a));
  EXPECT_EQ(draws(b, 500), draws(twin, 500));
  RngStream c(1, "test/else");
  c = std::move(b);
  EXPECT_EQ(draws(c, 500), draws(twin, 500));
  // A moved-from stream can be assigned to again.
  a = RngStream(12, "test/move");
  EXPECT_EQ(draws(a, 3), draws(*std::make_unique<RngStream>(12, "test/move"), 3));
}

TEST(RngStream, HandleIsSixteenBytes) {
  // The point of the split (docs/performance.md): streams fit in their owner's hot line.
  EXPECT_LE(sizeof(RngStream), 16u);
}

TEST(StableHash, SpreadsSimilarNames) {
  EXPECT_NE(stable_hash("a"), stable_hash("b"));
  EXPECT_NE(stable_hash("pod/x-1"), stable_hash("pod/x-2"));
  // A one-character change should flip about half the bits.
  const int flipped = __builtin_popcountll(stable_hash("pod/x-1") ^ stable_hash("pod/x-2"));
  EXPECT_GT(flipped, 16);
  EXPECT_LT(flipped, 48);
}

TEST(RngStream, Uniform01IsInRangeWithRightMoments) {
  RngStream s(5, "test/u01");
  const int n = 200000;
  double sum = 0, sum2 = 0;
  double lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  const double mean = sum / n;
  const double var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.5, 6 * std::sqrt(1.0 / 12 / n));
  EXPECT_NEAR(var, 1.0 / 12, 0.002);
  EXPECT_LT(lo, 1e-3);
  EXPECT_GT(hi, 1 - 1e-3);
}

TEST(RngStream, UniformIntIsInRangeAndUniform) {
  RngStream s(6, "test/uint");
  const int n = 600000;
  std::array<int, 6> counts{};
  for (int i = 0; i < n; ++i) {
    const std::uint64_t v = s.uniform_int(6);
    ASSERT_LT(v, 6u);
    ++counts[v];
  }
  // Chi-square with 5 degrees of freedom; P(chi2 > 25) is about 1e-4.
  double chi2 = 0;
  for (int c : counts) chi2 += (c - n / 6.0) * (c - n / 6.0) / (n / 6.0);
  EXPECT_LT(chi2, 25.0);
  EXPECT_EQ(s.uniform_int(1), 0u);
}

TEST(RngStream, UniformIntIsUnbiasedForHugeRanges) {
  // With n = 3 * 2^62, `x % n` would put values below 2^62 with probability 1/2, not 1/3.
  RngStream s(7, "test/uint-bias");
  const std::uint64_t n = 3ULL << 62;
  const int draws_n = 60000;
  int low = 0;
  for (int i = 0; i < draws_n; ++i) {
    const std::uint64_t v = s.uniform_int(n);
    ASSERT_LT(v, n);
    low += v < (1ULL << 62);
  }
  const double frac = static_cast<double>(low) / draws_n;
  EXPECT_NEAR(frac, 1.0 / 3, 6 * std::sqrt(2.0 / 9 / draws_n));
}

TEST(RngStream, BernoulliFrequency) {
  RngStream s(8, "test/bernoulli");
  const int n = 200000;
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += s.bernoulli(0.05);
  EXPECT_NEAR(static_cast<double>(hits) / n, 0.05, 6 * std::sqrt(0.05 * 0.95 / n));
  EXPECT_FALSE(s.bernoulli(0.0));
  EXPECT_TRUE(s.bernoulli(1.0));
}

}  // namespace
}  // namespace meshtwin::engine
