#pragma once

// Envoy's upstream connection pools of one cluster in one proxy (docs/semantics.md §9): one
// pool per (host, worker), HTTP/1.1 (one request per connection, idle connections reused) or
// HTTP/2 (one connection multiplexing streams), the cluster's circuit-breaker limits, the
// pending queue and its overflow, idle timeout and maxRequestsPerConnection. Knows nothing of
// streams, pods or the simulator: requests are opaque PoolRequests, opening a connection and
// what a queued request gets are the owner's business (Callbacks), as in Envoy's
// ConnectionPool::Instance / Callbacks. No allocation per request in steady state.

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/strong_index.h"
#include "engine/time.h"
#include "model/proxy/circuit_breaker.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

// A connection of one host pool (distinct from pool, host and request numbers).
using ConnectionId = engine::StrongIndex<struct ConnectionTag>;
// One (host, worker) pool of a ConnPool (ConnPool::index); not a host (endpoint) index.
using HostPoolId = engine::StrongIndex<struct HostPoolTag>;

// Who waits in a pool: opaque to the pool (the owner's request slot, generation and attempt).
struct PoolRequest {
  std::uint32_t slot = 0, gen = 0, attempt = 0;
};

// One upstream connection of a pool. HTTP/1.1 carries one request at a time; HTTP/2 pools
// have at most one connection that multiplexes streams (§9.2).
struct Connection {
  std::uint64_t serial = 0;    // unique among the connections of the pool's serial source
  SimTime idle_since{};
  std::uint32_t requests = 0;  // served so far (maxRequestsPerConnection)
  // The next connection of the pool's idle stack (while idle) or free stack (while closed).
  ConnectionId next;
  bool open = false;
};

// Envoy's connection pool for one (worker, host) of a cluster in one proxy (§9.2). One cache
// line: a hop reads it, then the connection it takes (the idle and free lists are stacks
// threaded through the connections, the rarely used queue is allocated on first use).
struct alignas(64) HostPool {
  std::vector<Connection> conns;  // by ConnectionId
  ConnectionId idle_head;         // HTTP/1.1 ready connections without a request, LIFO
  ConnectionId free_head;         // closed connection slots to reuse, LIFO
  std::uint32_t idle = 0;         // connections on the idle stack
  std::uint32_t open = 0;
  std::uint32_t connecting = 0;
  std::uint32_t active_streams = 0;  // HTTP/2
  // Requests waiting for a connection, FIFO: a list threaded through the ConnPool's pending
  // nodes (ConnPool::PendingNode), kNoPending when empty. A std::deque per pool took ~600 bytes
  // on a pool's first wait (its map and a 512-byte block): at 1,000 services, where nearly every
  // pool waits once for its first connection, that was almost half the memory a run first
  // touches (docs/performance.md, "Sitting of 2026-12-05").
  static constexpr std::uint32_t kNoPending = ~std::uint32_t{0};
  std::uint32_t pending_head = kNoPending, pending_tail = kNoPending;
  std::uint32_t pending_count = 0;
  std::size_t pending_size() const { return pending_count; }
};

class ConnPool {
 public:
  // What the pool asks of its owner. Called only when a request's fate is decided later than
  // its acquire() (a connection opened, a connection was freed) or a connection must be
  // opened: the steady-state path (an idle connection at hand) makes no call through it.
  class Callbacks {
   public:
    // Start opening a connection for pool `pool`; answer later with connected() or
    // connect_failed().
    virtual void open_connection(HostPoolId pool) = 0;
    // True when a queued request still waits (it may have given up meanwhile: a timeout, a
    // reset); it then stops waiting (the pool has taken it out of the queue).
    virtual bool claim(const PoolRequest& request) = 0;
    // A queued request got connection `conn` (already counted as active).
    virtual void attached(const PoolRequest& request, ConnectionId conn) = 0;
    // A queued request's connection came but max_requests refused it: a local 503 UO (§9.3).
    virtual void overflowed(const PoolRequest& request) = 0;
    // Connection `serial` closed (a reset, maxRequestsPerConnection, the idle timeout, a
    // tcp_proxy connection's end); its serial is never used again.
    virtual void closed(std::uint64_t serial) {}

   protected:
    ~Callbacks() = default;
  };

