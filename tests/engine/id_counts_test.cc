// engine::IdCounts against std::unordered_map over random increments and erasures: counts,
// sizes and absent ids agree after every step, across growth, wrap-around at the end of the
// table and backward-shift deletion inside long probe runs.
#include "engine/id_counts.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace meshtwin::engine {
namespace {

TEST(IdCountsTest, AgreesWithAnUnorderedMapUnderRandomIncrementsAndErasures) {
  IdCounts counts;
  std::unordered_map<std::uint64_t, std::uint32_t> want;
  std::uint64_t x = 0x2545F4914F6CDD1DULL;
  auto next = [&x] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
  };
  for (int step = 0; step < 200'000; ++step) {
    // Ids from a window that slides like request ids in flight, plus a few far-away ones.
    const std::uint64_t r = next();
    const std::uint64_t id = r % 16 == 0 ? r : static_cast<std::uint64_t>(step / 4) + r % 64;
    if (r % 3 == 0) {
      counts.erase(id);
      want.erase(id);
      ASSERT_EQ(counts.count(id), 0u);
    } else {
      ASSERT_EQ(counts.increment(id), ++want[id]);
    }
    ASSERT_EQ(counts.size(), want.size());
  }
  for (const auto& [id, n] : want) ASSERT_EQ(counts.count(id), n) << id;
  std::vector<std::uint64_t> ids;
  for (const auto& [id, n] : want) ids.push_back(id);
  for (std::uint64_t id : ids) counts.erase(id);
  EXPECT_EQ(counts.size(), 0u);
  for (std::uint64_t id : ids) EXPECT_EQ(counts.count(id), 0u);
}

TEST(IdCountsTest, EmptyTableAnswersZeroAndIgnoresErasure) {
  IdCounts counts;
  EXPECT_EQ(counts.count(7), 0u);
  counts.erase(7);
  EXPECT_EQ(counts.increment(7), 1u);
  EXPECT_EQ(counts.increment(7), 2u);
  EXPECT_EQ(counts.increment(0), 1u);  // id 0 is an id like any other
  EXPECT_EQ(counts.count(0), 1u);
  EXPECT_EQ(counts.size(), 2u);
}

}  // namespace
}  // namespace meshtwin::engine
