// The analyzers behind `meshtwin lint`. Each mirrors the istioctl analyzer of the same code
// (pilot/pkg/config/analysis/analyzers in istio/istio) as far as meshtwin's model reaches; MT codes
// are meshtwin's own (no istioctl equivalent).
#include "model/analysis/lint.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "model/xds/translate.h"

namespace meshtwin::analysis {

namespace {

using config::Severity;

// ASCII case folding (hostnames, codes), inline: std::tolower is a libc call per character and
// took a third of lint's time on large meshes.
std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

bool is_wildcard(std::string_view h) { return h.starts_with("*"); }

// host.Name.Matches: two hosts intersect (either may be a wildcard).
bool hosts_match(std::string_view a, std::string_view b) {
  if (a == b) return true;
  if (a == "*" || b == "*") return true;
  if (is_wildcard(a) && is_wildcard(b)) {
    const auto sa = a.substr(1), sb = b.substr(1);
    return sa.size() > sb.size() ? sa.ends_with(sb) : sb.ends_with(sa);
  }
  if (is_wildcard(a)) return b.ends_with(a.substr(1));
  if (is_wildcard(b)) return a.ends_with(b.substr(1));
  return false;
}

bool labels_subset(const config::Labels& sub, const config::Labels& of) {
  for (const auto& [k, v] : sub) {
    auto it = of.find(k);
    if (it == of.end() || it->second != v) return false;
  }
  return true;
}

std::string normalize_gateway(std::string_view g, std::string_view ns) {
  if (g == "mesh") return "mesh";
  if (g.starts_with("./")) return std::string(ns) + "/" + std::string(g.substr(2));
  if (g.find('/') != std::string_view::npos) return std::string(g);
  if (const auto dot = g.find('.'); dot != std::string_view::npos) {
    const auto rest = g.substr(dot + 1);
    return std::string(rest.substr(0, rest.find('.'))) + "/" + std::string(g.substr(0, dot));
  }
  return std::string(ns) + "/" + std::string(g);
}

class Linter {
 public:
  // Indexes the lookups the checks make per reference (services by host, DestinationRule
  // subsets by host, gateways and VirtualServices by name), with each DestinationRule's host
  // resolved and case-folded once: the checks would otherwise scan every resource for every
  // reference, O(N^2) on an N-service mesh.
  Linter(const config::ConfigStore& store, const registry::Registry& reg) : store_(store), reg_(reg) {
    for (const auto& s : reg_.services()) {
      services_by_host_[s.hostname].push_back(&s);
      if (is_wildcard(s.hostname)) wildcard_services_.push_back(&s);
    }
    dr_hosts_.reserve(store_.destination_rules().size());
    for (const auto& dr : store_.destination_rules()) {
      dr_hosts_.push_back(fqdn(dr.host, dr.meta.namespace_));
      const std::string& h = dr_hosts_.back();
      if (is_wildcard(h)) {
        wildcard_drs_.emplace_back(h, &dr);
      } else {
        auto& subsets = subsets_by_host_[h];
        for (const auto& sub : dr.subsets) subsets.insert(sub.name);
      }
    }
    // The last Gateway of a name wins, as the scans this replaces did.
    for (const auto& g : store_.gateways()) gateways_by_name_[g.meta.namespace_ + "/" + g.meta.name] = &g;
    for (const auto& vs : store_.virtual_services()) virtual_service_names_.insert(vs.meta.namespace_ + "/" + vs.meta.name);
  }

