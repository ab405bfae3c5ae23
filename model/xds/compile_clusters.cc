// ProxyCompiler's clusters (docs/semantics.md §3.2, §7): one per service port and one per
// DestinationRule subset, with the consolidated DestinationRule's traffic policy applied.
#include <algorithm>

#include "model/xds/proxy_compiler.h"

namespace meshtwin::xds::detail {

namespace {

// istiod's cluster builder for a DestinationRule `tls` (docs/semantics.md §20.1): SIMPLE and
// MUTUAL originate TLS; without an `sni` Envoy takes it from the request's :authority
// (auto_sni), and without subjectAltNames (nor insecureSkipVerify) it checks the server's
// certificate against that name (auto_san_validation).
Cluster::UpstreamTls upstream_tls_of(const std::optional<config::ClientTLSSettings>& tls) {
  using Mode = Cluster::UpstreamTls::Mode;
  Cluster::UpstreamTls out;
  if (!tls) return out;
  out.mode = tls->mode == "SIMPLE"          ? Mode::Simple
             : tls->mode == "MUTUAL"        ? Mode::Mutual
             : tls->mode == "ISTIO_MUTUAL"  ? Mode::IstioMutual
                                            : Mode::Disable;  // DISABLE, the API's default mode
  if (!out.originates()) return out;
  out.sni = tls->sni;
  out.auto_sni = tls->sni.empty();
  out.auto_san_validation =
      out.auto_sni && tls->subject_alt_names.empty() && !tls->insecure_skip_verify.value_or(false);
  return out;
}

}  // namespace

void ProxyCompiler::build_clusters(ProxyConfig& cfg) {
  const bool send_unhealthy = !detail::istio_version_at_most(mesh_.istio_version, 1, 30);
  for (const registry::Service* s : services_) {
    if (is_alias(*s)) continue;  // an ExternalName alias has no clusters of its own
    const auto* dr = drs_.lookup(proxy_, s->hostname, s->namespace_);
    for (const auto& sp : s->ports) {
      if (sp.protocol == registry::Protocol::UDP) continue;  // Istio builds no UDP clusters
      cfg.clusters.push_back(make_cluster(*s, sp, dr, nullptr, send_unhealthy));
      if (dr)
        for (const config::Subset* sub : dr->subsets)
          cfg.clusters.push_back(make_cluster(*s, sp, dr, sub, send_unhealthy));
    }
  }
  Cluster passthrough;
  passthrough.name = "PassthroughCluster";
  passthrough.type = Cluster::Type::OriginalDst;
  passthrough.discovery = "ORIGINAL_DST";
  passthrough.lb.kind = LbPolicy::Kind::Passthrough;
  cfg.clusters.push_back(std::move(passthrough));
  if (outbound_policy_ == "ALLOW_ANY_DYNAMIC_DNS") {
    Cluster dyn;
    dyn.name = "AllowAnyDynamicDNSCluster";
    dyn.type = Cluster::Type::OriginalDst;
    dyn.discovery = "DYNAMIC_FORWARD_PROXY";
    dyn.lb.kind = LbPolicy::Kind::Passthrough;
    cfg.clusters.push_back(std::move(dyn));
  }
  Cluster blackhole;
  blackhole.name = "BlackHoleCluster";
  blackhole.type = Cluster::Type::BlackHole;
  blackhole.discovery = "STATIC";
  cfg.clusters.push_back(std::move(blackhole));
}

Cluster ProxyCompiler::make_cluster(const registry::Service& s, const registry::ServicePort& sp,
                     const detail::ConsolidatedDestinationRule* dr, const config::Subset* subset,
                     bool send_unhealthy) {
  Cluster c;
  c.name = outbound_cluster_name(sp.port, subset ? std::string_view(subset->name) : std::string_view{}, s.hostname);
  c.service_hostname = s.hostname;
  c.subset = subset ? subset->name : "";
  if (subset) c.subset_labels = subset->labels;
  c.port = sp.port;
  c.protocol = sp.protocol;
  detail::ResolvedPolicy pol =
      detail::resolve_policy(dr ? dr->traffic_policy : nullptr,
                             subset && subset->traffic_policy ? &*subset->traffic_policy : nullptr, sp.port);
  c.lb = detail::to_lb_policy(pol.load_balancer);
  c.connection_pool = pol.connection_pool;
  c.outlier_detection = pol.outlier_detection;
  c.retry_budget = pol.retry_budget;
  c.tls = pol.tls;
  c.upstream_tls = upstream_tls_of(pol.tls);
  c.mesh_external = s.mesh_external;
  if (dr) c.destination_rule = dr->name;

  if (s.origin == registry::Service::Origin::ServiceEntry && s.service_entry) {
    // I-CL convertResolution (docs/semantics.md §12.1).
    const std::string& res = s.service_entry->resolution;
    if (res == "NONE") {
      c.type = Cluster::Type::OriginalDst;
      c.discovery = "ORIGINAL_DST";
      c.lb.kind = LbPolicy::Kind::Passthrough;
    } else if (res == "DNS" || res == "DNS_ROUND_ROBIN") {
      // Envoy resolves the addresses itself; meshtwin lists them as external endpoints.
      c.type = Cluster::Type::Static;
      c.discovery = res == "DNS" ? "STRICT_DNS" : "LOGICAL_DNS";
    } else if (res == "DYNAMIC_DNS") {
      c.type = Cluster::Type::OriginalDst;
      c.discovery = "DYNAMIC_FORWARD_PROXY";
    }
  } else if (s.headless) {
    // Istio builds ORIGINAL_DST for headless services: Envoy connects to the pod IP the app
    // resolved. The endpoints list the pods DNS would return.
    c.type = Cluster::Type::OriginalDst;
    c.discovery = "ORIGINAL_DST";
    c.lb.kind = LbPolicy::Kind::Passthrough;
  }
  if (c.lb.kind == LbPolicy::Kind::Passthrough) {
    c.type = Cluster::Type::OriginalDst;
    c.discovery = "ORIGINAL_DST";
  }

  // Istio >= 1.31 sends not-ready endpoints as UNHEALTHY unless minHealthPercent > 0 (§13).
  const bool min_health = pol.outlier_detection && pol.outlier_detection->min_health_percent > 0;
  const bool publish_not_ready = s.k8s && s.k8s->publish_not_ready_addresses;
  for (std::uint32_t pi : s.pods) {
    const registry::Pod& pod = reg_.pods()[pi];
    if (subset && !detail::labels_subset(subset->labels, pod.labels)) continue;
    const bool ready = pod.ready || publish_not_ready;
    if (!ready && (!send_unhealthy || min_health)) continue;
    std::uint32_t port = 0;
    if (s.origin == registry::Service::Origin::ServiceEntry) {
      port = sp.target_port_number ? sp.target_port_number : sp.port;
    } else {
      port = pod.resolve_target_port(sp.target_port_number ? sp.target_port_number : sp.port, sp.target_port_name);
    }
    if (port == 0) continue;  // the named target port does not exist on this pod
    ClusterEndpoint ep;
    ep.pod = pi;
    ep.port = port;
    ep.healthy = ready;
    ep.address = pod.ip;
    c.endpoints.push_back(ep);
  }
  // Endpoints that are not pods: ServiceEntry endpoints (their `ports` map overrides the
  // target port), DNS hosts, EndpointSlice addresses. A DNS_ROUND_ROBIN (LOGICAL_DNS) cluster
  // uses one address at a time (§12.1).
  for (std::uint32_t ei : s.external_endpoints) {
    const registry::ExternalEndpoint& x = reg_.external_endpoints()[ei];
    if (subset && !detail::labels_subset(subset->labels, x.labels)) continue;
    if (!x.ready && (!send_unhealthy || min_health)) continue;
    std::uint32_t port = sp.target_port_number ? sp.target_port_number : sp.port;
    if (auto it = x.ports.find(sp.name); it != x.ports.end()) port = it->second;
    ClusterEndpoint ep;
    ep.pod = kNotAPod;
    ep.external = ei;
    ep.address = x.address;
    ep.port = port;
    ep.weight = x.weight == 0 ? 1 : x.weight;
    ep.healthy = x.ready;
    c.endpoints.push_back(std::move(ep));
    if (c.discovery == "LOGICAL_DNS") break;
  }
  return c;
}

}  // namespace meshtwin::xds::detail
