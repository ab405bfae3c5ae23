// ProxyCompiler's route tables (docs/semantics.md §1.3, §2): per-port RouteConfigurations, one
// virtual host per VirtualService or service, and each VirtualService rule translated into an
// Envoy route (match, action, headers, retries, mirrors, faults) as Istio's route translation does.
#include <algorithm>

#include "model/xds/proxy_compiler.h"

namespace meshtwin::xds::detail {
namespace {

int grpc_code(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  for (int i = 0; i < 17; ++i)
    if (name == kNames[i]) return i;
  return 2;  // UNKNOWN; validation rejects other names
}

std::uint32_t percent_to_per_million(double pct) {
  if (pct <= 0) return 0;
  if (pct >= 100) return 1'000'000;
  // Istio: uint32(p.Value * 10000), truncating.
  return static_cast<std::uint32_t>(pct * 10000);
}

bool is_internal_header(std::string_view key) {
  return (!key.empty() && key.front() == ':') || detail::to_lower(key) == "host";
}
bool is_authority_header(std::string_view key) {
  const std::string k = detail::to_lower(key);
  return k == ":authority" || k == "host";
}

// Istio TranslateHeadersOperations: pseudo headers and Host cannot be set; an authority in
// set/add becomes a host rewrite (set wins over add).
HeaderOps translate_header_ops(const config::HeaderOperations& in, std::string* authority) {
  HeaderOps out;
  std::string set_auth, add_auth;
  for (const auto& [k, v] : in.set) {
    if (is_authority_header(k)) set_auth = v;
    if (!is_internal_header(k)) out.set.emplace_back(to_lower(k), v);
  }
  for (const auto& [k, v] : in.add) {
    if (is_authority_header(k)) add_auth = v;
    if (!is_internal_header(k)) out.add.emplace_back(to_lower(k), v);
  }
  for (const auto& k : in.remove)
    if (!is_internal_header(k)) out.remove.push_back(to_lower(k));
  if (authority) *authority = !set_auth.empty() ? set_auth : add_auth;
  return out;
}

std::optional<FaultPolicy> translate_fault(const config::HTTPFaultInjection& in) {
  FaultPolicy f;
  if (in.delay) {
    const auto& d = *in.delay;
    FaultPolicy::Delay delay;
    delay.duration = d.fixed_delay;
    // The deprecated integer percent applies only when percentage is absent (default 0).
    delay.per_million = d.percentage ? percent_to_per_million(*d.percentage)
                                     : percent_to_per_million(static_cast<double>(std::max(d.percent, 0)));
    f.delay = delay;
  }
  if (in.abort) {
    const auto& a = *in.abort;
    FaultPolicy::Abort abort;
    // Absent percentage = 0%: Envoy's FractionalPercent default never aborts (§6).
    abort.per_million = a.percentage ? percent_to_per_million(*a.percentage) : 0;
    if (!a.grpc_status.empty()) {
      abort.grpc_status = grpc_code(a.grpc_status);
      abort.http_status = 200;  // a gRPC abort is a trailers-only 200 carrying grpc-status
    } else {
      abort.http_status = a.http_status;
    }
    f.abort = abort;
  }
  if (f.delay || f.abort) return f;
  return std::nullopt;
}

}  // namespace

RouteConfiguration ProxyCompiler::build_route_config(std::uint32_t port) {
  // The services this port's table knows (Istio: a per-port copy of each service that has the
  // port, whatever its protocol).
  std::unordered_map<std::string, const registry::Service*> by_name;
  for (const registry::Service* s : services_)
    if (s->find_port(port)) by_name.emplace(s->hostname, s);

  std::vector<const VsInfo*> candidates;
  for (const auto& v : vses_) {
    // The port-80 hack (§1.2): elsewhere only VSs whose hosts match a service of this port.
    if (port != 80 && !vs_matches_a_service(v, by_name)) continue;
    candidates.push_back(&v);
  }

  std::vector<Wrapper> wrappers;
  std::unordered_set<std::string> claimed;
  for (const VsInfo* v : candidates) {
    std::vector<Route> routes = build_vs_routes(*v, port, by_name);
    if (routes.empty()) continue;  // all rules filtered out: services keep their default route
    Wrapper w;
    w.vs = v;
    separate_hosts_and_services(*v, by_name, &w.vs_hosts, &w.services);
    std::vector<const registry::Service*> http_services;
    for (const registry::Service* s : w.services) {
      const registry::ServicePort* sp = s->find_port(port);
      if (sp && registry::is_http(sp->protocol)) http_services.push_back(s);
    }
    if (http_services.empty() && port != 80) continue;
    w.services = std::move(http_services);
    w.routes = std::move(routes);
    for (const registry::Service* s : w.services) claimed.insert(s->hostname);
    wrappers.push_back(std::move(w));
  }
  for (const registry::Service* s : services_) {
    if (is_alias(*s) || claimed.count(s->hostname)) continue;
    auto it = by_name.find(s->hostname);
    if (it == by_name.end()) continue;
    const registry::ServicePort* sp = s->find_port(port);
    if (!registry::is_http(sp->protocol)) continue;
    Wrapper w;
    w.services.push_back(s);
    w.routes.push_back(default_route(*s, port));
    wrappers.push_back(std::move(w));
  }

  RouteConfiguration rc;
  rc.name = std::to_string(port);
  std::unordered_map<std::string, const VsInfo*> vhost_owner;  // vhost name -> VS (or nullptr)
  std::unordered_set<std::string> vhdomains;
  std::unordered_set<std::string> known_fqdn;
  for (const auto& w : wrappers)
    for (const registry::Service* s : w.services) {
      known_fqdn.insert(s->hostname + ":" + std::to_string(port));
      known_fqdn.insert(s->hostname);
    }

  auto add_vhost = [&](const std::string& hostname, const Wrapper& w, const registry::Service* svc) {
    std::string name = hostname + ":" + std::to_string(port);
    if (auto it = vhost_owner.find(name); it != vhost_owner.end()) {
      // Sidecars do not merge VirtualServices: the first owner of a host keeps it (§1.3).
      if (diags_ && w.vs) {
        const std::string owner = it->second ? "VirtualService " + it->second->key : "service";
        diags_->warning(w.vs->vs->meta.location, "spec.hosts",
                        "VirtualService " + w.vs->key + " is ignored for host " + hostname +
                            " on port " + std::to_string(port) + ": " + owner +
                            " already owns it, and sidecars do not merge VirtualServices");
      }
      return;
    }
    vhost_owner.emplace(name, w.vs);
    std::vector<std::string> domains, alt_hosts;
    if (svc == nullptr) {
      domains.push_back(hostname);  // port is ignored in host matching, so no "host:port" form
    } else {
      service_domains(*svc, &domains, &alt_hosts);
    }
    std::vector<std::string> kept;
    for (auto& d : domains) {
      const std::string lc = to_lower(d);
      if (vhdomains.count(lc)) continue;
      // An expanded short form must not shadow a real FQDN of another service (I-HTTPR dedupeDomains).
      if (std::find(alt_hosts.begin(), alt_hosts.end(), d) != alt_hosts.end() && known_fqdn.count(d)) continue;
      vhdomains.insert(lc);
      kept.push_back(lc);
    }
    if (kept.empty()) return;
    VirtualHost vh;
    vh.name = std::move(name);
    vh.domains = std::move(kept);
    vh.routes = w.routes;
    rc.virtual_hosts.push_back(std::move(vh));
  };
  for (const auto& w : wrappers) {
    for (const auto& h : w.vs_hosts) add_vhost(h, w, nullptr);
    for (const registry::Service* s : w.services) add_vhost(s->hostname, w, s);
  }
  // Istio sorts the virtual hosts by name (util.SortVirtualHosts) and appends the catch-all.
  std::sort(rc.virtual_hosts.begin(), rc.virtual_hosts.end(),
            [](const VirtualHost& a, const VirtualHost& b) { return a.name < b.name; });
  rc.virtual_hosts.push_back(catch_all_vhost());
  return rc;
}

bool ProxyCompiler::vs_matches_a_service(const VsInfo& v, const std::unordered_map<std::string, const registry::Service*>& by_name) {
  for (const auto& h : v.hosts) {
    if (by_name.count(h)) return true;
    for (const auto& [svc_host, svc] : by_name) {
      if (is_wildcard_host(h) || is_wildcard_host(svc_host)) {
        if (hosts_match(h, svc_host)) return true;
      }
    }
  }
  return false;
}

void ProxyCompiler::separate_hosts_and_services(const VsInfo& v,
                                 const std::unordered_map<std::string, const registry::Service*>& by_name,
                                 std::vector<std::string>* hosts, std::vector<const registry::Service*>* svcs) {
  const std::size_t vs_index = static_cast<std::size_t>(&v - vses_.data());
  std::vector<std::string> wildcards;
  for (const auto& h : v.hosts) {
    if (is_wildcard_host(h)) {
      wildcards.push_back(h);
      continue;
    }
    if (auto it = by_name.find(h); it != by_name.end()) svcs->push_back(it->second);
    else hosts->push_back(h);
  }
  for (const auto& h : wildcards) {
    bool found = false;
    // Registry order, for determinism (Istio iterates a map here).
    for (const registry::Service* s : services_) {
      if (!by_name.count(s->hostname)) continue;
      if (!hosts_match(s->hostname, h)) continue;
      found = true;
      auto it = vs_for_service_.find(s->hostname);
      // Only the most specific VS claims the service (exact hosts count as most specific).
      if (it == vs_for_service_.end() || it->second != vs_index) continue;
      if (std::find(svcs->begin(), svcs->end(), s) == svcs->end()) svcs->push_back(s);
    }
    if (!found) hosts->push_back(h);
  }
}

std::vector<Route> ProxyCompiler::build_vs_routes(const VsInfo& v, std::uint32_t port,
                                   const std::unordered_map<std::string, const registry::Service*>& by_name) {
  std::vector<Route> out;
  const auto& http = v.vs->http;
  for (std::size_t i = 0; i < http.size(); ++i) {
    const config::HTTPRoute& rule = http[i];
    bool catch_all = false;
    if (rule.match.empty()) {
      if (auto r = translate_route(v, i, nullptr, port, by_name)) out.push_back(std::move(*r));
      catch_all = true;
    } else {
      for (const auto& m : rule.match) {
        auto r = translate_route(v, i, &m, port, by_name);
        if (!r) continue;
        const bool stops = r->match.is_catch_all();
        out.push_back(std::move(*r));
        // Later blocks and rules are unreachable (§2.1): Istio stops emitting them.
        if (stops) {
          catch_all = true;
          break;
        }
      }
    }
    if (catch_all) break;
  }
  return out;
}

bool ProxyCompiler::source_matches(const config::HTTPMatchRequest& m, std::string_view vs_namespace) const {
  if (!m.gateways.empty()) {
    // Sidecars belong to the gateway "mesh" only, gateway proxies to their Gateways; this
    // overrides sourceLabels.
    for (const auto& g : m.gateways)
      if (in_gateway_set(normalize_gateway(g, vs_namespace))) return true;
    return false;
  }
  if (!detail::labels_subset(m.source_labels, proxy_.labels)) return false;
  return m.source_namespace.empty() || m.source_namespace == proxy_.namespace_;
}

std::optional<Route> ProxyCompiler::translate_route(const VsInfo& v, std::size_t index, const config::HTTPMatchRequest* m,
                                                    std::uint32_t port,
                                                    const std::unordered_map<std::string, const registry::Service*>& by_name) {
  const config::HTTPRoute& rule = v.vs->http[index];
  const std::string path = "spec.http[" + std::to_string(index) + "]";
  if (m && m->port != 0 && m->port != port) return std::nullopt;
  if (m && !source_matches(*m, v.vs->meta.namespace_)) return std::nullopt;

  Route r;
  r.name = rule.name;
  if (m && !m->name.empty()) r.name += "." + m->name;
  r.vs_rule = v.rule_id(index);
  r.match = translate_match(m, v, path);
  if (v.semantics == "gateway") r.cluster_not_found_status = 500;

  std::string authority;
  r.request_headers = translate_header_ops(rule.headers.request, &authority);
  r.response_headers = translate_header_ops(rule.headers.response, nullptr);

  if (rule.redirect) {
    if (!apply_redirect(*rule.redirect, rule.location, path, port, r)) return std::nullopt;
  } else if (rule.direct_response) {
    r.action = Route::Action::DirectResponse;
    r.local_status = static_cast<int>(rule.direct_response->status);
    if (rule.direct_response->body) r.local_body = *rule.direct_response->body;
  } else if (!apply_forward(v, rule, path, port, by_name, std::move(authority), r)) {
    return std::nullopt;
  }
  if (rule.fault) r.fault = translate_fault(*rule.fault);
  return r;
}

bool ProxyCompiler::apply_redirect(const config::HTTPRedirect& rd, const config::SourceLocation& location,
                                   const std::string& path, std::uint32_t port, Route& r) {
  int code = rd.redirect_code == 0 ? 301 : static_cast<int>(rd.redirect_code);
  if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
    // Istio leaves the route without an action (I-ROUTE ApplyRedirect); Envoy cannot use it.
    if (diags_)
      diags_->warning(location, path + ".redirect.redirectCode",
                      "redirect code " + std::to_string(code) +
                          " is not supported (301, 302, 303, 307, 308); the rule is dropped");
    return false;
  }
  r.action = Route::Action::Redirect;
  r.local_status = code;
  r.redirect.scheme = rd.scheme;
  r.redirect.host = rd.authority;
  // Istio applyRedirect: FROM_REQUEST_PORT becomes the port this route table serves (the
  // listener's); FROM_PROTOCOL_DEFAULT sets no port.
  r.redirect.port = rd.port ? rd.port : rd.derive_port == "FROM_REQUEST_PORT" ? port : 0;
  r.redirect.path = rd.uri;
  r.redirect.prefix_rewrite = rd.prefix_rewrite;
  std::string loc = rd.scheme.empty() ? "" : rd.scheme + "://";
  loc += rd.authority;
  if (r.redirect.port) loc += ":" + std::to_string(r.redirect.port);
  loc += rd.prefix_rewrite ? *rd.prefix_rewrite + "…" : rd.uri;
  r.redirect_location = loc;
  return true;
}

