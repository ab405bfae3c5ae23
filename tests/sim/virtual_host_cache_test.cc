// proxy::VirtualHostCache (model/proxy/sidecar.h): the mesh's memo of virtual-host picks gives
// the answers xds::RouteConfiguration::find_virtual_host gives (docs/semantics.md §1.5).
#include "model/proxy/sidecar.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshtwin::proxy {
namespace {

xds::RouteConfiguration table(std::vector<std::vector<std::string>> hosts) {
  xds::RouteConfiguration rc;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    xds::VirtualHost vh;
    vh.name = "vh" + std::to_string(i);
    vh.domains = hosts[i];
    rc.virtual_hosts.push_back(vh);
  }
  rc.finalize();
  return rc;
}

// VirtualHostCache answers as find_virtual_host does: per table, per authority text, even when
// the text behind one view changes (a reused buffer) or many authorities share its slots.
TEST(VirtualHostCacheTest, S1_5_SameAnswerAsTheTable) {
  const xds::RouteConfiguration a = table({{"reviews", "reviews.default.svc.cluster.local"}, {"*"}});
  const xds::RouteConfiguration b = table({{"ratings"}, {"reviews"}});
  VirtualHostCache cache;
  for (int round = 0; round < 2; ++round) {  // the second round is answered from the cache
    for (std::string_view host : {"reviews", "reviews:9080", "REVIEWS.default.svc.cluster.local", "ratings", "x"}) {
      EXPECT_EQ(cache.find(a, host), a.find_virtual_host(host)) << host;
      EXPECT_EQ(cache.find(b, host), b.find_virtual_host(host)) << host;
    }
  }
  EXPECT_EQ(cache.find(a, "ratings"), 1);  // a's default
  EXPECT_EQ(cache.find(b, "ratings"), 0);
  // One buffer, two texts: the entry is checked against the text, not only the address.
  std::string buffer = "reviews";
  EXPECT_EQ(cache.find(b, buffer), 1);
  buffer = "ratings";
  EXPECT_EQ(cache.find(b, buffer), 0);
  buffer = "nothere";
  EXPECT_EQ(cache.find(b, buffer), -1);
  // More authorities than entries: evictions never change an answer.
  std::vector<std::string> many;
  for (int i = 0; i < 1000; ++i) many.push_back(i % 3 == 0 ? "reviews" : "host" + std::to_string(i));
  for (const auto& host : many) ASSERT_EQ(cache.find(a, host), a.find_virtual_host(host)) << host;
  cache.clear();
  EXPECT_EQ(cache.find(a, "reviews"), 0);
}

// A caller's hint for one authority answers as the cache does, follows the table it is asked
// with, and ends at clear() (a config push), even when a new table takes the old one's address.
TEST(VirtualHostCacheTest, S1_5_AHintAnswersAsTheTableAndEndsAtClear) {
  VirtualHostCache cache;
  VirtualHostHint hint;
  xds::RouteConfiguration a = table({{"ratings"}, {"reviews"}});
  const xds::RouteConfiguration b = table({{"reviews"}});
  EXPECT_EQ(cache.find(a, "reviews", &hint), 1);
  EXPECT_EQ(cache.find(a, "reviews", &hint), 1);  // from the hint
  EXPECT_EQ(cache.find(b, "reviews", &hint), 0);  // another table: looked up again
  EXPECT_EQ(cache.find(a, "reviews", &hint), 1);
  // A push replaces `a` in place: same address, other virtual hosts.
  cache.clear();
  a = table({{"reviews"}, {"ratings"}});
  EXPECT_EQ(cache.find(a, "reviews", &hint), 0);
  a = table({{"details"}});  // no "reviews" now: without clear() the hint would still say 0
  cache.clear();
  EXPECT_EQ(cache.find(a, "reviews", &hint), -1);
}

}  // namespace
}  // namespace meshtwin::proxy
