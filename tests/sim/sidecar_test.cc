// proxy's listener side alone (docs/semantics.md §2–§3, §6, §9.1, §12–§14) over a hand-built
// config: listener → filter chain → HCM route or tcp_proxy, local replies, the fault filter,
// header mutations and the inbound breaker — no mesh.
#include "model/proxy/sidecar.h"

#include <gtest/gtest.h>

#include "model/telemetry/response_flags.h"

namespace meshtwin::proxy {
namespace {

namespace flag = telemetry;
using Kind = RouteDecision::Kind;

xds::Cluster cluster(const std::string& name) {
  xds::Cluster c;
  c.name = name;
  return c;
}

xds::WeightedCluster weighted(const std::string& name, std::uint32_t weight) {
  xds::WeightedCluster wc;
  wc.name = name;
  wc.weight = weight;
  return wc;
}

// A sidecar with an HTTP table for port 9080 (reviews: one route split v1/v2, one redirect, one
// to a cluster that does not exist) and a tcp_proxy listener for mysql:3306.
xds::ProxyConfig config() {
  xds::ProxyConfig c;
  c.clusters = {cluster("v1"), cluster("v2"), cluster("mysql")};
  xds::RouteConfiguration rc;
  rc.name = "9080";
  xds::VirtualHost vh;
  vh.name = "reviews:9080";
  vh.domains = {"reviews"};
  xds::Route split;
  split.name = "split";
  split.vs_rule = "default/reviews#http[1]";
  split.match.path_kind = xds::RouteMatch::PathKind::Prefix;
  split.match.path = "/reviews";
  split.clusters = {weighted("v1", 80), weighted("v2", 20)};
  xds::Route redirect;
  redirect.match.path_kind = xds::RouteMatch::PathKind::Prefix;
  redirect.match.path = "/old";
  redirect.action = xds::Route::Action::Redirect;
  redirect.local_status = 301;
  xds::Route missing;
  missing.match.path_kind = xds::RouteMatch::PathKind::Prefix;
  missing.match.path = "/";
  missing.clusters = {weighted("nowhere", 100)};
  vh.routes = {split, redirect, missing};
  rc.virtual_hosts = {vh};
  c.route_configs = {rc};
  xds::Listener mysql;
  mysql.name = "10.96.0.9_3306";
  mysql.address = "10.96.0.9";
  mysql.port = 3306;
  xds::FilterChain tcp;
  tcp.kind = xds::FilterChain::Kind::Tcp;
  tcp.tcp.clusters = {weighted("mysql", 100)};
  tcp.tcp.vs_rule = "-";
  mysql.filter_chains = {tcp};
  c.listeners = {mysql};
  c.finalize();
  return c;
}

Downstream http(std::string_view authority, std::string_view path, const HeaderSet& headers) {
  Downstream d;
  d.port = 9080;
  d.authority = authority;
  d.path = path;
  d.method = "GET";
  d.headers = &headers;
  return d;
}

TEST(Sidecar, HttpRouteThenWeightedClusterOneRandomValuePerStream) {
  const xds::ProxyConfig c = config();
  const HeaderSet none;
  engine::RngStream rng(7, "sidecar-test"), same(7, "sidecar-test");
  const RouteDecision d = route_outbound(c, http("reviews", "/reviews/1", none), rng);
  ASSERT_EQ(d.kind, Kind::Http);
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->name, "split");
  EXPECT_EQ(d.vs_rule, "default/reviews#http[1]");
  EXPECT_EQ(d.random, same.next_u64());
  EXPECT_EQ(d.cluster_name, d.weighted_pick == 0 ? "v1" : "v2");
  EXPECT_EQ(d.cluster, static_cast<std::int32_t>(d.weighted_pick));
}

TEST(Sidecar, LocalRepliesForNoVirtualHostRedirectAndMissingCluster) {
  const xds::ProxyConfig c = config();
  const HeaderSet none;
  engine::RngStream rng(7, "sidecar-test");
  const RouteDecision no_host = route_outbound(c, http("ratings", "/", none), rng);
  EXPECT_EQ(no_host.kind, Kind::LocalReply);
  EXPECT_EQ(no_host.status, 404);
  EXPECT_EQ(no_host.flags, flag::kNoRouteFound);
  EXPECT_EQ(no_host.route, nullptr);
  const RouteDecision moved = route_outbound(c, http("reviews", "/old/x", none), rng);
  EXPECT_EQ(moved.kind, Kind::LocalReply);
  EXPECT_EQ(moved.status, 301);
  EXPECT_EQ(moved.flags, 0u);
  EXPECT_NE(moved.route, nullptr);
  const RouteDecision nc = route_outbound(c, http("reviews", "/other", none), rng);
  EXPECT_EQ(nc.kind, Kind::LocalReply);
  EXPECT_EQ(nc.status, 503);
  EXPECT_EQ(nc.flags, flag::kNoClusterFound);
  EXPECT_TRUE(nc.picked);
  EXPECT_EQ(nc.cluster_name, "nowhere");
}

TEST(Sidecar, ConnectionsGoThroughListenerAndFilterChain) {
  const xds::ProxyConfig c = config();
  engine::RngStream rng(7, "sidecar-test");
  Downstream tcp;
  tcp.transport = Downstream::Transport::Tcp;
  tcp.address = "10.96.0.9";
  tcp.port = 3306;
  const RouteDecision d = route_outbound(c, tcp, rng);
  EXPECT_EQ(d.kind, Kind::Tcp);
  EXPECT_EQ(d.cluster_name, "mysql");
  EXPECT_EQ(d.cluster, 2);
  EXPECT_EQ(d.route, nullptr);
  tcp.port = 3307;  // nothing listens there (no virtualOutbound in this config)
  const RouteDecision none = route_outbound(c, tcp, rng);
  EXPECT_EQ(none.kind, Kind::LocalReply);
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.flags, flag::kNoRouteFound);
}