bool ProxyCompiler::apply_forward(const VsInfo& v, const config::HTTPRoute& rule, const std::string& path,
                                  std::uint32_t port,
                                  const std::unordered_map<std::string, const registry::Service*>& by_name,
                                  std::string authority, Route& r) {
  if (rule.route.empty()) {
    if (diags_) diags_->warning(rule.location, path + ".route", "HTTP rule has no destination; it is dropped");
    return false;
  }
  r.action = Route::Action::Forward;
  r.timeout = rule.timeout.value_or(SimDuration{});
  if (rule.rewrite) {
    if (!rule.rewrite->uri.empty()) r.prefix_rewrite = rule.rewrite->uri;
    if (!rule.rewrite->authority.empty()) authority = rule.rewrite->authority;
    r.regex_rewrite = rule.rewrite->uri_regex_rewrite;
  }
  r.authority_rewrite = authority;
  bool consistent_hash = false;
  if (rule.route.size() == 1) {
    // A single destination is a plain cluster; its weight is ignored (§3.3).
    const auto& d = rule.route[0];
    WeightedCluster wc = destination_cluster(d.destination, v, port, by_name);
    std::string dest_auth;
    wc.request_headers = translate_header_ops(d.headers.request, &dest_auth);
    wc.response_headers = translate_header_ops(d.headers.response, nullptr);
    if (r.authority_rewrite.empty()) r.authority_rewrite = dest_auth;
    wc.weight = 0;
    if (const auto* hash = hash_for_destination(d.destination, v)) {
      consistent_hash = true;
      r.hash_policy = *hash;
    }
    r.clusters.push_back(std::move(wc));
  } else {
    for (const auto& d : rule.route) {
      if (d.weight <= 0) continue;  // weight-0 entries are dropped (§3.3)
      WeightedCluster wc = destination_cluster(d.destination, v, port, by_name);
      wc.weight = static_cast<std::uint32_t>(d.weight);
      wc.request_headers = translate_header_ops(d.headers.request, &wc.host_rewrite);
      wc.response_headers = translate_header_ops(d.headers.response, nullptr);
      r.total_weight += wc.weight;
      r.clusters.push_back(std::move(wc));
    }
    if (r.clusters.empty()) {
      if (diags_)
        diags_->warning(rule.location, path + ".route", "every destination has weight 0; the rule is dropped");
      return false;
    }
  }
  r.retry = detail::convert_retry_policy(rule.retries ? &*rule.retries : nullptr, consistent_hash, mesh_);
  add_mirrors(v, rule, port, by_name, r);
  return true;
}