  std::vector<Finding> run(const config::Diagnostics* load_diags) {
    if (load_diags)
      for (const auto& d : load_diags->items())
        if (d.severity == Severity::Error)
          add("IST0106", "SchemaValidationError", Severity::Error, d.location, d.field_path, d.message, "");
    virtual_services();
    conflicting_mesh_hosts();
    destination_rules();
    gateways();
    services();
    mtls_conflicts();
    unsimulated();
    // Gateway API routes that do not attach (unknown parent, listener that refuses them).
    config::Diagnostics translate_diags;
    std::vector<xds::RefusedReference> refused;
    xds::translate_kubernetes_routing(store_, xds::MeshOptions{}, &translate_diags, &refused);
    for (const auto& d : translate_diags.items())
      add("MT0004", "RouteNotAttached", Severity::Warning, d.location, d.field_path, d.message, "");
    // References istiod refuses (docs/semantics.md §11.1): the backend answers 500, the listener
    // has no certificate. Errors, as istioctl would give for a reference that cannot work.
    for (const auto& r : refused) {
      if (r.kind == xds::RefusedReference::Kind::NotPermitted)
        add("MT0005", "ReferenceNotPermitted", Severity::Error, r.location, r.field_path, r.message, r.resource);
      else
        add("MT0006", "UnsupportedReferenceKind", Severity::Error, r.location, r.field_path, r.message, r.resource);
    }
    std::stable_sort(findings_.begin(), findings_.end(), [](const Finding& a, const Finding& b) {
      return std::tie(a.location.file, a.location.line, a.location.column, a.code) <
             std::tie(b.location.file, b.location.line, b.location.column, b.code);
    });
    return std::move(findings_);
  }

 private:
  void add(std::string code, std::string name, Severity s, config::SourceLocation loc, std::string path,
           std::string message, std::string resource) {
    findings_.push_back({std::move(code), std::move(name), s, std::move(loc), std::move(path), std::move(message),
                         std::move(resource)});
  }

  std::string fqdn(const std::string& host, const std::string& ns) const {
    return lower(registry::resolve_short_name(host, ns, reg_.domain()));
  }

  // "; did you mean "reviews"?" for a host no one serves, as written from namespace `ns`.
  std::string host_hint(const std::string& host, const std::string& ns) const {
    const std::string near = reg_.nearest_host(host, ns);
    return near.empty() ? std::string() : "; did you mean \"" + near + "\"?";
  }

  // A host the mesh knows: a Service or ServiceEntry host, or one a wildcard ServiceEntry covers.
  bool host_known(const std::string& host) const {
    if (reg_.find_service(host)) return true;
    for (const registry::Service* s : wildcard_services_)
      if (hosts_match(s->hostname, host)) return true;
    return false;
  }

  const config::Gateway* find_gateway(const std::string& name) const {
    auto it = gateways_by_name_.find(name);
    return it == gateways_by_name_.end() ? nullptr : it->second;
  }

  // Subsets the DestinationRules for `host` declare (any namespace, as istioctl checks): those
  // for exactly this host and those of wildcard hosts covering it.
  std::set<std::string> subsets_for(const std::string& host) const {
    std::set<std::string> out;
    if (auto it = subsets_by_host_.find(host); it != subsets_by_host_.end()) out = it->second;
    for (const auto& [h, dr] : wildcard_drs_) {
      if (!hosts_match(h, host)) continue;
      for (const auto& s : dr->subsets) out.insert(s.name);
    }
    return out;
  }

  void check_destination(const config::Destination& d, const std::string& ns, const std::string& path,
                         const std::string& resource, config::SourceLocation fallback) {
    const auto loc = d.location.line ? d.location : fallback;
    const std::string host = fqdn(d.host, ns);
    if (!host_known(host)) {
      add("IST0101", "ReferencedResourceNotFound", Severity::Error, loc, path + ".host",
          "Referenced host not found: \"" + d.host + "\" (" + host +
              " is no Service or ServiceEntry host; requests routed here get 503 NC)" + host_hint(d.host, ns),
          resource);
      return;
    }
    if (!d.subset.empty()) {
      const auto subsets = subsets_for(host);
      if (!subsets.count(d.subset))
        add("IST0101", "ReferencedResourceNotFound", Severity::Error, loc, path + ".subset",
            "Referenced host+subset in destinationrule not found: \"" + host + "+" + d.subset +
                "\" (no DestinationRule declares the subset, so its cluster does not exist: 503 NC)" +
                config::did_you_mean(d.subset, std::vector<std::string>(subsets.begin(), subsets.end())),
            resource);
    }
  }

