// Istio DestinationRule (networking.istio.io): the traffic policy pieces (load balancer and
// consistent hash, locality, connection pool, outlier detection, client TLS, port-level
// settings) with Istio's validation mirrored, as in parse_istio.cc.
#include <algorithm>
#include <limits>
#include <set>

#include "model/config/parse_istio_shared.h"

namespace meshtwin::config::parse {
namespace istio {

void read_connection_pool(const Value& v, ConnectionPoolSettings& cp) {
  MapReader m(v, api::kConnectionPoolSettings);
  if (!m.ok()) return;
  if (auto tcp = m.get("tcp")) {
    MapReader tm(*tcp, api::kTCPSettings);
    if (tm.ok()) {
      ConnectionPoolSettings::Tcp t;
      tm.read_int("maxConnections", t.max_connections, 0, kInt32Max);
      tm.read_duration("connectTimeout", t.connect_timeout, engine::kMillisecond);
      tm.read_duration("idleTimeout", t.idle_timeout);
      tm.read_duration("maxConnectionDuration", t.max_connection_duration, engine::kMillisecond);
      tm.finish();
      cp.tcp = t;
    }
  }
  if (auto http = m.get("http")) {
    MapReader hm(*http, api::kHTTPSettings);
    if (hm.ok()) {
      ConnectionPoolSettings::Http h;
      hm.read_int("http1MaxPendingRequests", h.http1_max_pending_requests, 0, kInt32Max);
      hm.read_int("http2MaxRequests", h.http2_max_requests, 0, kInt32Max);
      hm.read_int("maxRequestsPerConnection", h.max_requests_per_connection, 0, kInt32Max);
      hm.read_int("maxRetries", h.max_retries, 0, kInt32Max);
      hm.read_duration("idleTimeout", h.idle_timeout);
      hm.read_enum("h2UpgradePolicy", h.h2_upgrade_policy, {"DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"});
      hm.read("useClientProtocol", h.use_client_protocol);
      hm.read_int("maxConcurrentStreams", h.max_concurrent_streams, 0, kInt32Max);
      hm.finish();
      cp.http = h;
    }
  }
  m.finish();
}

}  // namespace istio

namespace {

using namespace istio;

// Envoy's bounds for the hash-based load balancers (cluster.proto): RingHashLbConfig
// minimum_ring_size <= 8388608 (8M), MaglevLbConfig table_size <= 5000011 and prime.
constexpr std::int64_t kMaxRingSize = 8'388'608;
constexpr std::int64_t kMaxMaglevTableSize = 5'000'011;

bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  for (std::uint64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

std::optional<std::uint64_t> read_ring_size(const Value& v) {
  auto x = v.as_int(0, kMaxRingSize);
  if (!x) return std::nullopt;
  return static_cast<std::uint64_t>(*x);
}

void read_consistent_hash(const Value& v, ConsistentHashLB& ch) {
  MapReader m(v, api::kConsistentHashLB);
  if (!m.ok()) return;
  int keys = 0;
  if (m.read("httpHeaderName", ch.header_name)) {
    ch.key = ConsistentHashLB::Key::HttpHeaderName;
    ++keys;
  }
  if (auto cookie = m.get("httpCookie")) {
    ++keys;
    ch.key = ConsistentHashLB::Key::HttpCookie;
    MapReader cm(*cookie, api::kHTTPCookie);
    if (cm.ok()) {
      cm.require("name", "name is required: the cookie to hash on");
      cm.read("name", ch.cookie_name);
      cm.read("path", ch.cookie_path);
      cm.read_duration("ttl", ch.cookie_ttl);
      cm.finish();
    }
  }
  bool use_source_ip = false;
  if (m.read("useSourceIp", use_source_ip) && use_source_ip) {
    ch.key = ConsistentHashLB::Key::UseSourceIp;
    ++keys;
  }
  if (m.read("httpQueryParameterName", ch.header_name)) {
    ch.key = ConsistentHashLB::Key::HttpQueryParameterName;
    ++keys;
  }
  if (keys > 1)
    v.error("consistentHash must use only one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName");
  const bool has_ring = m.has("ringHash");
  const bool has_maglev = m.has("maglev");
  if (auto ring = m.get("ringHash")) {
    ch.algorithm = ConsistentHashLB::Algorithm::RingHash;
    MapReader rm(*ring, api::kRingHash);
    if (rm.ok()) {
      if (auto n = rm.get("minimumRingSize")) {
        if (auto x = read_ring_size(*n)) ch.minimum_ring_size = *x;
      }
      rm.finish();
    }
  }
  if (auto mag = m.get("maglev")) {
    ch.algorithm = ConsistentHashLB::Algorithm::Maglev;
    MapReader mm(*mag, api::kMagLev);
    if (mm.ok()) {
      if (auto n = mm.get("tableSize")) {
        // Envoy's MaglevLbConfig: table_size <= 5000011 (validate rule) and prime (checked when
        // the load balancer is built); istiod passes the value through, so Envoy NACKs it.
        if (auto x = n->as_int(1, kMaxMaglevTableSize)) {
          if (!is_prime(static_cast<std::uint64_t>(*x)))
            n->error("tableSize must be a prime number (Envoy's Maglev table), got " + n->describe() +
                     "; e.g. 65537 (the default), 131071 or 5000011");
          else
            ch.maglev_table_size = static_cast<std::uint64_t>(*x);
        }
      }
      mm.finish();
    }
  }
  if (has_ring && has_maglev) error_at(v, "maglev", "set either ringHash or maglev, not both");
  if (auto n = m.get("minimumRingSize")) {  // deprecated top-level form
    if (has_ring || has_maglev) {
      n->error("minimumRingSize (deprecated) cannot be combined with ringHash or maglev; use ringHash.minimumRingSize");
    } else if (auto x = read_ring_size(*n)) {
      ch.minimum_ring_size = *x;
    }
  }
  m.finish();
}

void read_locality_lb(const Value& v, LocalityLbSetting& l) {
  MapReader m(v, api::kLocalityLoadBalancerSetting);
  if (!m.ok()) return;
  if (auto dist = m.get("distribute")) {
    read_object_list(*dist, api::kLocalityDistribute, l.distribute,
                     [](MapReader& dm, LocalityDistribute& d, const Value&) {
      dm.read("from", d.from);
      if (auto to = dm.get("to")) {
      MapReader tm(*to);
      std::uint64_t total = 0;
      bool ok = tm.ok();
      for (auto& [loc, w] : tm.entries()) {
        if (auto n = w.as_int(0, kUint32Max)) {
          d.to[loc] = static_cast<std::uint32_t>(*n);
          total += static_cast<std::uint64_t>(*n);
        } else {
          ok = false;
        }
      }
      if (ok && total != 100) to->error("to weights must sum to 100, got " + std::to_string(total));
      }
    });
  }
  if (auto fo = m.get("failover")) {
    read_object_list(*fo, api::kLocalityFailover, l.failover, [](MapReader& fm, LocalityFailover& f, const Value&) {
      fm.read("from", f.from);
      fm.read("to", f.to);
    });
  }
  m.read("failoverPriority", l.failover_priority);
  m.read("enabled", l.enabled);
  if (!l.distribute.empty() && !l.failover.empty())
    error_at(v, "failover", "set either distribute or failover, not both");
  m.finish();
}

void read_load_balancer(const Value& v, LoadBalancerSettings& lb) {
  MapReader m(v, api::kLoadBalancerSettings);
  if (!m.ok()) return;
  std::string simple;
  if (m.read_enum("simple", simple,
                  {"UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"})) {
    using S = LoadBalancerSettings::Simple;
    lb.simple = simple == "LEAST_CONN"      ? S::LeastConn
                : simple == "RANDOM"        ? S::Random
                : simple == "PASSTHROUGH"   ? S::Passthrough
                : simple == "ROUND_ROBIN"   ? S::RoundRobin
                : simple == "LEAST_REQUEST" ? S::LeastRequest
                                            : S::Unspecified;
  }
  if (auto ch = m.get("consistentHash")) {
    if (m.has("simple")) error_at(v, "consistentHash", "set either simple or consistentHash, not both");
    ConsistentHashLB x;
    read_consistent_hash(*ch, x);
    lb.consistent_hash = x;
  }
  if (auto loc = m.get("localityLbSetting")) {
    LocalityLbSetting x;
    read_locality_lb(*loc, x);
    lb.locality_lb_setting = x;
  }
  m.read_duration("warmupDurationSecs", lb.warmup_duration_secs);
  if (auto w = m.get("warmup")) {
    MapReader wm(*w, api::kWarmupConfiguration);
    if (wm.ok()) {
      WarmupConfiguration x;
      if (wm.require("duration", "duration is required: how long a new endpoint warms up"))
        wm.read_duration("duration", x.duration, engine::kMillisecond);
      wm.read_number("minimumPercent", x.minimum_percent, 0, 100);
      wm.read_number("aggression", x.aggression, 1, std::numeric_limits<double>::infinity());
      wm.finish();
      lb.warmup = x;
    }
    if (m.has("warmupDurationSecs")) error_at(v, "warmup", "set either warmup or warmupDurationSecs, not both");
  }
  m.finish();
}


void read_outlier_detection(const Value& v, OutlierDetection& od) {
  MapReader m(v, api::kOutlierDetection);
  if (!m.ok()) return;
  m.read_uint("consecutive5xxErrors", od.consecutive_5xx_errors, 0, kUint32Max);
  m.read_uint("consecutiveGatewayErrors", od.consecutive_gateway_errors, 0, kUint32Max);
  if (m.read_int("consecutiveErrors", od.consecutive_errors, 0, kInt32Max)) {
    m.get("consecutiveErrors")->note(
        "consecutiveErrors is deprecated and ignored by current Istio; use consecutive5xxErrors or "
        "consecutiveGatewayErrors");
  }
  m.read("splitExternalLocalOriginErrors", od.split_external_local_origin_errors);
  m.read_uint("consecutiveLocalOriginFailures", od.consecutive_local_origin_failures, 0, kUint32Max);
  m.read_duration("interval", od.interval, engine::kMillisecond);
  m.read_duration("baseEjectionTime", od.base_ejection_time, engine::kMillisecond);
  m.read_int("maxEjectionPercent", od.max_ejection_percent, 0, 100);
  m.read_int("minHealthPercent", od.min_health_percent, 0, 100);
  m.finish();
}

void read_client_tls(const Value& v, ClientTLSSettings& t) {
  MapReader m(v, api::kClientTLSSettings);
  if (!m.ok()) return;
  m.read_enum("mode", t.mode, {"DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"});
  m.read("sni", t.sni);
  m.read("credentialName", t.credential_name);
  m.read("subjectAltNames", t.subject_alt_names);
  m.read("insecureSkipVerify", t.insecure_skip_verify);
  m.finish();
}

// The blocks shared by TrafficPolicy and PortTrafficPolicy.
template <class P>
void read_policy_blocks(MapReader& m, P& p) {
  if (auto lb = m.get("loadBalancer")) {
    LoadBalancerSettings x;
    read_load_balancer(*lb, x);
    p.load_balancer = x;
  }
  if (auto cp = m.get("connectionPool")) {
    ConnectionPoolSettings x;
    read_connection_pool(*cp, x);
    p.connection_pool = x;
  }
  if (auto od = m.get("outlierDetection")) {
    OutlierDetection x;
    read_outlier_detection(*od, x);
    p.outlier_detection = x;
  }
  if (auto tls = m.get("tls")) {
    ClientTLSSettings x;
    read_client_tls(*tls, x);
    p.tls = x;
  }
}

void read_traffic_policy(const Value& v, TrafficPolicy& tp) {
  MapReader m(v, api::kTrafficPolicy);
  if (!m.ok()) return;
  tp.location = v.location();
  read_policy_blocks(m, tp);
  if (auto pls = m.get("portLevelSettings")) {
    if (auto items = pls->as_list()) {
      std::set<std::uint32_t> seen;
      for (const Value& item : *items) {
        MapReader pm(item, api::kPortTrafficPolicy);
        if (!pm.ok()) continue;
        PortTrafficPolicy p;
        p.location = item.location();
        if (auto port = pm.require("port", "port is required: which port these settings apply to")) {
          MapReader portm(*port, api::kPortSelector);
          if (portm.ok()) {
            if (portm.require("number", "number is required: the port number"))
              read_port_number(portm, "number", p.port);
            portm.finish();
          }
        }
        read_policy_blocks(pm, p);
        pm.finish();
        if (p.port != 0 && !seen.insert(p.port).second)
          error_here(item, "port " + std::to_string(p.port) + " appears twice in portLevelSettings");
        tp.port_level_settings.push_back(std::move(p));
      }
    }
  }
  if (auto rb = m.get("retryBudget")) {
    MapReader rm(*rb, api::kRetryBudget);
    if (rm.ok()) {
      RetryBudget x;
      rm.read_number("percent", x.percent, 0, 100);
      rm.read_uint("minRetryConcurrency", x.min_retry_concurrency, 0, kUint32Max);
      rm.finish();
      tp.retry_budget = x;
    }
  }
  m.finish();
}

}  // namespace

using namespace istio;

void parse_destination_rule(MapReader& doc, DestinationRule& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a DestinationRule needs a host", api::kDestinationRule);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  if (auto host = spec.require("host", "host is required: the service this DestinationRule configures")) {
    if (auto s = host->as_string()) {
      if (s->empty()) host->error("host must not be empty");
      out.host = *s;
    }
  }
  if (auto tp = spec.get("trafficPolicy")) {
    TrafficPolicy x;
    read_traffic_policy(*tp, x);
    out.traffic_policy = x;
  }
  if (auto subsets = spec.get("subsets")) {
    read_object_list(*subsets, api::kSubset, out.subsets, [&](MapReader& m, Subset& s, const Value& item) {
      s.location = item.location();
      if (auto name = m.require("name", "name is required: routes refer to a subset by its name")) {
        if (auto n = name->as_string()) {
          if (n->empty()) {
            name->error("name must not be empty");
          } else {
            for (const auto& prev : out.subsets) {
              if (prev.name == *n) {
                name->error("duplicate subset name \"" + *n + "\"; subset names must be unique in a DestinationRule");
                break;
              }
            }
          }
          s.name = *n;
        }
      }
      read_labels(m, "labels", s.labels);
      if (auto tp = m.get("trafficPolicy")) {
        TrafficPolicy x;
        read_traffic_policy(*tp, x);
        s.traffic_policy = x;
      }
    });
  }
  spec.read("exportTo", out.export_to);
  out.workload_selector = read_workload_selector(spec, "matchLabels");
  spec.finish();
}

}  // namespace meshtwin::config::parse