// Mirrors (§3.5): explicit 0% means no mirror; absent percentage means 100%.
void ProxyCompiler::add_mirrors(const VsInfo& v, const config::HTTPRoute& rule, std::uint32_t port,
                                const std::unordered_map<std::string, const registry::Service*>& by_name, Route& r) {
  if (rule.mirror) {
    std::optional<std::uint32_t> pm = 1'000'000;
    if (rule.mirror_percentage) pm = *rule.mirror_percentage > 0 ? std::optional(percent_to_per_million(*rule.mirror_percentage)) : std::nullopt;
    else if (rule.mirror_percent) pm = *rule.mirror_percent > 0 ? std::optional(percent_to_per_million(*rule.mirror_percent)) : std::nullopt;
    if (pm) {
      MirrorPolicy mp;
      mp.cluster_name = destination_cluster(*rule.mirror, v, port, by_name).name;
      mp.per_million = *pm;
      r.mirrors.push_back(std::move(mp));
    }
  }
  for (const auto& mirror : rule.mirrors) {
    if (mirror.percentage && *mirror.percentage <= 0) continue;
    MirrorPolicy mp;
    mp.cluster_name = destination_cluster(mirror.destination, v, port, by_name).name;
    mp.per_million = mirror.percentage ? percent_to_per_million(*mirror.percentage) : 1'000'000;
    r.mirrors.push_back(std::move(mp));
  }
}