  static std::string match_key(const config::HTTPMatchRequest& m) {
    auto sm = [](const config::StringMatch& s) { return std::to_string(static_cast<int>(s.kind)) + ":" + s.value; };
    std::string k = sm(m.uri) + "|" + sm(m.scheme) + "|" + sm(m.method) + "|" + sm(m.authority) + "|";
    for (const auto& h : m.headers) k += "h" + h.name + "=" + sm(h.match) + ";";
    for (const auto& q : m.query_params) k += "q" + q.name + "=" + sm(q.match) + ";";
    for (const auto& h : m.without_headers) k += "w" + h.name + "=" + sm(h.match) + ";";
    k += std::to_string(m.ignore_uri_case) + "|" + std::to_string(m.port) + "|" + m.source_namespace + "|";
    for (const auto& [a, b] : m.source_labels) k += a + "=" + b + ",";
    for (const auto& g : m.gateways) k += g + ",";
    return k;
  }

  static bool catch_all(const config::HTTPMatchRequest& m) {
    const bool any_uri = m.uri.kind == config::StringMatch::Kind::Unset ||
                         (m.uri.kind == config::StringMatch::Kind::Prefix && m.uri.value == "/") ||
                         (m.uri.kind == config::StringMatch::Kind::Regex && m.uri.value == ".*");
    return any_uri && !m.scheme.is_set() && !m.method.is_set() && !m.authority.is_set() && m.headers.empty() &&
           m.query_params.empty() && m.without_headers.empty() && m.port == 0 && m.source_labels.empty() &&
           m.gateways.empty() && m.source_namespace.empty();
  }

  // IST0130 / IST0131: rules and matches that can never be used (docs/semantics.md §2.1: first match wins).
  void unreachable_rules(const config::VirtualService& vs, const std::string& res) {
    std::set<std::string> seen;
    bool catch_all_seen = false;
    std::size_t catch_all_rule = 0;
    for (std::size_t i = 0; i < vs.http.size(); ++i) {
      const auto& r = vs.http[i];
      const std::string p = "spec.http[" + std::to_string(i) + "]";
      if (catch_all_seen) {
        add("IST0130", "VirtualServiceUnreachableRule", Severity::Warning, r.location, p,
            "VirtualService rule #" + std::to_string(i) + " not used (rule #" + std::to_string(catch_all_rule) +
                " before it matches every request)",
            res);
        continue;
      }
      if (r.match.empty()) {
        catch_all_seen = true;
        catch_all_rule = i;
        continue;
      }
      std::size_t unreachable = 0;
      std::vector<std::size_t> dup_matches;
      for (std::size_t j = 0; j < r.match.size(); ++j) {
        const std::string k = match_key(r.match[j]);
        if (!seen.insert(k).second) {
          ++unreachable;
          dup_matches.push_back(j);
        }
        if (catch_all(r.match[j])) {
          catch_all_seen = true;
          catch_all_rule = i;
        }
      }
      if (unreachable == r.match.size()) {
        add("IST0130", "VirtualServiceUnreachableRule", Severity::Warning, r.location, p,
            "VirtualService rule #" + std::to_string(i) + " not used (every match repeats an earlier one)", res);
      } else {
        for (std::size_t j : dup_matches)
          add("IST0131", "VirtualServiceIneffectiveMatch", Severity::Note,
              r.match[j].location.line ? r.match[j].location : r.location, p + ".match[" + std::to_string(j) + "]",
              "VirtualService rule #" + std::to_string(i) + " match #" + std::to_string(j) +
                  " is not used (an earlier match is the same)",
              res);
      }
    }
  }