  // `serials`: where connection serials come from (shared by every pool of a run, so that a
  // serial names one connection of the run); nullptr: the pool's own counter.
  ConnPool(const CircuitBreakerThresholds& limits, std::uint32_t hosts, std::uint32_t workers,
           Callbacks& callbacks, std::uint64_t* serials = nullptr);

  // The pool of (host, worker): host-major.
  HostPoolId index(std::uint32_t host, std::uint32_t worker) const { return HostPoolId{host * workers_ + worker}; }
  std::uint32_t host_of(HostPoolId pool) const { return pool.value() / workers_; }
  // One more host (ORIGINAL_DST clusters make hosts on demand); returns its index.
  std::uint32_t add_host();

  enum class Acquired : std::uint8_t { Attached, Queued, Overflow };
  struct AcquireResult {
    Acquired kind = Acquired::Queued;
    ConnectionId conn;  // Attached: the connection it got
  };
  // Envoy's per-request algorithm (§9.2): a ready connection with room → the request starts
  // (unless max_requests overflows); otherwise it queues (unless max_pending overflows) and
  // the pool may open a connection. `tcp_proxy`: a downstream connection gets an upstream
  // connection of its own, refused at once (UO) at maxConnections; it never waits (§9.1).
  AcquireResult acquire(HostPoolId pool, const PoolRequest& request, bool tcp_proxy, SimTime now);
  // A queued request gave up (the owner knows it was still waiting): its queue entry is
  // skipped when reached.
  void cancel_pending() { --counters_.pending_requests; }
  // A request attached to `conn` finished. `close`: its connection ends with it (a reset on
  // HTTP/1.1, a tcp_proxy connection); otherwise maxRequestsPerConnection may close it, or it
  // goes to the next queued request, or idles.
  void release(HostPoolId pool, ConnectionId conn, bool close, SimTime now);

  // The connection opened for `pool` is up: queued requests attach in FIFO order (§9.2 step 4).
  void connected(HostPoolId pool, SimTime now);
  // Nobody answered: the connect timed out (§4.3). The requests waiting in `pool` fail (UF);
  // they are appended to `failed` for the owner to decide on.
  void connect_failed(HostPoolId pool, std::vector<PoolRequest>& failed);

  const CircuitBreakerThresholds& limits() const { return limits_; }
  // Envoy's cluster resource manager; the router holds active retries in it too.
  CircuitBreakerCounters& counters() { return counters_; }
  const CircuitBreakerCounters& counters() const { return counters_; }
  const HostPool& pool(HostPoolId index) const { return pools_[index.value()]; }
  // A stable id of connection `conn` of `pool` (1, 2, ... in the order connections opened):
  // unlike ConnectionId, whose slot a later connection reuses, never repeated.
  std::uint64_t serial(HostPoolId pool, ConnectionId conn) const {
    return pools_[pool.value()].conns[conn.value()].serial;
  }
  std::uint32_t workers() const { return workers_; }

 private:
  bool try_attach(HostPoolId pool, ConnectionId conn, SimTime now);
  void attach_or_overflow(HostPoolId pool, const PoolRequest& request, ConnectionId conn, SimTime now);
  void maybe_connect(HostPoolId pool);
  void release_connection(HostPoolId pool, ConnectionId conn, bool close, SimTime now);
  void make_idle(HostPool& pool, ConnectionId conn, SimTime now);
  bool pop_pending(HostPool& pool, PoolRequest& out);
  void push_pending(HostPool& pool, const PoolRequest& request);

  // A hop reads the first line (counters, pools, the http2 flag) and limits_'s first line.
  CircuitBreakerCounters counters_;
  std::vector<HostPool> pools_;  // hosts × workers, host-major, by HostPoolId
  // The waiting requests of all this cluster's pools (HostPool::pending_head), and the free
  // nodes' list: grows to the most requests that ever waited at once, then is reused.
  struct PendingNode {
    PoolRequest request;
    std::uint32_t next = HostPool::kNoPending;
  };
  std::vector<PendingNode> pending_nodes_;
  std::uint32_t free_pending_ = HostPool::kNoPending;
  std::uint32_t workers_;
  bool http2_;  // limits_.http2
  alignas(64) CircuitBreakerThresholds limits_;
  Callbacks* callbacks_;
  std::uint64_t* shared_serials_;  // nullptr: own_serials_ (a pointer to it would dangle on a move)
  std::uint64_t own_serials_ = 1;
};

}  // namespace meshtwin::proxy