TEST(Sidecar, FaultFilterRollsDelayAndAbort) {
  xds::Route r;
  engine::RngStream rng(1, "fault");
  EXPECT_FALSE(roll_fault_delay(r, rng));
  EXPECT_FALSE(roll_fault_abort(r, rng));
  xds::FaultPolicy f;
  f.delay = xds::FaultPolicy::Delay{engine::kSecond, 1'000'000};
  f.abort = xds::FaultPolicy::Abort{0, 14, 1'000'000};  // a gRPC abort answers HTTP 200
  r.fault = f;
  EXPECT_TRUE(roll_fault_delay(r, rng));
  EXPECT_EQ(roll_fault_abort(r, rng), 200);
  r.fault->abort = xds::FaultPolicy::Abort{418, -1, 1'000'000};
  EXPECT_EQ(roll_fault_abort(r, rng), 418);
}

TEST(Sidecar, HeaderOpsRemoveThenSetThenAdd) {
  HeaderSet h;
  h.add("x-a", "1");
  h.add("x-b", "2");
  xds::HeaderOps ops;
  ops.remove = {"x-a"};
  ops.set = {{"x-b", "3"}, {"x-c", "4"}};
  ops.add = {{"x-b", "5"}};
  apply_header_ops(h, ops);
  ASSERT_EQ(h.count, 3);
  EXPECT_FALSE(h.get("x-a"));
  EXPECT_EQ(h.get("x-b"), "3");  // get() finds the first
  EXPECT_EQ(h.items[2].value, "5");
  EXPECT_EQ(h.get("x-c"), "4");
}

TEST(Sidecar, InboundGateHoldsWaitsAndOverflows) {
  xds::ProxyConfig own;
  xds::Cluster svc = cluster("outbound|9080||reviews.default.svc.cluster.local");
  config::ConnectionPoolSettings pool;
  pool.tcp.emplace().max_connections = 1;
  pool.http.emplace().http1_max_pending_requests = 1;
  svc.connection_pool = pool;
  own.clusters = {svc};
  own.finalize();
  xds::Cluster via;
  via.port = 9080;
  via.service_hostname = "reviews.default.svc.cluster.local";
  InboundGate unlimited;
  unlimited.resolve(own, nullptr);
  EXPECT_EQ(unlimited.admit(1), InboundGate::Admit::Pass);
  InboundGate gate;
  gate.resolve(own, &via);
  EXPECT_TRUE(gate.resolved());
  EXPECT_EQ(gate.admit(1), InboundGate::Admit::Enter);
  EXPECT_EQ(gate.admit(2), InboundGate::Admit::Wait);
  EXPECT_EQ(gate.admit(3), InboundGate::Admit::Overflow);
  gate.leave();
  EXPECT_EQ(gate.next_waiting(), 2u);
  gate.enter();
  EXPECT_EQ(gate.next_waiting(), InboundGate::kNone);
  EXPECT_EQ(gate.admit(4), InboundGate::Admit::Wait);
}

}  // namespace
}  // namespace meshtwin::proxy