  void virtual_services() {
    for (const auto& vs : store_.virtual_services()) {
      const std::string ns = vs.meta.namespace_;
      const std::string res = "VirtualService " + ns + "/" + vs.meta.name;
      for (std::size_t i = 0; i < vs.gateways.size(); ++i) {
        const std::string g = normalize_gateway(vs.gateways[i], ns);
        if (g != "mesh" && !find_gateway(g))
          add("IST0101", "ReferencedResourceNotFound", Severity::Error, vs.meta.location,
              "spec.gateways[" + std::to_string(i) + "]",
              "Referenced gateway not found: \"" + vs.gateways[i] + "\" (no Gateway " + g + ")", res);
      }
      // Destinations, mirrors and delegates.
      for (std::size_t i = 0; i < vs.http.size(); ++i) {
        const auto& r = vs.http[i];
        const std::string p = "spec.http[" + std::to_string(i) + "]";
        for (std::size_t j = 0; j < r.route.size(); ++j)
          check_destination(r.route[j].destination, ns, p + ".route[" + std::to_string(j) + "].destination", res,
                            r.location);
        if (r.mirror) check_destination(*r.mirror, ns, p + ".mirror", res, r.location);
        for (std::size_t j = 0; j < r.mirrors.size(); ++j)
          check_destination(r.mirrors[j].destination, ns, p + ".mirrors[" + std::to_string(j) + "].destination", res,
                            r.location);
        if (r.delegate) {
          const std::string dns = r.delegate->namespace_.empty() ? ns : r.delegate->namespace_;
          if (!virtual_service_names_.count(dns + "/" + r.delegate->name))
            add("IST0101", "ReferencedResourceNotFound", Severity::Error, r.location, p + ".delegate",
                "Referenced delegate VirtualService not found: \"" + dns + "/" + r.delegate->name +
                    "\" (the rule is dropped)",
                res);
        }
      }
      for (std::size_t i = 0; i < vs.tcp.size(); ++i)
        for (std::size_t j = 0; j < vs.tcp[i].route.size(); ++j)
          check_destination(vs.tcp[i].route[j].destination, ns,
                            "spec.tcp[" + std::to_string(i) + "].route[" + std::to_string(j) + "].destination", res,
                            vs.tcp[i].location);
      for (std::size_t i = 0; i < vs.tls.size(); ++i)
        for (std::size_t j = 0; j < vs.tls[i].route.size(); ++j)
          check_destination(vs.tls[i].route[j].destination, ns,
                            "spec.tls[" + std::to_string(i) + "].route[" + std::to_string(j) + "].destination", res,
                            vs.tls[i].location);

      unreachable_rules(vs, res);

      // IST0132: hosts the bound gateways do not serve.
      for (std::size_t gi = 0; gi < vs.gateways.size(); ++gi) {
        const std::string g = normalize_gateway(vs.gateways[gi], ns);
        if (g == "mesh") continue;
        const config::Gateway* gw = find_gateway(g);
        if (!gw) continue;
        for (std::size_t hi = 0; hi < vs.hosts.size(); ++hi) {
          const std::string vh = lower(vs.hosts[hi]);
          bool served = false;
          for (const auto& s : gw->servers) {
            for (const auto& raw : s.hosts) {
              std::string h = lower(raw), hns = "*";
              if (auto slash = h.find('/'); slash != std::string::npos) {
                hns = h.substr(0, slash);
                h = h.substr(slash + 1);
                if (hns == ".") hns = gw->meta.namespace_;
              }
              if ((hns == "*" || hns == ns) && hosts_match(h, vh)) served = true;
            }
          }
          if (!served)
            add("IST0132", "VirtualServiceHostNotFoundInGateway", Severity::Warning, vs.meta.location,
                "spec.hosts[" + std::to_string(hi) + "]",
                "one or more host [" + vs.hosts[hi] + "] defined in VirtualService " + ns + "/" + vs.meta.name +
                    " not found in Gateway " + g + " (the gateway gives it no virtual host: 404)",
                res);
        }
      }
    }
  }