StringMatcher ProxyCompiler::to_matcher(const config::StringMatch& sm, const std::string& where, const VsInfo& v) {
  StringMatcher out;
  switch (sm.kind) {
    case config::StringMatch::Kind::Unset:
    case config::StringMatch::Kind::Present: out.kind = StringMatcher::Kind::Present; break;
    case config::StringMatch::Kind::Exact:
      out.kind = StringMatcher::Kind::Exact;
      out.value = sm.value;
      break;
    case config::StringMatch::Kind::Prefix:
      // Istio canBeConvertedToPresentMatch: prefix "" matches any value, i.e. presence.
      out.kind = sm.value.empty() ? StringMatcher::Kind::Present : StringMatcher::Kind::Prefix;
      out.value = sm.value;
      break;
    case config::StringMatch::Kind::Regex:
      // `*` is not RE2; Istio turns it into a presence check (§2.3).
      if (sm.value == "*") {
        out.kind = StringMatcher::Kind::Present;
      } else {
        out.kind = StringMatcher::Kind::Regex;
        out.value = sm.value;
        out.regex = regex(sm.value, where, v);
      }
      break;
  }
  return out;
}

RouteMatch ProxyCompiler::translate_match(const config::HTTPMatchRequest* m, const VsInfo& v, const std::string& path) {
  RouteMatch out;
  if (!m) return out;
  const std::string mp = path + ".match";
  for (const auto& h : m->headers) {
    const std::string name = to_lower(h.name);
    // These keys are ignored inside `headers` (A-VS).
    if (name == "uri" || name == "scheme" || name == "method" || name == "authority") continue;
    HeaderMatcher hm;
    hm.name = name;
    hm.matcher = to_matcher(h.match, mp + ".headers." + h.name, v);
    out.headers.push_back(std::move(hm));
  }
  for (const auto& h : m->without_headers) {
    HeaderMatcher hm;
    hm.name = to_lower(h.name);
    hm.matcher = to_matcher(h.match, mp + ".withoutHeaders." + h.name, v);
    hm.invert = true;
    hm.treat_missing_as_empty = !is_presence(h.match);
    out.headers.push_back(std::move(hm));
  }
  std::stable_sort(out.headers.begin(), out.headers.end(),
                   [](const HeaderMatcher& a, const HeaderMatcher& b) { return a.name < b.name; });
  switch (m->uri.kind) {
    case config::StringMatch::Kind::Exact:
      out.path_kind = RouteMatch::PathKind::Exact;
      out.path = m->uri.value;
      break;
    case config::StringMatch::Kind::Prefix:
      // Ingress and Gateway API routes match whole path segments (§2.3).
      out.path_kind = !v.semantics.empty() && m->uri.value != "/" ? RouteMatch::PathKind::PathSeparatedPrefix
                                                                  : RouteMatch::PathKind::Prefix;
      out.path = m->uri.value;
      break;
    case config::StringMatch::Kind::Regex:
      out.path_kind = RouteMatch::PathKind::Regex;
      out.path = m->uri.value;
      out.path_regex = regex(m->uri.value, mp + ".uri.regex", v);
      break;
    default: break;  // prefix "/"
  }
  out.case_sensitive = !m->ignore_uri_case;
  auto pseudo = [&](const config::StringMatch& sm, const char* name, const char* field) {
    if (!sm.is_set()) return;
    HeaderMatcher hm;
    hm.name = name;
    hm.matcher = to_matcher(sm, mp + "." + field, v);
    out.headers.push_back(std::move(hm));
  };
  pseudo(m->method, ":method", "method");
  pseudo(m->authority, ":authority", "authority");
  pseudo(m->scheme, ":scheme", "scheme");
  for (const auto& q : m->query_params) {
    QueryParamMatcher qm;
    qm.name = q.name;
    qm.matcher = to_matcher(q.match, mp + ".queryParams." + q.name, v);
    out.query_params.push_back(std::move(qm));
  }
  return out;
}

