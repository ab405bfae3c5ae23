// `--shard K/N` (cli/shard.h): the shards of a batch or a sweep run every unit exactly once, unit u
// in shard u mod N, whatever the sizes; K/N is parsed strictly.
#include "cli/shard.h"

#include <gtest/gtest.h>

#include <vector>

namespace meshtwin::cli {
namespace {

// For `points` batches of `replications`, which shard ran each unit (-1: none, -2: several).
std::vector<int> owners(int points, int replications, int shards) {
  std::vector<int> owner(static_cast<std::size_t>(points * replications), -1);
  for (int k = 0; k < shards; ++k) {
    const Shard shard{k, shards};
    for (int p = 0; p < points; ++p) {
      const std::int64_t base = static_cast<std::int64_t>(p) * replications;
      const ShardSlice s = shard.slice(base, replications);
      for (int i = 0; i < s.count; ++i) {
        const int r = s.first + i * s.stride;
        EXPECT_GE(r, 0);
        EXPECT_LT(r, replications);
        int& o = owner[static_cast<std::size_t>(base + r)];
        o = o == -1 ? k : -2;
      }
    }
  }
  return owner;
}

TEST(Shard, EveryUnitRunsOnceInShardUModN) {
  for (int points : {1, 2, 3, 7})
    for (int replications : {1, 2, 3, 5, 8})
      for (int shards : {1, 2, 3, 4, 5, 9, 17}) {
        const auto owner = owners(points, replications, shards);
        for (std::size_t u = 0; u < owner.size(); ++u)
          ASSERT_EQ(owner[u], static_cast<int>(u % static_cast<std::size_t>(shards)))
              << points << " points x " << replications << " replications over " << shards << " shards, unit " << u;
      }
}

TEST(Shard, UnshardedIsTheWholeBatch) {
  const ShardSlice s = Shard{}.slice(40, 6);
  EXPECT_EQ(s.first, 0);
  EXPECT_EQ(s.stride, 1);
  EXPECT_EQ(s.count, 6);
  EXPECT_FALSE(Shard{}.sharded());
}

TEST(Shard, AShardMayHoldNoReplicationOfABatch) {
  // Units 0..1 (point 0 of 2 replications) over 4 shards: shards 2 and 3 run none of them.
  EXPECT_EQ((Shard{3, 4}.slice(0, 2).count), 0);
  EXPECT_EQ((Shard{1, 4}.slice(0, 2).count), 1);
}

TEST(Shard, ParsesKOverN) {
  auto s = parse_shard("3/8");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->index, 3);
  EXPECT_EQ(s->count, 8);
  for (const char* bad : {"8/8", "-1/4", "1/0", "1of3", "1/3x", "1/", "/3", "", "1/3 "}) EXPECT_FALSE(parse_shard(bad)) << bad;
}

}  // namespace
}  // namespace meshtwin::cli