  void conflicting_mesh_hosts() {
    // IST0109: two VirtualServices bound to the mesh for the same host; sidecars use only the
    // oldest (docs/semantics.md §1.3).
    std::map<std::string, std::vector<const config::VirtualService*>> by_host;
    for (const auto& vs : store_.virtual_services()) {
      if (vs.hosts.empty()) continue;
      const bool mesh = vs.gateways.empty() || std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
      if (!mesh) continue;
      for (const auto& h : vs.hosts) by_host[fqdn(h, vs.meta.namespace_)].push_back(&vs);
    }
    for (const auto& [host, list] : by_host) {
      if (list.size() < 2) continue;
      std::string names;
      for (const auto* vs : list) names += (names.empty() ? "" : ",") + vs->meta.namespace_ + "/" + vs->meta.name;
      for (std::size_t i = 1; i < list.size(); ++i)
        add("IST0109", "ConflictingMeshGatewayVirtualServiceHosts", Severity::Error, list[i]->meta.location, "spec.hosts",
            "The VirtualServices " + names + " associated with mesh define the same host or wildcard host " + host +
                "; sidecars use only the oldest, " + list[0]->meta.namespace_ + "/" + list[0]->meta.name,
            "VirtualService " + list[i]->meta.namespace_ + "/" + list[i]->meta.name);
    }
  }

  void destination_rules() {
    const auto& drs = store_.destination_rules();
    for (std::size_t di = 0; di < drs.size(); ++di) {
      const auto& dr = drs[di];
      const std::string res = "DestinationRule " + dr.meta.namespace_ + "/" + dr.meta.name;
      const std::string& host = dr_hosts_[di];
      std::vector<const registry::Service*> services;
      if (is_wildcard(host)) {
        for (const auto& s : reg_.services())
          if (hosts_match(host, s.hostname)) services.push_back(&s);
      } else if (auto it = services_by_host_.find(host); it != services_by_host_.end()) {
        services = it->second;
      }
      if (services.empty() && !host_known(host)) {
        add("IST0174", "UnknownDestinationRuleHost", Severity::Warning, dr.meta.location, "spec.host",
            "DestinationRule for non-existent service " + host + " (its policy applies to nothing)", res);
        continue;
      }
      for (std::size_t i = 0; i < dr.subsets.size(); ++i) {
        const auto& sub = dr.subsets[i];
        bool selects = false;
        bool checkable = false;
        for (const registry::Service* s : services) {
          if (!s->pods.empty() || !s->external_endpoints.empty() || (s->k8s && s->k8s->has_selector)) checkable = true;
          for (std::uint32_t p : s->pods)
            if (labels_subset(sub.labels, reg_.pods()[p].labels)) selects = true;
          for (std::uint32_t e : s->external_endpoints)
            if (labels_subset(sub.labels, reg_.external_endpoints()[e].labels)) selects = true;
        }
        if (checkable && !selects)
          add("IST0173", "DestinationRuleSubsetNotSelectPods", Severity::Warning,
              sub.location.line ? sub.location : dr.meta.location, "spec.subsets[" + std::to_string(i) + "]",
              "The Subset " + sub.name + " defined in the DestinationRule does not select any pods (labels " +
                  [&] {
                    std::string l;
                    for (const auto& [k, v] : sub.labels) l += (l.empty() ? "" : ",") + k + "=" + v;
                    return l;
                  }() +
                  "); traffic routed to it gets 503 UH",
              res);
      }
    }
  }

  // Pods a Gateway's selector picks (any namespace, as istiod does by default).
  std::vector<const registry::Pod*> gateway_pods(const config::Gateway& g) const {
    std::vector<const registry::Pod*> out;
    for (const auto& p : reg_.pods())
      if (labels_subset(g.selector, p.labels) && (!g.selector.empty() || p.gateway_proxy)) out.push_back(&p);
    return out;
  }

