// proxy::ConnPool alone (docs/semantics.md §9): limits, the pending queue, overflow, idle and
// max-requests closes, connect failures — no mesh, a recording owner.
#include "model/proxy/conn_pool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshtwin::proxy {
namespace {

using engine::kSecond;

// Records what the pool asks; `gave_up` marks requests that left the queue on their own.
struct Owner final : ConnPool::Callbacks {
  std::vector<HostPoolId> opened;            // pools a connection was opened for
  std::vector<std::string> log;                 // "attach <slot> <conn>", "overflow <slot>"
  std::vector<std::uint32_t> gave_up;
  void open_connection(HostPoolId pool) override { opened.push_back(pool); }
  bool claim(const PoolRequest& r) override {
    for (std::uint32_t s : gave_up)
      if (s == r.slot) return false;
    return true;
  }
  void attached(const PoolRequest& r, ConnectionId conn) override {
    log.push_back("attach " + std::to_string(r.slot) + " " + std::to_string(conn.value()));
  }
  void overflowed(const PoolRequest& r) override { log.push_back("overflow " + std::to_string(r.slot)); }
};

PoolRequest req(std::uint32_t slot) { return {slot, 0, 1}; }

TEST(ConnPool, Http1QueuesOpensOneConnectionPerWaiterAndReusesIdleConnections) {
  Owner owner;
  CircuitBreakerThresholds limits;
  ConnPool pool(limits, 2, 2, owner);
  const HostPoolId p = pool.index(1, 1);
  EXPECT_EQ(p, HostPoolId{3});
  EXPECT_EQ(pool.host_of(p), 1u);
  EXPECT_EQ(pool.acquire(p, req(7), false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  EXPECT_EQ(pool.acquire(p, req(8), false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  EXPECT_EQ(owner.opened, (std::vector<HostPoolId>{p, p}));
  EXPECT_EQ(pool.counters().pending_requests, 2u);
  EXPECT_EQ(pool.counters().connections, 2u);
  pool.connected(p, engine::SimTime{} + kSecond);  // FIFO: the first waiter gets the first connection
  pool.connected(p, engine::SimTime{} + kSecond);
  EXPECT_EQ(owner.log, (std::vector<std::string>{"attach 7 0", "attach 8 1"}));
  EXPECT_EQ(pool.counters().active_requests, 2u);
  EXPECT_EQ(pool.counters().pending_requests, 0u);
  pool.release(p, ConnectionId{0}, false, engine::SimTime{} + 2 * kSecond);  // kept idle
  const auto again = pool.acquire(p, req(9), false, engine::SimTime{} + 2 * kSecond);
  EXPECT_EQ(again.kind, ConnPool::Acquired::Attached);
  EXPECT_EQ(again.conn, ConnectionId{0});
  EXPECT_EQ(owner.opened.size(), 2u);  // no new connection
}

TEST(ConnPool, MaxPendingOverflowsAndAPoolWithoutConnectionsStillOpensOne) {
  Owner owner;
  CircuitBreakerThresholds limits;
  limits.max_connections = 1;
  limits.max_pending_requests = 1;
  ConnPool pool(limits, 2, 1, owner);
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(1), false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  // The second pool has no connection: it opens one past max_connections (E-CBDOC), but the
  // cluster-wide pending limit is reached.
  EXPECT_EQ(pool.acquire(HostPoolId{1}, req(2), false, engine::SimTime{}).kind, ConnPool::Acquired::Overflow);
  pool.connected(HostPoolId{0}, engine::SimTime::from_ns(1));
  EXPECT_EQ(pool.acquire(HostPoolId{1}, req(3), false, engine::SimTime::from_ns(1)).kind, ConnPool::Acquired::Queued);
  EXPECT_EQ(owner.opened, (std::vector<HostPoolId>{HostPoolId{0}, HostPoolId{1}}));
  EXPECT_EQ(pool.counters().connections, 2u);
}

TEST(ConnPool, MaxRequestsRefusesAtAttachAndKeepsTheConnectionReady) {
  Owner owner;
  CircuitBreakerThresholds limits;
  limits.max_requests = 1;
  ConnPool pool(limits, 1, 1, owner);
  pool.acquire(HostPoolId{0}, req(1), false, engine::SimTime{});
  pool.acquire(HostPoolId{0}, req(2), false, engine::SimTime{});
  pool.connected(HostPoolId{0}, engine::SimTime::from_ns(5));
  pool.connected(HostPoolId{0}, engine::SimTime::from_ns(5));  // the second waiter meets max_requests: overflow, connection idles
  EXPECT_EQ(owner.log, (std::vector<std::string>{"attach 1 0", "overflow 2"}));
  pool.release(HostPoolId{0}, ConnectionId{0}, false, engine::SimTime::from_ns(6));
  EXPECT_EQ(pool.pool(HostPoolId{0}).idle, 2u);
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(3), false, engine::SimTime::from_ns(7)).kind, ConnPool::Acquired::Attached);
}

TEST(ConnPool, IdleTimeoutAndMaxRequestsPerConnectionClose) {
  Owner owner;
  CircuitBreakerThresholds limits;
  limits.idle_timeout = kSecond;
  limits.max_requests_per_connection = 2;
  ConnPool pool(limits, 1, 1, owner);
  pool.acquire(HostPoolId{0}, req(1), false, engine::SimTime{});
  pool.connected(HostPoolId{0}, engine::SimTime{});
  pool.release(HostPoolId{0}, ConnectionId{0}, false, engine::SimTime{});
  // Idle for a whole timeout: closed when next looked at, and a new one is opened.
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(2), false, engine::SimTime{} + kSecond).kind, ConnPool::Acquired::Queued);
  EXPECT_EQ(pool.pool(HostPoolId{0}).open, 0u);
  pool.connected(HostPoolId{0}, engine::SimTime{} + kSecond);
  pool.release(HostPoolId{0}, ConnectionId{0}, false, engine::SimTime{} + kSecond);
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(3), false, engine::SimTime{} + kSecond).kind, ConnPool::Acquired::Attached);
  pool.release(HostPoolId{0}, ConnectionId{0}, false, engine::SimTime{} + kSecond);  // its second request: maxRequestsPerConnection closes it
  EXPECT_EQ(pool.pool(HostPoolId{0}).open, 0u);
  EXPECT_EQ(pool.counters().connections, 0u);
}

