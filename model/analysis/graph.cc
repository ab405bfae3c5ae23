// service_graph_dot: a Boost.Graph of services, workloads and gateways, written with
// boost::write_graphviz.
#include "model/analysis/graph.h"

#include "model/xds/trace.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>

#include <map>
#include <set>
#include <sstream>

namespace meshtwin::analysis {

namespace {

struct Vertex {
  std::string label;
  std::string shape;  // box: workload, ellipse: service, diamond: gateway, note: outside the mesh
};

struct Edge {
  std::string label;
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, Vertex, Edge>;

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";  // Graphviz's line break inside a label
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class Builder {
 public:
  Builder(const config::ConfigStore& store, const registry::Registry& reg, const xds::MeshOptions& mesh)
      : store_(store), reg_(reg), mesh_(mesh) {}

  std::string run() {
    services();
    gateways();
    std::ostringstream out;
    boost::write_graphviz(
        out, g_,
        [&](std::ostream& o, Graph::vertex_descriptor v) {
          o << "[label=" << quote(g_[v].label) << ", shape=" << g_[v].shape << "]";
        },
        [&](std::ostream& o, Graph::edge_descriptor e) {
          if (!g_[e].label.empty()) o << "[label=" << quote(g_[e].label) << "]";
        },
        [](std::ostream& o) { o << "rankdir=LR;\nnode [fontname=\"DejaVu Sans\", fontsize=10];\n"; });
    return out.str();
  }

 private:
  Graph::vertex_descriptor vertex(const std::string& key, const std::string& label, const std::string& shape) {
    auto it = vertices_.find(key);
    if (it != vertices_.end()) return it->second;
    auto v = boost::add_vertex(Vertex{label, shape}, g_);
    vertices_.emplace(key, v);
    return v;
  }

  void edge(Graph::vertex_descriptor from, Graph::vertex_descriptor to, const std::string& label) {
    if (!edges_.insert(std::to_string(from) + ">" + std::to_string(to) + ":" + label).second) return;
    boost::add_edge(from, to, Edge{label}, g_);
  }

  Graph::vertex_descriptor service_vertex(const std::string& host) {
    const registry::Service* s = reg_.find_service(host);
    const bool external = s && s->mesh_external;
    return vertex("svc:" + host, host, external ? "note" : "ellipse");
  }

  // The workloads (or outside addresses) a cluster's endpoints belong to.
  void cluster_edges(Graph::vertex_descriptor from, const xds::ProxyConfig& cfg, const xds::WeightedCluster& wc,
                     const std::string& label) {
    const std::int32_t i = cfg.find_cluster(wc.name);
    if (i == xds::kNoCluster) {
      edge(from, vertex("missing:" + wc.name, wc.name + "\n(no such cluster: 503 NC)", "octagon"), label);
      return;
    }
    const xds::Cluster& c = cfg.clusters[static_cast<std::size_t>(i)];
    std::set<std::string> seen;
    for (const auto& ep : c.endpoints) {
      if (ep.is_pod()) {
        const auto& pod = reg_.pods()[ep.pod];
        const std::string key = "wl:" + pod.namespace_ + "/" + pod.workload;
        if (seen.insert(key).second)
          edge(from, vertex(key, pod.namespace_ + "/" + pod.workload, pod.gateway_proxy ? "diamond" : "box"), label);
      } else if (seen.insert("ext:" + ep.address).second) {
        edge(from, vertex("ext:" + ep.address, ep.address, "note"), label);
      }
    }
    if (c.endpoints.empty() && !c.service_hostname.empty())
      edge(from, vertex("none:" + c.name, c.name + "\n(no endpoints: 503 UH)", "octagon"), label);
  }

  static std::string route_label(const xds::Route& r, const xds::WeightedCluster& wc, std::uint64_t total,
                                 const xds::Cluster* c) {
    std::string label = r.vs_rule == "-" || r.vs_rule.empty() ? std::string() : r.vs_rule;
    if (!(r.match.path_kind == xds::RouteMatch::PathKind::Prefix && r.match.path == "/") || !r.match.headers.empty())
      label += (label.empty() ? "" : "\n") + xds::describe_match(r.match);
    if (c && !c->subset.empty()) label += (label.empty() ? "" : "\n") + std::string("subset ") + c->subset;
    if (r.clusters.size() > 1 && total)
      label += (label.empty() ? "" : "\n") + std::to_string(wc.weight * 100 / total) + "%";
    return label;
  }

  void services() {
    // One caller per namespace (no labels): VirtualServices with sourceLabels aimed at particular
    // workloads are not drawn.
    std::map<std::string, std::shared_ptr<const xds::ProxyConfig>> by_ns;
    for (const auto& s : reg_.services()) {
      if (!s.external_name.empty()) continue;
      auto& cfg = by_ns[s.namespace_];
      if (!cfg) {
        xds::ProxyIdentity id;
        id.namespace_ = s.namespace_;
        id.workload = "graph";
        cfg = xds::compile_sidecar(store_, reg_, id, mesh_);
      }
      for (const auto& sp : s.ports) {
        if (sp.protocol == registry::Protocol::UDP) continue;
        const auto from = service_vertex(s.hostname);
        if (registry::is_http(sp.protocol)) {
          const xds::RouteConfiguration* rc = cfg->route_config_for_port(sp.port);
          if (!rc) continue;
          const std::int32_t vh = rc->find_virtual_host(s.hostname);
          if (vh < 0) continue;
          for (const auto& r : rc->virtual_hosts[static_cast<std::size_t>(vh)].routes) {
            if (r.action != xds::Route::Action::Forward) continue;
            for (const auto& wc : r.clusters) {
              const std::int32_t ci = cfg->find_cluster(wc.name);
              const xds::Cluster* c = ci == xds::kNoCluster ? nullptr : &cfg->clusters[static_cast<std::size_t>(ci)];
              cluster_edges(from, *cfg, wc, route_label(r, wc, r.total_weight, c));
            }
          }
        } else if (!s.address.empty()) {
          const xds::Listener* l = cfg->find_listener(s.address, sp.port);
          if (!l) continue;
          for (const auto& fc : l->filter_chains) {
            if (fc.kind != xds::FilterChain::Kind::Tcp) continue;
            for (const auto& wc : fc.tcp.clusters) {
              std::string label = fc.tcp.vs_rule == "-" ? "" : fc.tcp.vs_rule;
              if (fc.tcp.clusters.size() > 1 && fc.tcp.total_weight)
                label += (label.empty() ? "" : "\n") + std::to_string(wc.weight * 100 / fc.tcp.total_weight) + "%";
              cluster_edges(from, *cfg, wc, label);
            }
          }
        }
      }
    }
  }

  void gateways() {
    std::set<std::string> done;
    for (const auto& pod : reg_.pods()) {
      if (!pod.gateway_proxy || !done.insert(pod.namespace_ + "/" + pod.workload).second) continue;
      xds::ProxyIdentity id;
      id.namespace_ = pod.namespace_;
      id.labels = pod.labels;
      id.workload = pod.workload;
      id.ip_addresses = {pod.ip};
      auto cfg = xds::compile_gateway(store_, reg_, id, mesh_);
      if (cfg->listeners.empty()) continue;  // no Gateway selects it
      const auto from = vertex("wl:" + pod.namespace_ + "/" + pod.workload, pod.namespace_ + "/" + pod.workload, "diamond");
      for (const auto& rc : cfg->route_configs)
        for (const auto& vh : rc.virtual_hosts)
          for (const auto& r : vh.routes)
            for (const auto& wc : r.clusters) {
              const std::int32_t ci = cfg->find_cluster(wc.name);
              std::string label = vh.domains.empty() ? "" : vh.domains.front();
              label += " " + xds::describe_match(r.match);
              if (ci == xds::kNoCluster) {
                edge(from, vertex("missing:" + wc.name, wc.name + "\n(no such cluster)", "octagon"), label);
                continue;
              }
              const auto& c = cfg->clusters[static_cast<std::size_t>(ci)];
              if (!c.service_hostname.empty()) edge(from, service_vertex(c.service_hostname), label);
            }
      for (const auto& l : cfg->listeners)
        for (const auto& fc : l.filter_chains)
          for (const auto& wc : fc.tcp.clusters) {
            const std::int32_t ci = cfg->find_cluster(wc.name);
            if (ci == xds::kNoCluster) continue;
            const auto& c = cfg->clusters[static_cast<std::size_t>(ci)];
            if (!c.service_hostname.empty()) edge(from, service_vertex(c.service_hostname), "tcp " + l.name);
          }
    }
  }

  const config::ConfigStore& store_;
  const registry::Registry& reg_;
  const xds::MeshOptions& mesh_;
  Graph g_;
  std::map<std::string, Graph::vertex_descriptor> vertices_;
  std::set<std::string> edges_;
};

}  // namespace

std::string service_graph_dot(const config::ConfigStore& store, const registry::Registry& registry,
                              const xds::MeshOptions& mesh) {
  return Builder(store, registry, mesh).run();
}

}  // namespace meshtwin::analysis