  void gateways() {
    const auto& gws = store_.gateways();
    for (const auto& g : gws) {
      const std::string res = "Gateway " + g.meta.namespace_ + "/" + g.meta.name;
      if (g.meta.annotations.count("internal.istio.io/gateway-service")) continue;
      const auto pods = gateway_pods(g);
      if (pods.empty()) {
        std::string sel;
        for (const auto& [k, v] : g.selector) sel += (sel.empty() ? "" : ",") + k + "=" + v;
        add("IST0101", "ReferencedResourceNotFound", Severity::Error, g.meta.location, "spec.selector",
            "Referenced selector not found: \"" + sel + "\" (no gateway pod carries these labels; its servers open nowhere)",
            res);
        continue;
      }
      // IST0104: a server port no Service port or container port of the selected pods has.
      for (std::size_t i = 0; i < g.servers.size(); ++i) {
        const std::uint32_t port = g.servers[i].port.number;
        bool exposed = false;
        for (const registry::Pod* p : pods) {
          for (const auto& cp : p->container_ports)
            if (cp.container_port == port) exposed = true;
          const auto idx = static_cast<std::uint32_t>(p - reg_.pods().data());
          for (std::uint32_t si : reg_.services_of_pod(idx))
            if (reg_.services()[si].find_port(port)) exposed = true;
        }
        if (!exposed)
          add("IST0104", "GatewayPortNotOnWorkload", Severity::Warning, g.servers[i].location.line ? g.servers[i].location : g.meta.location,
              "spec.servers[" + std::to_string(i) + "].port",
              "The gateway refers to a port that is not exposed on the workload (port " + std::to_string(port) + ")",
              res);
      }
    }
    // IST0145: two Gateways selecting the same workloads with servers on one port for
    // overlapping hosts.
    for (std::size_t a = 0; a < gws.size(); ++a) {
      for (std::size_t b = a + 1; b < gws.size(); ++b) {
        if (gws[a].selector != gws[b].selector || gws[a].selector.empty()) continue;
        for (const auto& sa : gws[a].servers) {
          for (const auto& sb : gws[b].servers) {
            if (sa.port.number != sb.port.number || sa.bind != sb.bind) continue;
            bool overlap = false;
            for (const auto& ha : sa.hosts)
              for (const auto& hb : sb.hosts) {
                auto strip = [](std::string h) { return lower(h.find('/') == std::string::npos ? h : h.substr(h.find('/') + 1)); };
                if (hosts_match(strip(ha), strip(hb))) overlap = true;
              }
            if (!overlap) continue;
            add("IST0145", "ConflictingGateways", Severity::Error, gws[b].meta.location, "spec.servers",
                "Conflict with gateways " + gws[a].meta.namespace_ + "/" + gws[a].meta.name + " (workload selector " +
                    [&] {
                      std::string s;
                      for (const auto& [k, v] : gws[b].selector) s += (s.empty() ? "" : ",") + k + "=" + v;
                      return s;
                    }() +
                    ", port " + std::to_string(sb.port.number) + ", hosts overlap): only one server is used",
                "Gateway " + gws[b].meta.namespace_ + "/" + gws[b].meta.name);
          }
        }
      }
    }
  }

  void services() {
    for (const auto& s : reg_.services()) {
      if (!s.k8s || s.origin != registry::Service::Origin::Kubernetes) continue;
      const std::string res = "Service " + s.namespace_ + "/" + s.name;
      if (s.k8s->has_selector && !s.k8s->selector.empty() && s.pods.empty() && s.external_endpoints.empty())
        add("MT0001", "ServiceSelectsNoPods", Severity::Warning, s.k8s->meta.location, "spec.selector",
            "Service " + s.namespace_ + "/" + s.name + " selects no pods: requests to it get 503 UH (no healthy upstream)",
            res);
      if (s.namespace_ == "kube-system") continue;
      for (std::size_t i = 0; i < s.k8s->ports.size(); ++i) {
        const auto& p = s.k8s->ports[i];
        if (!p.app_protocol.empty() || p.protocol == "UDP") continue;
        if (registry::protocol_from_port(p.name, "") == registry::Protocol::Unknown)
          add("IST0118", "PortNameIsNotUnderNamingConvention", Severity::Note,
              p.location.line ? p.location : s.k8s->meta.location, "spec.ports[" + std::to_string(i) + "].name",
              "Port name " + (p.name.empty() ? std::string("(empty)") : p.name) +
                  " (port: " + std::to_string(p.port) +
                  ") doesn't follow the naming convention of Istio port (<protocol>[-<suffix>]); protocol sniffing decides",
              res);
      }
    }
  }

