#include "engine/stable_vector.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace meshtwin::engine {
namespace {

// Counts live objects, so a test sees every element constructed once and destroyed once.
struct Counted {
  static int live;
  int value;
  std::string text;
  Counted(int v, std::string t) : value(v), text(std::move(t)) { ++live; }
  Counted(const Counted&) = delete;  // never moved or copied: the container must not need it
  Counted& operator=(const Counted&) = delete;
  ~Counted() { --live; }
};
int Counted::live = 0;

TEST(StableVector, ElementsNeverMoveAcrossChunks) {
  Counted::live = 0;
  {
    StableVector<Counted, 4> v;  // 4 per chunk: 1,000 elements span 250 chunks
    std::vector<const Counted*> where;
    for (int i = 0; i < 1000; ++i) where.push_back(&v.emplace_back(i, std::to_string(i)));
    EXPECT_EQ(v.size(), 1000u);
    EXPECT_EQ(Counted::live, 1000);
    for (int i = 0; i < 1000; ++i) {
      EXPECT_EQ(&v[static_cast<std::size_t>(i)], where[static_cast<std::size_t>(i)]);
      EXPECT_EQ(v[static_cast<std::size_t>(i)].value, i);
      EXPECT_EQ(v[static_cast<std::size_t>(i)].text, std::to_string(i));
    }
    EXPECT_EQ(v.back().value, 999);
  }
  EXPECT_EQ(Counted::live, 0);
}

TEST(StableVector, IteratesInIndexOrder) {
  StableVector<int, 8> v;
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.begin(), v.end());
  for (int i = 0; i < 37; ++i) v.emplace_back(i * 3);
  int expect = 0;
  for (int x : v) {
    EXPECT_EQ(x, expect);
    expect += 3;
  }
  EXPECT_EQ(expect, 37 * 3);
  const StableVector<int, 8>& c = v;
  EXPECT_TRUE(std::any_of(c.begin(), c.end(), [](int x) { return x == 108; }));
  EXPECT_FALSE(std::any_of(c.begin(), c.end(), [](int x) { return x == 109; }));
  for (int& x : v) x += 1;
  EXPECT_EQ(v[36], 109);
}

TEST(StableVector, ClearDestroysAndCanGrowAgain) {
  Counted::live = 0;
  StableVector<Counted> v;  // default chunk
  for (int i = 0; i < 100; ++i) v.emplace_back(i, "x");
  v.clear();
  EXPECT_EQ(Counted::live, 0);
  EXPECT_TRUE(v.empty());
  v.emplace_back(7, "y");
  EXPECT_EQ(v[0].value, 7);
  EXPECT_EQ(Counted::live, 1);
}

TEST(StableVector, ChunkSizeIsAPowerOfTwoNearSixteenKilobytes) {
  EXPECT_EQ(stable_vector_chunk<std::uint64_t>(), 2048u);
  struct Big {
    char bytes[10000];
  };
  EXPECT_EQ(stable_vector_chunk<Big>(), 1u);
  struct Mid {
    char bytes[3000];
  };
  EXPECT_EQ(stable_vector_chunk<Mid>(), 4u);
}

}  // namespace
}  // namespace meshtwin::engine
