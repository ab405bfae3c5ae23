// An attempt's way upstream: its host's connection pool (proxy::ConnPool) and the pool's
// callbacks, connection set-up over the network, outlier detection, and the request leaving
// for the server pod.

#include <utility>
#include <vector>

#include "model/scenario/mesh_impl.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin::scenario {

namespace flag = telemetry;

// ---------------------------------------------------------------- connection pools (§9)

// The attempt asks its host's pool for a connection (proxy::ConnPool::acquire): it starts at
// once, waits in the queue, or overflows.
void MeshImpl::acquire_upstream(StreamId slot) {
  Stream& s = streams_[slot];
  ClusterRt& c = *s.crt;
  s.pool = c.pools.index(static_cast<std::uint32_t>(s.host), s.worker);
  const bool tcp_proxy = s.target->is_connection() && !c.limits().http2;
  const auto result = c.pools.acquire(
      s.pool, {slot.value(), s.gen, static_cast<std::uint32_t>(s.router.attempt())}, tcp_proxy, sim_.now());
  // For the target's next stream (prefetch_route): this host's pools and the connection taken.
  const Target& t = *s.target;
  t.last_pools = reinterpret_cast<std::uintptr_t>(&c.pools.pool(c.pools.index(static_cast<std::uint32_t>(s.host), 0)));
  t.last_connection = result.kind == proxy::ConnPool::Acquired::Attached
                          ? reinterpret_cast<std::uintptr_t>(&c.pools.pool(s.pool).conns[result.conn.value()])
                          : 0;
  switch (result.kind) {
    case proxy::ConnPool::Acquired::Attached:
      MESH_DLOG(PoolReuse, s.request_id, s.depth, LogField::t("pod", pods_[s.dest_pod].name));
      pool_attached(c, slot, result.conn);
      return;
    case proxy::ConnPool::Acquired::Overflow:
      overflow(slot);
      return;
    case proxy::ConnPool::Acquired::Queued:
      s.pending = true;
      MESH_DLOG(PoolWait, s.request_id, s.depth, LogField::t("pod", pods_[s.dest_pod].name),
                LogField::i("pending", static_cast<std::int64_t>(c.counters().pending_requests)));
      return;
  }
}

void ClusterRt::open_connection(proxy::HostPoolId pool) { mesh->open_connection(*this, pool); }
bool ClusterRt::claim(const proxy::PoolRequest& request) { return mesh->claim_pending(request); }
void ClusterRt::attached(const proxy::PoolRequest& request, proxy::ConnectionId conn) {
  mesh->pool_attached(*this, StreamId{request.slot}, conn);
}
void ClusterRt::overflowed(const proxy::PoolRequest& request) { mesh->pool_overflowed(StreamId{request.slot}); }
void ClusterRt::closed(std::uint64_t serial) { mesh->connection_closed(serial); }

// TCP (and mTLS) setup: one round trip to the host. An address nobody answers any more (a
// crashed pod whose removal has not reached this proxy) costs the whole connect timeout (DR
// connectionPool.tcp.connectTimeout, mesh default 10 s) before Envoy gives up (§4.3).
void MeshImpl::open_connection(ClusterRt& c, proxy::HostPoolId pool) {
  ProxyRt& p = proxies_[c.proxy];
  const ConnectOpId op = connect_ops_.acquire();
  ConnectOp& o = connect_ops_[op];
  o.cluster = &c;
  o.pool = pool;
  PodRt& from = pods_[p.pod];
  PodRt& to = pods_[c.hosts.pod(c.pools.host_of(pool))];
  // Connection setup (the mTLS handshake) takes the caller proxy's worker first (§19.2).
  const SimDuration setup = proxy_work(p, p.cpu_costs.connect);
  const SimDuration delay =
      setup + (to.alive ? network_leg(from, &to) + network_leg(from, &to) : c.limits().connect_timeout);
  sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_connected>, this,
                   pack(op, o.gen));
}

