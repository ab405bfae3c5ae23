// Cost per request as the mesh grows (DESIGN §4: a 1,000-service mesh may cost at most 2× per
// request what a 10-service one does). A synthetic mesh of N services is written to a temp
// folder as ordinary manifests plus a scenario and simulated with no recording:
//   - N/2 front services, each called by its own client, each calling one back service;
//   - N/2 back services, leaves;
//   - every service has a v1 and a v2 Deployment, a DestinationRule with both subsets and a
//     VirtualService splitting 90/10 with a retry policy, so every sidecar's route tables
//     hold N virtual hosts and 2N subset clusters, as in a real namespace of that size.
// The total client rate and the number of client requests are the same for every N, so the
// per-hop-attempt figure compares like with like; only the size of the mesh changes.
//
//   mesh_scale_bench [--requests=N] [google benchmark flags]

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"

namespace {

using namespace meshtwin;

std::uint64_t g_requests = 200'000;
constexpr double kTotalRate = 400.0;  // client requests per simulated second, all clients

class NullSink : public telemetry::Sink {
 public:
  void begin_run(const telemetry::RunInfo&) override {}
  void on_request(const telemetry::RequestRecord&) override {}
  void on_span(const telemetry::SpanRecord&) override {}
  void on_hop(const telemetry::HopRecord&) override {}
  void on_event(const telemetry::EventRecord&) override {}
  void end_run(const telemetry::RunEnd&) override {}
};

std::string service_manifests(const std::string& name) {
  std::string out = fmt::format(R"(apiVersion: v1
kind: Service
metadata: {{name: {0}, labels: {{app: {0}}}}}
spec:
  ports: [{{port: 8080, name: http}}]
  selector: {{app: {0}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: {0}}}
spec:
  host: {0}
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
  - {{name: v2, labels: {{version: v2}}}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: {0}}}
spec:
  hosts: [{0}]
  http:
  - retries: {{attempts: 2, perTryTimeout: 1s}}
    route:
    - {{destination: {{host: {0}, subset: v1}}, weight: 90}}
    - {{destination: {{host: {0}, subset: v2}}, weight: 10}}
---
)",
                                name);
  for (const char* version : {"v1", "v2"}) {
    out += fmt::format(R"(apiVersion: apps/v1
kind: Deployment
metadata: {{name: {0}-{1}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {0}, version: {1}}}}}
  template:
    metadata: {{labels: {{app: {0}, version: {1}}}}}
    spec: {{containers: [{{name: app, image: app}}]}}
---
)",
                       name, version);
  }
  return out;
}

// Writes the mesh and its scenario under `dir`; returns the scenario's path.
std::filesystem::path write_mesh(int services, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const int fronts = services / 2;
  std::ofstream manifests(dir / "mesh.yaml");
  manifests << R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: loadgen}
spec:
  replicas: 1
  selector: {matchLabels: {app: loadgen}}
  template:
    metadata: {labels: {app: loadgen}}
    spec: {containers: [{name: app, image: app}]}
---
)";
  for (int i = 0; i < fronts; ++i) {
    manifests << service_manifests(fmt::format("front-{}", i));
    manifests << service_manifests(fmt::format("back-{}", i));
  }
  manifests.close();

  const double seconds = static_cast<double>(g_requests) / kTotalRate;
  std::ofstream scenario(dir / "scenario.yaml");
  scenario << fmt::format(R"(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {{name: mesh-scale-{}}}
spec:
  seed: 7
  duration: {}s
  manifests: [mesh.yaml]
  mesh: {{proxyWorkers: 2, proxyOverhead: 0s}}
  network:
    latency: {{lognormal: {{p50: 300us, p99: 2ms}}}}
  record: {{requests: none, spans: 0}}
  apps:
)",
                          services, seconds);
  for (int i = 0; i < fronts; ++i) {
    for (const char* version : {"v1", "v2"}) {
      scenario << fmt::format(
          "    front-{0}-{1}:\n      workers: 8\n      serviceTime: {{lognormal: {{p50: 2ms, p99: 10ms}}}}\n"
          "      calls: [{{to: \"http://back-{0}:8080/\", timeout: 2s}}]\n"
          "    back-{0}-{1}:\n      workers: 8\n      serviceTime: {{lognormal: {{p50: 1ms, p99: 5ms}}}}\n"
          "      failures: [{{rate: 0.01, kind: status, status: 503}}]\n",
          i, version);
    }
  }
  scenario << "  clients:\n";
  for (int i = 0; i < fronts; ++i) {
    scenario << fmt::format(
        "    - {{name: c{0}, from: {{workload: loadgen}}, to: \"http://front-{0}:8080/\", "
        "rate: {{poisson: {1}}}, timeout: 10s}}\n",
        i, kTotalRate / fronts);
  }
  return dir / "scenario.yaml";
}

void BM_MeshScale(benchmark::State& state) {
  const int services = static_cast<int>(state.range(0));
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("meshtwin_mesh_scale_{}", services);
  const auto scenario_path = write_mesh(services, dir);
  for (auto _ : state) {
    state.PauseTiming();
    config::Diagnostics diags;
    auto spec = scenario::load_scenario(scenario_path.string(), {}, diags);
    std::unique_ptr<scenario::Mesh> mesh;
    if (spec) mesh = scenario::Mesh::build(*spec, diags);
    if (!mesh) {
      for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
      std::abort();
    }
    NullSink sink;
    state.ResumeTiming();
    const auto stats = mesh->run(sink);
    state.counters["hop_attempts"] = static_cast<double>(stats.hop_attempts);
    state.counters["hop_attempts_per_s"] =
        benchmark::Counter(static_cast<double>(stats.hop_attempts), benchmark::Counter::kIsRate);
    state.counters["wall_per_hop_attempt"] = benchmark::Counter(
        static_cast<double>(stats.hop_attempts),
        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.SetItemsProcessed(static_cast<std::int64_t>(stats.hop_attempts));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

BENCHMARK(BM_MeshScale)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(1);

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--requests=", 11) == 0) g_requests = std::stoull(argv[i] + 11);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