  // The PeerAuthentication mode that applies to a pod (workload selector, then namespace, then
  // the root namespace's mesh-wide policy).
  std::string peer_mode(const registry::Pod& pod, std::uint32_t port) const {
    const config::PeerAuthentication* workload = nullptr;
    const config::PeerAuthentication* ns = nullptr;
    const config::PeerAuthentication* mesh = nullptr;
    for (const auto& pa : store_.peer_authentications()) {
      if (pa.meta.namespace_ == pod.namespace_ && pa.selector && !pa.selector->empty()) {
        if (!workload && labels_subset(*pa.selector, pod.labels)) workload = &pa;
      } else if (pa.meta.namespace_ == pod.namespace_ && !ns) {
        ns = &pa;
      } else if (pa.meta.namespace_ == "istio-system" && (!pa.selector || pa.selector->empty()) && !mesh) {
        mesh = &pa;
      }
    }
    for (const auto* pa : {workload, ns, mesh}) {
      if (!pa) continue;
      if (auto it = pa->port_level.find(port); it != pa->port_level.end() && !it->second.empty() && it->second != "UNSET")
        return it->second;
      if (!pa->mode.empty() && pa->mode != "UNSET") return pa->mode;
    }
    return "PERMISSIVE";  // Istio's default
  }

  void mtls_conflicts() {
    // IST0113: a DestinationRule whose client TLS mode the servers' PeerAuthentication refuses;
    // real requests fail (503 UF / connection reset) where meshtwin, which does not model mTLS,
    // would let them through.
    const auto& drs = store_.destination_rules();
    for (std::size_t di = 0; di < drs.size(); ++di) {
      const auto& dr = drs[di];
      if (!dr.traffic_policy || !dr.traffic_policy->tls) continue;
      const std::string mode = dr.traffic_policy->tls->mode;
      const std::string& host = dr_hosts_[di];
      const registry::Service* svc = reg_.find_service(host);
      if (!svc) continue;
      for (std::uint32_t p : svc->pods) {
        const registry::Pod& pod = reg_.pods()[p];
        const std::uint32_t port = svc->ports.empty() ? 0 : svc->ports[0].target_port_number;
        const std::string peer = peer_mode(pod, port);
        std::string why;
        if (mode == "DISABLE" && peer == "STRICT")
          why = "the DestinationRule sends plaintext (tls mode DISABLE) but PeerAuthentication STRICT requires mTLS";
        else if (mode == "ISTIO_MUTUAL" && peer == "DISABLE")
          why = "the DestinationRule sends Istio mTLS but PeerAuthentication DISABLE expects plaintext";
        if (why.empty()) continue;
        add("IST0113", "MTLSPolicyConflict", Severity::Error, dr.traffic_policy->tls ? dr.meta.location : dr.meta.location,
            "spec.trafficPolicy.tls.mode",
            "A DestinationRule and PeerAuthentication are in conflict for " + host + ": " + why +
                "; a real mesh answers 503 (meshtwin does not simulate mTLS and would not)",
            "DestinationRule " + dr.meta.namespace_ + "/" + dr.meta.name);
        break;
      }
    }
  }

  void unsimulated() {
    config::Diagnostics d;
    warn_unsimulated(store_, d);
    for (const auto& x : d.items())
      add(x.field_path == "metadata.labels" ? "MT0003" : "MT0002",
          x.field_path == "metadata.labels" ? "AmbientNotSimulated" : "ResourceNotSimulated", Severity::Warning,
          x.location, x.field_path, x.message, "");
  }