void MeshImpl::on_connected(std::uint64_t arg) {
  const ConnectOpId op{slot_of(arg)};
  ConnectOp& o = connect_ops_[op];
  if (o.gen != gen_of(arg)) return;
  ClusterRt& c = *o.cluster;
  const proxy::HostPoolId pool = o.pool;
  connect_ops_.release(op);
  if (pods_[c.hosts.pod(c.pools.host_of(pool))].alive) {
    c.pools.connected(pool, sim_.now());
    return;
  }
  // Nobody answers at the address any more: the connect timed out and Envoy fails the
  // requests waiting for it (UF, retriable by connect-failure) (§4.3, §9.2).
  std::vector<proxy::PoolRequest> failed;
  failed.swap(failed_connects_);
  failed.clear();
  c.pools.connect_failed(pool, failed);
  proxy::AttemptResult result;
  result.outcome.kind = proxy::AttemptOutcome::Kind::ConnectFailure;
  result.code = 503;
  result.flags = flag::kUpstreamConnectionFailure;
  for (const proxy::PoolRequest& r : failed) {
    const Stream& s = streams_[StreamId{r.slot}];
    MESH_DLOG(ConnectFailure, s.request_id, s.depth, LogField::t("pod", pods_[c.hosts.pod(c.pools.host_of(pool))].name));
    decide_after_attempt(StreamId{r.slot}, result);
  }
  failed_connects_.swap(failed);
}

// A queued entry is live while its stream is on the same attempt and still waiting.
bool MeshImpl::claim_pending(const proxy::PoolRequest& request) {
  Stream& s = streams_[StreamId{request.slot}];
  if (s.gen != request.gen || !s.pending || static_cast<std::uint32_t>(s.router.attempt()) != request.attempt)
    return false;
  s.pending = false;
  return true;
}

// The attempt holds a connection (the pool counted it): it leaves for the server.
void MeshImpl::pool_attached(ClusterRt& c, StreamId slot, proxy::ConnectionId conn) {
  Stream& s = streams_[slot];
  if (c.overflowing) {
    c.overflowing = false;
    sink_->on_event({sim_.now(), "overflow_ended", std::string(proxies_[s.proxy].name), std::string(c.name)});
  }
  MESH_DLOG_IF(s.attempt_start < sim_.now(), PoolReady, s.request_id, s.depth,  // it waited in the pool
               LogField::t("pod", pods_[s.dest_pod].name), LogField::d("waited", sim_.now() - s.attempt_start));
  ++c.hosts.active(static_cast<std::uint32_t>(s.host));  // rq_active: requests attached to a connection (§8.2)
  if (c.outlier) c.outlier->on_connect_success(static_cast<std::uint32_t>(s.host));
  s.conn = conn;
  send_to_server(slot);
}

// A local 503 UO: never retried (§5.2, §9.3).
void MeshImpl::overflow(StreamId slot) {
  Stream& s = streams_[slot];
  ProxyRt& p = proxies_[s.proxy];
  ClusterRt& c = *s.crt;
  if (!c.overflowing) {
    c.overflowing = true;
    sink_->on_event({sim_.now(), "overflow_began", std::string(p.name), std::string(c.name)});
  }
  MESH_DLOG(PoolOverflow, s.request_id, s.depth,
            LogField::t("limit", s.target->is_connection() && !c.limits().http2                ? "maxConnections"
                                 : c.counters().active_requests >= c.limits().max_requests ? "http2MaxRequests"
                                                                                            : "http1MaxPendingRequests"),
            LogField::t("cluster", c.name));
  s.attempt_in_flight = false;
  s.per_try_timer.cancel();
  local_reply(slot, 503, flag::kUpstreamOverflow);
}

// Ends the attempt's use of its pool: a dispatched request frees its connection (an HTTP/1.1
// connection whose stream was reset is closed), a queued one leaves the queue.
void MeshImpl::release_upstream(StreamId slot, bool reset) {
  Stream& s = streams_[slot];
  if (!s.proxy.valid() || !s.pool.valid()) return;
  ClusterRt& c = *s.crt;
  const proxy::HostPoolId pool = s.pool;
  s.pool = proxy::HostPoolId::none();
  if (s.pending) {
    s.pending = false;  // its queue entry is skipped when reached
    c.pools.cancel_pending();
    return;
  }
  if (!s.conn.valid()) return;
  --c.hosts.active(static_cast<std::uint32_t>(s.host));
  const proxy::ConnectionId conn = s.conn;
  s.conn = proxy::ConnectionId::none();
  // A tcp_proxy connection ends with its downstream connection.
  c.pools.release(pool, conn, reset || s.target->is_connection(), sim_.now());
}