TEST(ConnPool, GivenUpWaitersAreSkippedAndConnectFailureFailsTheRest) {
  Owner owner;
  CircuitBreakerThresholds limits;
  ConnPool pool(limits, 1, 1, owner);
  pool.acquire(HostPoolId{0}, req(1), false, engine::SimTime{});
  pool.acquire(HostPoolId{0}, req(2), false, engine::SimTime{});
  pool.acquire(HostPoolId{0}, req(3), false, engine::SimTime{});
  owner.gave_up.push_back(2);
  pool.cancel_pending();
  std::vector<PoolRequest> failed;
  pool.connect_failed(HostPoolId{0}, failed);
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].slot, 1u);
  EXPECT_EQ(failed[1].slot, 3u);
  EXPECT_EQ(pool.counters().pending_requests, 0u);
  EXPECT_EQ(pool.counters().connections, 2u);  // the other two connects are still on the way
}

// The waiting requests of all of a cluster's pools share one store of list nodes: each pool's
// own queue stays first come, first served (§9.2) when their entries interleave in it and when
// freed entries are taken again.
TEST(ConnPool, InterleavedQueuesOfTwoPoolsEachServeInArrivalOrder) {
  Owner owner;
  CircuitBreakerThresholds limits;
  ConnPool pool(limits, 2, 1, owner);
  const HostPoolId a{0}, b{1};
  for (auto [p, slot] : {std::pair{a, 1u}, {a, 2u}, {b, 3u}, {a, 4u}, {b, 5u}})
    ASSERT_EQ(pool.acquire(p, req(slot), false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  pool.connected(b, engine::SimTime{} + kSecond);
  for (int i = 0; i < 3; ++i) pool.connected(a, engine::SimTime{} + kSecond);
  EXPECT_EQ(owner.log, (std::vector<std::string>{"attach 3 0", "attach 1 0", "attach 2 1", "attach 4 2"}));
  EXPECT_EQ(pool.pool(b).pending_size(), 1u);
  // New waiters of `a` take the freed entries; `b`'s older one still goes first on `b`.
  ASSERT_EQ(pool.acquire(a, req(6), false, engine::SimTime{} + kSecond).kind, ConnPool::Acquired::Queued);
  ASSERT_EQ(pool.acquire(b, req(7), false, engine::SimTime{} + kSecond).kind, ConnPool::Acquired::Queued);
  pool.connected(b, engine::SimTime{} + 2 * kSecond);
  pool.connected(a, engine::SimTime{} + 2 * kSecond);
  pool.connected(b, engine::SimTime{} + 2 * kSecond);
  EXPECT_EQ(owner.log, (std::vector<std::string>{"attach 3 0", "attach 1 0", "attach 2 1", "attach 4 2",
                                                 "attach 5 1", "attach 6 3", "attach 7 2"}));
  EXPECT_EQ(pool.counters().pending_requests, 0u);
  EXPECT_EQ(pool.pool(a).pending_size(), 0u);
  EXPECT_EQ(pool.pool(b).pending_size(), 0u);
}

TEST(ConnPool, Http2MultiplexesOnOneConnectionUpToMaxConcurrentStreams) {
  Owner owner;
  CircuitBreakerThresholds limits;
  limits.http2 = true;
  limits.max_concurrent_streams = 2;
  ConnPool pool(limits, 1, 1, owner);
  for (std::uint32_t s = 1; s <= 3; ++s) pool.acquire(HostPoolId{0}, req(s), false, engine::SimTime{});
  EXPECT_EQ(owner.opened.size(), 1u);  // one multiplexed connection per pool
  pool.connected(HostPoolId{0}, engine::SimTime{});
  EXPECT_EQ(owner.log, (std::vector<std::string>{"attach 1 0", "attach 2 0"}));
  pool.release(HostPoolId{0}, ConnectionId{0}, false, engine::SimTime::from_ns(1));  // a freed stream lets the next one in
  EXPECT_EQ(owner.log.back(), "attach 3 0");
  EXPECT_EQ(pool.pool(HostPoolId{0}).active_streams, 2u);
}

TEST(ConnPool, TcpProxyNeverWaitsPastMaxConnections) {
  Owner owner;
  CircuitBreakerThresholds limits;
  limits.max_connections = 1;
  ConnPool pool(limits, 1, 1, owner);
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(1), true, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(2), true, engine::SimTime{}).kind, ConnPool::Acquired::Overflow);
  pool.connected(HostPoolId{0}, engine::SimTime{});
  pool.release(HostPoolId{0}, ConnectionId{0}, true, engine::SimTime::from_ns(1));  // the downstream connection closed: so does the upstream one
  EXPECT_EQ(pool.counters().connections, 0u);
  EXPECT_EQ(pool.acquire(HostPoolId{0}, req(3), true, engine::SimTime::from_ns(1)).kind, ConnPool::Acquired::Queued);
}