  const config::ConfigStore& store_;
  const registry::Registry& reg_;
  std::vector<Finding> findings_;
  // Built once by the constructor.
  registry::StringMap<std::vector<const registry::Service*>> services_by_host_;
  std::vector<const registry::Service*> wildcard_services_;
  std::vector<std::string> dr_hosts_;  // fqdn(dr.host), by index in store_.destination_rules()
  registry::StringMap<std::set<std::string>> subsets_by_host_;  // non-wildcard DestinationRule hosts
  std::vector<std::pair<std::string, const config::DestinationRule*>> wildcard_drs_;
  registry::StringMap<const config::Gateway*> gateways_by_name_;
  std::set<std::string> virtual_service_names_;  // namespace/name
};

}  // namespace

std::vector<Finding> lint(const config::ConfigStore& store, const registry::Registry& registry,
                          const config::Diagnostics* load_diags) {
  return Linter(store, registry).run(load_diags);
}

void warn_unsimulated(const config::ConfigStore& store, config::Diagnostics& diags) {
  for (const auto& u : store.unmodelled()) {
    // The Gateway API and Ingress are translated; everything else of Istio's API is not simulated.
    const bool translated = u.api_version.starts_with("gateway.networking.k8s.io") ||
                            (u.api_version.starts_with("networking.k8s.io") && u.kind == "Ingress");
    if (translated) continue;
    std::string effect = "it is not simulated";
    if (u.kind == "PeerAuthentication") effect = "mTLS is not simulated: every call succeeds as plaintext would";
    else if (u.kind == "AuthorizationPolicy") effect = "authorization is not simulated: no request is denied (403)";
    else if (u.kind == "RequestAuthentication") effect = "JWT validation is not simulated";
    else if (u.kind == "EnvoyFilter") effect = "Envoy patches are not simulated: routing is what the other resources say";
    else if (u.kind == "Telemetry" || u.kind == "WasmPlugin") effect = "it is not simulated (no effect on routing)";
    else if (u.kind == "WorkloadEntry" || u.kind == "WorkloadGroup") effect = "VM workloads are not simulated: no endpoints come from it";
    diags.warning(u.meta.location, "kind",
                  u.kind + " " + u.meta.namespace_ + "/" + u.meta.name + " (" + u.api_version + "): " + effect);
  }
  for (const auto& ns : store.namespaces()) {
    auto it = ns.meta.labels.find("istio.io/dataplane-mode");
    if (it != ns.meta.labels.end() && it->second == "ambient")
      diags.warning(ns.meta.location, "metadata.labels",
                    "namespace " + ns.meta.name + " is in ambient mode (ztunnel, waypoints), which meshtwin does not "
                    "simulate; its pods are treated as having sidecars");
  }
  // DestinationRule client TLS: read, never simulated.
  for (const auto& dr : store.destination_rules())
    if (dr.traffic_policy && dr.traffic_policy->tls && !dr.traffic_policy->tls->mode.empty())
      diags.warning(dr.meta.location, "spec.trafficPolicy.tls",
                    "DestinationRule " + dr.meta.namespace_ + "/" + dr.meta.name + " tls mode " +
                        dr.traffic_policy->tls->mode + " is not simulated (mTLS and TLS origination are not modelled)");
}

const char* level_name(Severity s) {
  return s == Severity::Error ? "Error" : s == Severity::Warning ? "Warning" : "Info";
}

std::string documentation_url(const std::string& code) {
  std::string lower_code = lower(code);
  if (code.rfind("IST", 0) == 0) return "https://istio.io/latest/docs/reference/config/analysis/" + lower_code + "/";
  return "docs/explain-lint.md#" + lower_code;
}

std::string format(const Finding& f, bool with_field_path) {
  // istioctl: "%v [%v]%s %s" with origin " (Kind ns/name file:line)".
  std::string out = std::string(level_name(f.severity)) + " [" + f.code + "]";
  std::string reference;
  if (!f.location.file.empty()) {
    reference = f.location.file;
    if (f.location.line) reference += ":" + std::to_string(f.location.line);
  }
  if (!f.resource.empty() || !reference.empty()) {
    out += " (" + f.resource;
    if (!f.resource.empty() && !reference.empty()) out += " ";
    out += reference + ")";
  }
  out += " " + f.message;
  if (with_field_path && !f.field_path.empty()) out += " at " + f.field_path;
  return out;
}

}  // namespace meshtwin::analysis