// Feeds the caller's outlier detector for the attempt's host (§10.2) and, when that ejects
// the host, takes it out of the load balancer's healthy set at once (§10.3).
void MeshImpl::report_outlier(Stream& s, int status, bool local_origin, bool timeout) {
  if (!s.proxy.valid() || !s.crt || s.host == proxy::kNoHost) return;
  ProxyRt& p = proxies_[s.proxy];
  ClusterRt* c = s.crt;
  // Hosts of an ORIGINAL_DST cluster come and go on demand; no detector watches them.
  if (!c || !c->outlier || c->original_dst) return;
  const auto host = static_cast<std::uint32_t>(s.host);
  const bool ejected =
      local_origin
          ? c->outlier->on_local_origin_failure(
                host,
                timeout ? proxy::OutlierDetector::LocalOriginFailure::Timeout
                        : proxy::OutlierDetector::LocalOriginFailure::ConnectFailed,
                sim_.now())
          : c->outlier->on_response(host, status, sim_.now());
  if (!ejected) return;
  MESH_DLOG(OutlierEject, s.request_id, s.depth, LogField::t("pod", pods_[c->hosts.pod(host)].name),
            LogField::t("cluster", c->name));
  c->lb.set_ejected(host, true);
  sink_->on_event({sim_.now(), "host_ejected", std::string(pods_[c->hosts.pod(host)].name),
                   std::string(p.name) + " " + std::string(c->name)});
}

// The detector's interval timer (§10.4): returns hosts whose ejection time is over, decays
// multipliers, and re-arms while the run goes on.
void MeshImpl::on_outlier_tick(std::uint64_t index) {
  ClusterRt& c = *outlier_clusters_[index];
  c.outlier->on_interval(sim_.now(), returned_hosts_);
  for (std::uint32_t host : returned_hosts_) {
    c.lb.set_ejected(host, false);
    sink_->on_event({sim_.now(), "host_returned", std::string(pods_[c.hosts.pod(host)].name),
                     std::string(proxies_[c.proxy].name) + " " + std::string(c.name)});
  }
  if (pending_arrivals_ == 0 && client_in_flight_ == 0) return;  // the run is draining out
  sim_.schedule_in(c.outlier->interval(),
                   &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_outlier_tick>, this, index);
}

void MeshImpl::release_retry(Stream& s) {
  s.router.release_retry(s.crt ? &s.crt->counters() : nullptr);
}

// The request leaves the caller's sidecar for the server pod (pool ready: the per-try timer
// starts here, §4.2).
void MeshImpl::send_to_server(StreamId slot) {
  Stream& s = streams_[slot];
  const PodId dest = s.dest_pod;
  if (const SimDuration per_try = s.router.per_try_timeout(s.route); per_try > SimDuration{})
    s.per_try_timer.arm_in(per_try, slot.value());
  const ServerReqId req = server_reqs_.acquire();
  ServerReq& r = server_reqs_[req];
  r.pod = dest;
  r.stream = slot;
  r.stream_gen = s.gen;
  r.request_id = s.request_id;
  r.span_id = s.span_id;
  r.depth = static_cast<std::uint16_t>(s.depth + 1);
  r.sampled = s.sampled;
  r.headers = s.headers;
  r.step = 0;
  r.outstanding = 0;
  r.call_failed = false;
  r.failure_status = 0;
  r.degraded = 0;
  r.response_code = 0;
  r.holds_worker = false;
  r.reply = ServerReq::Reply::Response;
  r.grpc_status = -1;
  r.upstream_flags = 0;
  r.failure = nullptr;
  r.handling = app::Handling{};
  r.hung = false;
  r.finished = false;
  r.inbound_counted = false;
  r.via = s.crt ? s.crt->cluster : nullptr;
  r.target = s.target;
  r.connection = s.crt && s.pool.valid() && s.conn.valid() ? s.crt->pools.serial(s.pool, s.conn) : 0;
  r.location = {};
  // The pod port it arrives on: the endpoint's (a Service's targetPort), or for ORIGINAL_DST
  // the port the app dialled.
  r.port = s.host != proxy::kNoHost && s.crt && !s.crt->original_dst
               ? s.crt->endpoint_port(static_cast<std::uint32_t>(s.host))
               : s.target->port;
  s.server_req = req;
  s.server_gen = r.gen;
  const PodRt& to = pods_[dest];
  prefetch_server_draws(to);
  if (s.target) s.target->last_pod = reinterpret_cast<std::uintptr_t>(&to);  // for prefetch_route
  if (interest_.spans || interest_.hops) prefetch_record_labels(pods_[s.src_pod], to, s.target);
  sim_.schedule_in(network_leg(pods_[s.src_pod], &pods_[dest]),
                   &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_server_arrival>, this,
                   pack(req, r.gen));
}

}  // namespace meshtwin::scenario
