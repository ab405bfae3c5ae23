#include "model/proxy/conn_pool.h"

namespace meshtwin::proxy {

ConnPool::ConnPool(const CircuitBreakerThresholds& limits, std::uint32_t hosts,
                   std::uint32_t workers, Callbacks& callbacks, std::uint64_t* serials)
    : pools_(static_cast<std::size_t>(hosts) * workers), workers_(workers), http2_(limits.http2),
      limits_(limits), callbacks_(&callbacks), shared_serials_(serials) {}

std::uint32_t ConnPool::add_host() {
  pools_.resize(pools_.size() + workers_);
  return static_cast<std::uint32_t>(pools_.size() / workers_ - 1);
}

ConnPool::AcquireResult ConnPool::acquire(HostPoolId pool, const PoolRequest& request,
                                          bool tcp_proxy, SimTime now) {
  HostPool& p = pools_[pool.value()];
  if (tcp_proxy) {
    if (counters_.connections >= limits_.max_connections) return {Acquired::Overflow};
  } else if (http2_) {
    if (p.open > 0 &&
        p.active_streams < static_cast<std::uint64_t>(p.open) * limits_.max_concurrent_streams) {
      return try_attach(pool, ConnectionId{0}, now) ? AcquireResult{Acquired::Attached, ConnectionId{0}}
                                      : AcquireResult{Acquired::Overflow};
    }
  } else {
    while (p.idle > 0) {
      const ConnectionId conn = p.idle_head;
      p.idle_head = p.conns[conn.value()].next;
      --p.idle;
      if (now - p.conns[conn.value()].idle_since >= limits_.idle_timeout) {
        release_connection(pool, conn, true, now);
        continue;  // the idle timeout closed it; Envoy would not have it any more
      }
      return try_attach(pool, conn, now) ? AcquireResult{Acquired::Attached, conn}
                                         : AcquireResult{Acquired::Overflow};
    }
  }
  if (!tcp_proxy && counters_.pending_requests >= limits_.max_pending_requests)
    return {Acquired::Overflow};
  HostPool& queue = pools_[pool.value()];
  push_pending(queue, request);
  ++counters_.pending_requests;
  maybe_connect(pool);
  return {Acquired::Queued};
}

// max_requests is checked when a request would start on a connection (§9.2 step 2): refused,
// the connection stays ready for the next one.
bool ConnPool::try_attach(HostPoolId pool, ConnectionId conn, SimTime now) {
  HostPool& p = pools_[pool.value()];
  if (counters_.active_requests >= limits_.max_requests) {
    if (!http2_) make_idle(p, conn, now);
    return false;
  }
  ++counters_.active_requests;
  if (http2_) ++p.active_streams;
  return true;
}

void ConnPool::attach_or_overflow(HostPoolId pool, const PoolRequest& request,
                                  ConnectionId conn, SimTime now) {
  if (try_attach(pool, conn, now)) {
    callbacks_->attached(request, conn);
  } else {
    callbacks_->overflowed(request);
  }
}

void ConnPool::maybe_connect(HostPoolId pool) {
  HostPool& p = pools_[pool.value()];
  if (http2_) {
    if (p.open + p.connecting > 0) return;  // one multiplexed connection per pool
  } else if (p.connecting >= p.pending_size()) {
    return;  // enough connections already on the way for the queue
  }
  // A pool without any connection always opens one, even past max_connections (E-CBDOC).
  if (counters_.connections >= limits_.max_connections && p.open + p.connecting > 0) return;
  ++p.connecting;
  ++counters_.connections;
  callbacks_->open_connection(pool);
}

void ConnPool::connected(HostPoolId pool, SimTime now) {
  HostPool& p = pools_[pool.value()];
  --p.connecting;
  ConnectionId conn;
  if (p.free_head.valid()) {
    conn = p.free_head;
    p.free_head = p.conns[conn.value()].next;
    p.conns[conn.value()] = Connection{};
  } else {
    conn = ConnectionId{static_cast<std::uint32_t>(p.conns.size())};
    p.conns.emplace_back();
  }
  p.conns[conn.value()].open = true;
  p.conns[conn.value()].serial = shared_serials_ ? (*shared_serials_)++ : own_serials_++;
  ++p.open;
  // Queued requests attach in FIFO order (§9.2 step 4). The owner's callbacks may add hosts
  // (ORIGINAL_DST), so the pool is looked up again after each.
  for (PoolRequest r; pop_pending(pools_[pool.value()], r);) {
    attach_or_overflow(pool, r, conn, now);
    if (!http2_) return;  // HTTP/1.1: one request per connection
    if (pools_[pool.value()].active_streams >= limits_.max_concurrent_streams) return;
  }
  if (!http2_) make_idle(pools_[pool.value()], conn, now);
}

void ConnPool::connect_failed(HostPoolId pool, std::vector<PoolRequest>& failed) {
  HostPool& p = pools_[pool.value()];
  --p.connecting;
  --counters_.connections;
  for (PoolRequest r; pop_pending(p, r);) failed.push_back(r);
}

void ConnPool::release(HostPoolId pool, ConnectionId conn, bool close, SimTime now) {
  --counters_.active_requests;
  HostPool& p = pools_[pool.value()];
  if (http2_) {
    --p.active_streams;
    ++p.conns[conn.value()].requests;
    // A freed stream lets the next queued request in.
    PoolRequest next;
    if (p.open > 0 && p.active_streams < limits_.max_concurrent_streams && pop_pending(p, next))
      attach_or_overflow(pool, next, conn, now);
    return;
  }
  Connection& connection = p.conns[conn.value()];
  ++connection.requests;
  close = close || (limits_.max_requests_per_connection > 0 &&
                    connection.requests >= limits_.max_requests_per_connection);
  release_connection(pool, conn, close, now);
}

// An HTTP/1.1 connection finished a request: closed, handed to the next queued request, or
// kept idle.
void ConnPool::release_connection(HostPoolId pool, ConnectionId conn, bool close, SimTime now) {
  HostPool& p = pools_[pool.value()];
  if (close) {
    callbacks_->closed(p.conns[conn.value()].serial);
    p.conns[conn.value()].open = false;
    --p.open;
    --counters_.connections;
    p.conns[conn.value()].next = p.free_head;
    p.free_head = conn;
    if (p.pending_size() > 0) maybe_connect(pool);
    return;
  }
  if (PoolRequest next; pop_pending(p, next)) {
    attach_or_overflow(pool, next, conn, now);
    return;
  }
  make_idle(p, conn, now);
}

void ConnPool::make_idle(HostPool& pool, ConnectionId conn, SimTime now) {
  Connection& c = pool.conns[conn.value()];
  c.idle_since = now;
  c.next = pool.idle_head;
  pool.idle_head = conn;
  ++pool.idle;
}

// A request joins the end of its pool's queue, in a free node if there is one.
void ConnPool::push_pending(HostPool& pool, const PoolRequest& request) {
  std::uint32_t node = free_pending_;
  if (node != HostPool::kNoPending) {
    free_pending_ = pending_nodes_[node].next;
    pending_nodes_[node] = PendingNode{request};
  } else {
    node = static_cast<std::uint32_t>(pending_nodes_.size());
    pending_nodes_.push_back(PendingNode{request});
  }
  if (pool.pending_tail == HostPool::kNoPending)
    pool.pending_head = node;
  else
    pending_nodes_[pool.pending_tail].next = node;
  pool.pending_tail = node;
  ++pool.pending_count;
}

// The oldest request still waiting, taken out of the queue (entries of requests that gave up
// meanwhile are skipped); its node goes back to the free list.
bool ConnPool::pop_pending(HostPool& pool, PoolRequest& out) {
  while (pool.pending_count > 0) {
    const std::uint32_t node = pool.pending_head;
    const PoolRequest r = pending_nodes_[node].request;
    pool.pending_head = pending_nodes_[node].next;
    if (pool.pending_head == HostPool::kNoPending) pool.pending_tail = HostPool::kNoPending;
    pending_nodes_[node].next = free_pending_;
    free_pending_ = node;
    --pool.pending_count;
    if (!callbacks_->claim(r)) continue;
    --counters_.pending_requests;
    out = r;
    return true;
  }
  return false;
}

}  // namespace meshtwin::proxy