std::shared_ptr<const re2::RE2> ProxyCompiler::regex(const std::string& pattern, const std::string& where, const VsInfo& v) {
  if (auto it = regex_cache_.find(pattern); it != regex_cache_.end()) return it->second;
  std::string error;
  auto re = compile_regex(pattern, &error);
  if (!re && diags_)
    diags_->error(v.vs->meta.location, where, "invalid RE2 regular expression \"" + pattern + "\": " + error);
  regex_cache_.emplace(pattern, re);
  return re;
}

WeightedCluster ProxyCompiler::destination_cluster(const config::Destination& d, const VsInfo& v, std::uint32_t listener_port,
                                    const std::unordered_map<std::string, const registry::Service*>& by_name) {
  // An empty host (istiod's translation of an invalid Gateway API backendRef, §11.1) stays empty:
  // its cluster `outbound|<port>||` does not exist.
  std::string host = d.host.empty() ? std::string()
                                    : to_lower(registry::resolve_short_name(d.host, v.vs->meta.namespace_,
                                                                            mesh_.short_name_domain()));
  const registry::Service* svc = nullptr;
  if (auto it = by_name.find(host); it != by_name.end()) svc = it->second;
  if (svc && is_alias(*svc)) host = svc->external_name;  // ExternalName aliases the concrete service
  std::uint32_t port = listener_port;
  if (d.port != 0) {
    port = d.port;
  } else if (gateway_mode_) {
    // Gateways look the destination up among all services (buildNameToServiceMapForHTTPRoutes):
    // a single-port service gives its port, otherwise the server's port.
    if (auto it = service_by_host_.find(host); it != service_by_host_.end() && it->second->ports.size() == 1)
      port = it->second->ports[0].port;
  }
  WeightedCluster wc;
  wc.name = outbound_cluster_name(port, d.subset, host);
  return wc;
}