TEST(ConnPool, AddHostGrowsByOnePoolPerWorker) {
  Owner owner;
  ConnPool pool(CircuitBreakerThresholds{}, 0, 3, owner);
  EXPECT_EQ(pool.add_host(), 0u);
  EXPECT_EQ(pool.add_host(), 1u);
  EXPECT_EQ(pool.index(1, 2), HostPoolId{5});
  EXPECT_EQ(pool.acquire(HostPoolId{5}, req(1), false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
}

}  // namespace
}  // namespace meshtwin::proxy

namespace meshtwin::proxy {
namespace {

// Issue 11 §2 (`per: connection` failure patterns): a connection's serial names it for the run.
// A closed connection's slot (ConnectionId) is reused by the next one, its serial never; the
// owner hears of every close; pools sharing a serial source never repeat a serial.
struct ClosingOwner final : ConnPool::Callbacks {
  std::vector<std::uint64_t> closed_serials;
  void open_connection(HostPoolId) override {}
  bool claim(const PoolRequest&) override { return true; }
  void attached(const PoolRequest&, ConnectionId) override {}
  void overflowed(const PoolRequest&) override {}
  void closed(std::uint64_t serial) override { closed_serials.push_back(serial); }
};

TEST(ConnPool, SerialsAreStableAcrossSlotReuseAndSharedBetweenPools) {
  ClosingOwner owner;
  CircuitBreakerThresholds limits;
  limits.max_requests_per_connection = 2;
  std::uint64_t serials = 1;
  ConnPool a(limits, 1, 1, owner, &serials), b(limits, 1, 1, owner, &serials);
  std::vector<std::uint64_t> seen;
  for (int i = 0; i < 3; ++i) {
    // Two requests per connection: the second release closes it (maxRequestsPerConnection).
    ASSERT_EQ(a.acquire(HostPoolId{0}, {1, 0, 1}, false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
    a.connected(HostPoolId{0}, engine::SimTime{});
    const ConnectionId conn{0};  // the one slot, reused each time
    seen.push_back(a.serial(HostPoolId{0}, conn));
    a.release(HostPoolId{0}, conn, false, engine::SimTime{});
    const auto again = a.acquire(HostPoolId{0}, {2, 0, 1}, false, engine::SimTime{});
    ASSERT_EQ(again.kind, ConnPool::Acquired::Attached);
    EXPECT_EQ(a.serial(HostPoolId{0}, again.conn), seen.back());  // the same connection
    a.release(HostPoolId{0}, again.conn, false, engine::SimTime{});
  }
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(owner.closed_serials, seen);
  ASSERT_EQ(b.acquire(HostPoolId{0}, {3, 0, 1}, false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  b.connected(HostPoolId{0}, engine::SimTime{});
  EXPECT_EQ(b.serial(HostPoolId{0}, ConnectionId{0}), 4u);  // the shared source goes on
  b.release(HostPoolId{0}, ConnectionId{0}, true, engine::SimTime{});       // a reset closes it
  EXPECT_EQ(owner.closed_serials.back(), 4u);
  // Without a shared source a pool counts on its own.
  ClosingOwner other;
  ConnPool c(limits, 1, 1, other);
  ASSERT_EQ(c.acquire(HostPoolId{0}, {4, 0, 1}, false, engine::SimTime{}).kind, ConnPool::Acquired::Queued);
  c.connected(HostPoolId{0}, engine::SimTime{});
  EXPECT_EQ(c.serial(HostPoolId{0}, ConnectionId{0}), 1u);
}

}  // namespace
}  // namespace meshtwin::proxy
