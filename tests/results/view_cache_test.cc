// telemetry::ViewCache: the address-keyed cache in front of the label and string dictionaries
// (metric windows, the results writer). Issue 15: at 1,000 services a run names more texts than
// the initial slots, so the cache grows with its dictionary instead of thrashing.
#include "model/telemetry/view_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace meshtwin::telemetry {
namespace {

// A dictionary in the shape the cache's users have: ids in first-seen order, a miss counted
// each time the cache has to ask it, and the cache told the dictionary's size as it grows.
struct Dictionary {
  ViewCache cache;
  std::unordered_map<std::string, std::int64_t> ids;
  std::vector<const std::string*> texts;
  int misses = 0;
  std::int64_t get(std::string_view text) {
    return cache.get(text, [this](std::string_view t) {
      ++misses;
      auto [it, inserted] = ids.try_emplace(std::string(t), static_cast<std::int64_t>(texts.size()));
      if (inserted) {
        texts.push_back(&it->first);
        cache.reserve(texts.size());  // may regrow the slots while get() is on the stack
      }
      return std::pair<std::int64_t, const std::string*>(it->second, &it->first);
    });
  }
};

TEST(ViewCache, GrowsWithItsDictionarySoThatEveryTextStaysCached) {
  constexpr int kTexts = 20000;  // several times the initial 4,096 slots
  std::vector<std::string> names;
  for (int i = 0; i < kTexts; ++i) names.push_back("svc-" + std::to_string(i) + ".default.svc.cluster.local");
  Dictionary d;
  for (int i = 0; i < kTexts; ++i) ASSERT_EQ(d.get(names[static_cast<std::size_t>(i)]), i);
  EXPECT_EQ(d.misses, kTexts);
  // Every text again, from the same stable addresses: found in the cache, with the same id.
  // Without growth most of them would have been evicted and asked for again.
  d.misses = 0;
  for (int i = kTexts - 1; i >= 0; --i) ASSERT_EQ(d.get(names[static_cast<std::size_t>(i)]), i);
  EXPECT_LE(d.misses, kTexts / 20);  // the odd one evicted by a third text of its two-way set
}

TEST(ViewCache, ATextAtAnotherAddressIsVerifiedNotTrusted) {
  Dictionary d;
  std::string a = "reviews";
  const std::int64_t id = d.get(a);
  a[0] = 'R';  // same address and length, other text: must not get the old id
  EXPECT_NE(d.get(a), id);
  std::string copy = "reviews";
  EXPECT_EQ(d.get(copy), id);
}

}  // namespace
}  // namespace meshtwin::telemetry