const config::ConsistentHashLB* ProxyCompiler::hash_for_destination(const config::Destination& d, const VsInfo& v) {
  const std::string host = to_lower(registry::resolve_short_name(d.host, v.vs->meta.namespace_, mesh_.short_name_domain()));
  auto it = service_by_host_.find(host);
  const std::string_view svc_ns = it != service_by_host_.end() ? std::string_view(it->second->namespace_)
                                                               : std::string_view(v.vs->meta.namespace_);
  const auto* dr = drs_.lookup(proxy_, host, svc_ns);
  return detail::consistent_hash_for(dr, d.subset, d.port);
}

Route ProxyCompiler::default_route(const registry::Service& s, std::uint32_t port) {
  // §2.6: prefix "/" to the whole-service cluster, timeout disabled, Istio's default retry
  // policy with the previous-hosts predicate even when the DR hashes (no hash is passed).
  Route r;
  r.name = "default";
  r.vs_rule = "-";
  WeightedCluster wc;
  wc.name = outbound_cluster_name(port, "", s.hostname);
  r.clusters.push_back(std::move(wc));
  r.timeout = SimDuration{};
  r.retry = detail::convert_retry_policy(nullptr, false, mesh_);
  // The DR's consistent hash still applies to the default route (§2.6).
  if (const auto* hash = detail::consistent_hash_for(drs_.lookup(proxy_, s.hostname, s.namespace_), "", port))
    r.hash_policy = *hash;
  return r;
}

