#include "model/synth/mesh_generator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "engine/rng.h"

namespace meshtwin::synth {
namespace {

// Generous ceilings: a mesh past them is not a twin anyone can run on one machine, and the
// text alone would be gigabytes.
constexpr int kMaxServices = 100'000;
constexpr int kMaxDepth = 64;
constexpr int kMaxFanout = 64;
constexpr int kMaxNamespaces = 10'000;

std::string namespace_of(const MeshShape& shape, int index) {
  return shape.namespaces == 1 ? std::string("default") : fmt::format("ns-{}", index % shape.namespaces);
}

// Layer sizes: as even as possible, earlier layers take the remainder.
std::vector<int> layer_sizes(const MeshShape& shape) {
  const int depth = std::min(shape.depth, shape.services);
  std::vector<int> sizes(depth, shape.services / depth);
  for (int l = 0; l < shape.services % depth; ++l) ++sizes[l];
  return sizes;
}

// Every service of layer l+1 gets one caller from layer l (so nothing is unreachable), then each
// caller of layer l tops up to its drawn fanout with distinct callees of layer l+1.
void wire_calls(const MeshShape& shape, const std::vector<int>& first, const std::vector<int>& sizes,
                std::vector<GeneratedService>& services) {
  engine::RngStream rng(shape.seed, "synth/calls");
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const int callers = sizes[l];
    const int callees = sizes[l + 1];
    std::vector<std::vector<int>> chosen(callers);
    for (int j = 0; j < callees; ++j) {
      const int caller = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(callers)));
      chosen[caller].push_back(j);
    }
    std::vector<int> pool(callees);
    for (int i = 0; i < callers; ++i) {
      const int span = shape.fanout_max - shape.fanout_min + 1;
      const int want = std::min(callees, shape.fanout_min + static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(span))));
      auto& mine = chosen[i];
      if (static_cast<int>(mine.size()) < want) {
        // Partial Fisher-Yates over the callees not chosen yet.
        std::iota(pool.begin(), pool.end(), 0);
        std::erase_if(pool, [&](int j) { return std::find(mine.begin(), mine.end(), j) != mine.end(); });
        for (int k = 0; static_cast<int>(mine.size()) < want; ++k) {
          const auto pick = k + static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(pool.size() - k)));
          std::swap(pool[k], pool[pick]);
          mine.push_back(pool[k]);
        }
      }
      std::sort(mine.begin(), mine.end());
      for (int j : mine) services[first[l] + i].calls.push_back(first[l + 1] + j);
    }
  }
}

std::string deployment(const GeneratedService& s, const char* version) {
  return fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata: {{name: {0}-{2}, namespace: {1}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {0}, version: {2}}}}}
  template:
    metadata: {{labels: {{app: {0}, version: {2}}}}}
    spec: {{containers: [{{name: app, image: app, ports: [{{containerPort: 8080}}]}}]}}
---
)",
                     s.name, s.namespace_, version);
}

std::string service_manifests(const GeneratedService& s) {
  std::string out = fmt::format(R"(apiVersion: v1
kind: Service
metadata: {{name: {0}, namespace: {1}, labels: {{app: {0}}}}}
spec:
  ports: [{{port: 8080, name: http}}]
  selector: {{app: {0}}}
---
)",
                                s.name, s.namespace_);
  out += deployment(s, "v1");
  if (s.canary) out += deployment(s, "v2");
  out += fmt::format(R"(apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {0}, namespace: {1}}}
spec:
  host: {0}
  trafficPolicy: {{connectionPool: {{http: {{http1MaxPendingRequests: 1024}}}}}}
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
)",
                     s.name, s.namespace_);
  if (s.canary) out += "  - {name: v2, labels: {version: v2}}\n";
  out += fmt::format(R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {0}, namespace: {1}}}
spec:
  hosts: [{0}]
  http:
  - retries: {{attempts: 2, perTryTimeout: 1s}}
    route:
)",
                     s.name, s.namespace_);
  if (s.canary) {
    out += fmt::format("    - {{destination: {{host: {0}, subset: v1}}, weight: 90}}\n"
                       "    - {{destination: {{host: {0}, subset: v2}}, weight: 10}}\n",
                       s.name);
  } else {
    out += fmt::format("    - {{destination: {{host: {0}, subset: v1}}}}\n", s.name);
  }
  out += "---\n";
  return out;
}

// The host a caller in `from_ns` uses for `to`: the short name within a namespace, name.ns
// across namespaces (Kubernetes DNS search paths).
std::string call_host(const GeneratedService& to, const std::string& from_ns) {
  return to.namespace_ == from_ns ? to.name : to.name + "." + to.namespace_;
}

}  // namespace

