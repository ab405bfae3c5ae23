// The containers behind a proxy's runtime clusters (model/scenario/cluster_rt.h): the table from
// a config's cluster index to its state (a few entries inline, open addressing beyond, entries
// taken out by a config push) and the per-host rq_active and pods of a cluster (inline for one
// host, a shared block beyond).
#include "model/scenario/cluster_rt.h"

#include <map>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::scenario {
namespace {

struct Item {
  int value = 0;
};

TEST(IndexTableTest, FindsWhatWasInsertedInlineAndSpilledAndNothingElse) {
  IndexTable<Item> table;
  std::map<std::int32_t, Item*> want;
  // Scattered indices, far more than the inline entries (spills and grows several times).
  for (std::int32_t i = 0; i < 300; ++i) {
    const std::int32_t index = (i * 7919) % 3001;
    Item& item = table.insert(index, std::make_unique<Item>(Item{index}));
    want[index] = &item;
  }
  for (std::int32_t index = 0; index < 3001; ++index) {
    Item* found = table.find(index);
    if (want.count(index)) {
      ASSERT_EQ(found, want[index]) << index;
      EXPECT_EQ(found->value, index);
    } else {
      ASSERT_EQ(found, nullptr) << index;
    }
  }
  std::vector<std::int32_t> indices;
  for (const auto& entry : want) indices.push_back(entry.first);
  EXPECT_EQ(table.indices(), indices);
}

TEST(IndexTableTest, TakeRemovesAnEntryAndAnInsertAtTheSameIndexReplacesIt) {
  IndexTable<Item> table;
  for (std::int32_t index : {5, 9, 2, 40, 41, 1000, 77}) table.insert(index, std::make_unique<Item>(Item{index}));
  Item* kept = table.find(40);
  std::unique_ptr<Item> taken = table.take(9);  // inline
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->value, 9);
  EXPECT_EQ(table.find(9), nullptr);
  std::unique_ptr<Item> spilled = table.take(1000);  // beyond the inline entries
  ASSERT_TRUE(spilled);
  EXPECT_EQ(table.find(1000), nullptr);
  EXPECT_EQ(table.take(1000), nullptr);  // already gone
  EXPECT_EQ(table.find(40), kept);       // the others stay where they were
  EXPECT_EQ(table.indices(), (std::vector<std::int32_t>{2, 5, 40, 41, 77}));
  Item& again = table.insert(1000, std::make_unique<Item>(Item{-1}));
  EXPECT_EQ(table.find(1000), &again);
  EXPECT_EQ(table.find(1000)->value, -1);
  table.insert(9, std::make_unique<Item>(Item{-9}));
  EXPECT_EQ(table.find(9)->value, -9);
  EXPECT_EQ(table.indices(), (std::vector<std::int32_t>{2, 5, 9, 40, 41, 77, 1000}));
}

TEST(ClusterHostsTest, OneHostInlineThenABlockKeepsCountsAndPods) {
  ClusterHosts hosts;
  EXPECT_EQ(hosts.size(), 0u);
  EXPECT_EQ(hosts.add(PodId{42}), 0u);
  hosts.active(0) = 3;
  EXPECT_EQ(hosts.pod(0), PodId{42});
  ASSERT_EQ(hosts.active().size(), 1u);
  EXPECT_EQ(hosts.active()[0], 3u);
  // Growing past one host, and past the block's capacity, keeps what was there.
  for (std::uint32_t p = 1; p < 11; ++p) {
    EXPECT_EQ(hosts.add(PodId{42 + p}), p);
    hosts.active(p) = p * 10;
  }
  ASSERT_EQ(hosts.size(), 11u);
  EXPECT_EQ(hosts.active()[0], 3u);
  for (std::uint32_t p = 1; p < 11; ++p) {
    EXPECT_EQ(hosts.pod(p), PodId{42 + p});
    EXPECT_EQ(hosts.active()[p], p * 10);
  }
  EXPECT_EQ(hosts.pod(0), PodId{42});
}

}  // namespace
}  // namespace meshtwin::scenario