VirtualHost ProxyCompiler::catch_all_vhost() const {
  VirtualHost vh;
  Route r;
  r.vs_rule = "-";
  if (outbound_policy_ == "REGISTRY_ONLY") {
    // §2.5/§12.2: a direct 502 with no upstream and no response flag.
    vh.name = "block_all";
    r.name = "block_all";
    r.action = Route::Action::DirectResponse;
    r.local_status = 502;
  } else {
    vh.name = "allow_any";
    r.name = "allow_any";
    WeightedCluster wc;
    wc.name = outbound_policy_ == "ALLOW_ANY_DYNAMIC_DNS" ? "AllowAnyDynamicDNSCluster" : "PassthroughCluster";
    r.clusters.push_back(std::move(wc));
    r.timeout = SimDuration{};  // and no retry policy at all
  }
  vh.domains = {"*"};
  vh.routes.push_back(std::move(r));
  return vh;
}

void ProxyCompiler::service_domains(const registry::Service& s, std::vector<std::string>* domains,
                     std::vector<std::string>* alt_hosts) const {
  std::vector<std::string> all{s.hostname};
  if (auto it = aliases_.find(s.hostname); it != aliases_.end())
    for (const registry::Service* a : it->second) all.push_back(a->hostname);
  for (const auto& h : all) {
    domains->push_back(h);
    for (auto& alt : alt_virtual_hosts(h)) {
      alt_hosts->push_back(alt);
      domains->push_back(std::move(alt));
    }
  }
  if (s.headless && s.origin == registry::Service::Origin::Kubernetes) {
    // Pods of a headless service are addressed as <pod>.<service>...; Istio adds wildcards.
    const std::size_t n = domains->size();
    for (std::size_t i = 0; i < n; ++i) domains->push_back("*." + (*domains)[i]);
  }
  if (!s.address.empty()) domains->push_back(s.address);
  else if (proxy_.dns_auto_allocate && !s.auto_allocated_address.empty()) domains->push_back(s.auto_allocated_address);
}

std::vector<std::string> ProxyCompiler::alt_virtual_hosts(const std::string& hostname) const {
  const std::string svc_suffix = ".svc." + mesh_.domain;
  const std::size_t ih = hostname.find(".svc.");
  if (ih == std::string::npos || !hostname.ends_with(svc_suffix)) return {};
  const std::size_t ns = hostname.find('.');
  if (ns + 1 >= hostname.size() || ns + 1 > ih) return {};
  const std::string name = hostname.substr(0, ns);
  const std::string name_ns = hostname.substr(0, ih);
  if (hostname.substr(ns + 1, ih - ns - 1) == proxy_.namespace_) return {name, name_ns + ".svc", name_ns};
  return {name_ns, name_ns + ".svc"};
}

}  // namespace meshtwin::xds::detail