std::string validate(const MeshShape& shape) {
  if (shape.services < 1 || shape.services > kMaxServices)
    return fmt::format("services: must be between 1 and {}, got {}", kMaxServices, shape.services);
  if (shape.depth < 1 || shape.depth > kMaxDepth)
    return fmt::format("depth: must be between 1 and {}, got {}", kMaxDepth, shape.depth);
  if (shape.fanout_min < 1 || shape.fanout_max < shape.fanout_min || shape.fanout_max > kMaxFanout)
    return fmt::format("fanout: must be MIN-MAX with 1 <= MIN <= MAX <= {}, got {}-{}", kMaxFanout,
                       shape.fanout_min, shape.fanout_max);
  if (!(shape.canary_share >= 0 && shape.canary_share <= 1))
    return fmt::format("canary-share: must be between 0 and 1, got {}", shape.canary_share);
  if (shape.namespaces < 1 || shape.namespaces > kMaxNamespaces)
    return fmt::format("namespaces: must be between 1 and {}, got {}", kMaxNamespaces, shape.namespaces);
  if (!(shape.rate > 0 && shape.rate <= 1e7)) return fmt::format("rate: must be in (0, 1e7], got {}", shape.rate);
  if (shape.requests < 1 || shape.requests > 1'000'000'000)
    return fmt::format("requests: must be between 1 and 1e9, got {}", shape.requests);
  if (shape.record != "metrics" && shape.record != "all")
    return fmt::format("record: must be metrics or all, got \"{}\"", shape.record);
  return {};
}

GeneratedMesh generate(const MeshShape& shape, const std::string& manifests_file) {
  GeneratedMesh mesh;
  const std::vector<int> sizes = layer_sizes(shape);
  std::vector<int> first(sizes.size(), 0);
  for (std::size_t l = 1; l < sizes.size(); ++l) first[l] = first[l - 1] + sizes[l - 1];

  // Which services get a canary: an exact share, spread by a seeded shuffle.
  engine::RngStream canary_rng(shape.seed, "synth/canary");
  std::vector<int> order(shape.services);
  std::iota(order.begin(), order.end(), 0);
  for (int i = shape.services - 1; i > 0; --i)
    std::swap(order[i], order[static_cast<int>(canary_rng.uniform_int(static_cast<std::uint64_t>(i + 1)))]);
  const int canaries = static_cast<int>(std::lround(shape.canary_share * shape.services));
  std::vector<bool> canary(shape.services, false);
  for (int i = 0; i < canaries; ++i) canary[order[i]] = true;

  for (std::size_t l = 0; l < sizes.size(); ++l) {
    for (int i = 0; i < sizes[l]; ++i) {
      const int index = first[l] + i;
      mesh.services.push_back({fmt::format("svc-{}-{}", l, i), namespace_of(shape, index), static_cast<int>(l),
                               canary[index], {}});
    }
  }
  wire_calls(shape, first, sizes, mesh.services);

  // Manifests: namespaces, the load generator, then every service.
  const std::string client_ns = namespace_of(shape, 0);
  std::string& m = mesh.manifests;
  for (int n = 0; shape.namespaces > 1 && n < shape.namespaces; ++n)
    m += fmt::format("apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{}, labels: {{istio-injection: enabled}}}}\n---\n", n);
  m += fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata: {{name: loadgen, namespace: {}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: loadgen}}}}
  template:
    metadata: {{labels: {{app: loadgen}}}}
    spec: {{containers: [{{name: app, image: loadgen}}]}}
---
)",
                   client_ns);
  for (const auto& s : mesh.services) m += service_manifests(s);

  // Scenario: apps by layer (leaves answer faster and fail 1 % of the time), one client per
  // entry service sharing the total rate.
  const int entries = sizes.front();
  const double seconds = static_cast<double>(shape.requests) / shape.rate;
  std::string& sc = mesh.scenario;
  const char* record = shape.record == "all" ? "{requests: all, spans: all, metricsInterval: 1s}"
                                             : "{requests: none, spans: 0, metricsInterval: 1s}";
  sc += fmt::format(R"(# Generated by `meshtwin gen-mesh`: {} services in {} layers, fanout {}-{}, {} with a
# 90/10 canary, {} namespace(s), seed {}.
apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {{name: synthetic-{}}}
spec:
  seed: {}
  duration: {}s
  manifests: [{}]
  network:
    latency: {{lognormal: {{p50: 300us, p99: 2ms}}}}
  record: {}
  apps:
)",
                    shape.services, sizes.size(), shape.fanout_min, shape.fanout_max, canaries, shape.namespaces,
                    shape.seed, shape.services, shape.seed, seconds, manifests_file, record);
  for (const auto& s : mesh.services) {
    for (const char* version : {"v1", "v2"}) {
      if (std::string_view(version) == "v2" && !s.canary) continue;
      const bool leaf = s.calls.empty();
      sc += fmt::format("    {}/{}-{}:\n      workers: 8\n      serviceTime: {}\n", s.namespace_, s.name, version,
                        leaf ? "{lognormal: {p50: 1ms, p99: 5ms}}" : "{lognormal: {p50: 2ms, p99: 10ms}}");
      if (leaf) sc += "      failures: [{rate: 0.01, kind: status, status: 503}]\n";
      if (!s.calls.empty()) {
        sc += "      calls:\n";
        for (int c : s.calls)
          sc += fmt::format("        - {{to: \"http://{}:8080/\", timeout: 2s}}\n",
                            call_host(mesh.services[c], s.namespace_));
      }
    }
  }
  sc += "  clients:\n";
  for (int i = 0; i < entries; ++i) {
    const auto& s = mesh.services[i];
    sc += fmt::format("    - {{name: c{}, from: {{workload: {}/loadgen}}, to: \"http://{}:8080/\", "
                      "rate: {{poisson: {}}}, timeout: 10s}}\n",
                      i, client_ns, call_host(s, client_ns), shape.rate / entries);
  }
  return mesh;
}

}  // namespace meshtwin::synth
