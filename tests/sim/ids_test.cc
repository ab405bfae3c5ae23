// The simulate half's index kinds (model/scenario/ids.h, proxy::HostPoolId/ConnectionId): a pod
// cannot be passed where a stream slot or a proxy is meant, no index converts from or to a bare
// uint32_t implicitly, and the containers indexed by them take only their own kind. Checked at
// compile time (a mix-up is a build error), like tests/engine/time_test.cc does for SimTime.
#include "model/scenario/ids.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <tuple>
#include <type_traits>
#include <vector>

#include "engine/id_vector.h"
#include "engine/stable_vector.h"
#include "model/proxy/conn_pool.h"

namespace meshtwin::scenario {
namespace {

// Whether a call `f(arg)` compiles: the question a mix-up at a call site asks.
template <class Param, class Arg>
constexpr bool passes_as = std::is_invocable_v<void (*)(Param), Arg>;

// A pod is none of the other kinds, and none of them is a pod.
static_assert(passes_as<PodId, PodId> && passes_as<StreamId, StreamId>, "the check itself works");
static_assert(!passes_as<StreamId, PodId>, "a pod where a stream slot is meant");
static_assert(!passes_as<ProxyId, PodId>, "a pod where a proxy is meant");
static_assert(!passes_as<ClientId, PodId>);
static_assert(!passes_as<ServerReqId, PodId>);
static_assert(!passes_as<PodId, ProxyId>, "a proxy where a pod is meant");
static_assert(!passes_as<PodId, StreamId>);
static_assert(!passes_as<PodId, ClientId>);
static_assert(!passes_as<ClientId, LoopConnId>);
static_assert(!passes_as<SnapshotId, PodId> && !passes_as<PodId, SnapshotId>);
static_assert(!passes_as<proxy::ConnectionId, proxy::HostPoolId>, "a pool where a connection is meant");
static_assert(!passes_as<proxy::HostPoolId, proxy::ConnectionId>);
// Not even explicitly: another kind is never a way to make one.
static_assert(!std::is_constructible_v<PodId, ProxyId>);
static_assert(!std::is_constructible_v<ProxyId, PodId>);
static_assert(!std::is_constructible_v<PodId, StreamId>);

// From and to bare numbers: only by name (PodId{n}, .value()), never implicitly.
static_assert(!std::is_convertible_v<std::uint32_t, PodId>, "a bare number must be named PodId{n}");
static_assert(!std::is_convertible_v<int, PodId>);
static_assert(!std::is_convertible_v<PodId, std::uint32_t>, "a pod index leaves only through .value()");
static_assert(!std::is_constructible_v<std::uint32_t, PodId>);
static_assert(!std::is_convertible_v<std::uint32_t, ProxyId>);
static_assert(!std::is_convertible_v<ProxyId, std::uint32_t>);
static_assert(!std::is_convertible_v<std::uint32_t, proxy::HostPoolId>);
static_assert(std::is_constructible_v<PodId, std::uint32_t>);  // explicit naming works

// Free at run time: one uint32_t, copied as such.
static_assert(sizeof(PodId) == sizeof(std::uint32_t) && std::is_trivially_copyable_v<PodId>);
static_assert(sizeof(proxy::HostPoolId) == sizeof(std::uint32_t));

// MeshImpl's pods_, proxies_ and clients_ are IdVectors: indexed by their own kind only.
template <class V, class I>
concept IndexableBy = requires(V& v, I i) { v[i]; };
using Pods = engine::IdVector<PodId, engine::StableVector<int>>;
using Clients = engine::IdVector<ClientId, std::vector<int>>;
static_assert(IndexableBy<Pods, PodId>);
static_assert(!IndexableBy<Pods, ProxyId>, "pods_[proxy] must not compile");
static_assert(!IndexableBy<Pods, StreamId>);
static_assert(!IndexableBy<Pods, std::uint32_t>, "pods_[i] needs pods_[PodId{i}]");
static_assert(!IndexableBy<Pods, int>);
static_assert(IndexableBy<Clients, ClientId>);
static_assert(!IndexableBy<Clients, PodId>);

TEST(ScenarioIds, NoneIsInvalidAndDistinctFromEveryIndex) {
  EXPECT_FALSE(PodId::none().valid());
  EXPECT_FALSE(PodId{}.valid());
  EXPECT_TRUE(PodId{0}.valid());
  EXPECT_NE(PodId{0}, PodId::none());
  EXPECT_FALSE(proxy::HostPoolId::none().valid());
}

TEST(ScenarioIds, OrderedForMapKeys) {
  // MeshImpl keys maps by tuples holding ids (redirect_index_, forward_index_).
  std::map<std::tuple<ClientId, int>, int> m;
  m[{ClientId{2}, 0}] = 2;
  m[{ClientId{1}, 5}] = 1;
  EXPECT_EQ(m.begin()->second, 1);
  EXPECT_LT(PodId{3}, PodId{4});
}

TEST(ScenarioIds, IdVectorHandsOutTheIdsItIndexesBy) {
  engine::IdVector<PodId, engine::StableVector<int>> pods;
  const PodId first = pods.next_id();
  pods.emplace_back(10);
  const PodId second = pods.next_id();
  pods.emplace_back(20);
  EXPECT_EQ(first, PodId{0});
  EXPECT_EQ(pods[second], 20);
  std::vector<PodId> seen;
  for (PodId p : pods.ids()) seen.push_back(p);
  EXPECT_EQ(seen, (std::vector<PodId>{first, second}));
  int sum = 0;
  for (int v : pods) sum += v;
  EXPECT_EQ(sum, 30);
}

}  // namespace
}  // namespace meshtwin::scenario
