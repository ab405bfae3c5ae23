// Cost as the mesh grows (docs/design.md §4: a 1,000-service mesh may cost at most 2× per
// request what Bookinfo does). A synthetic mesh of N services (model/synth: a 3-layer call DAG,
// fanout 1-3, every service with a DestinationRule and a VirtualService with retries, a third
// with a 90/10 canary) is written to a temp folder as ordinary manifests plus a scenario, then
// loaded, compiled and simulated, recording metrics only into a SQLite file (BM_MeshScale: the
// setting of issue 15's table and of bookinfo_bench's MetricsOnly, which it is compared with) or
// nothing at all (BM_MeshScaleNoRecording, compared with BM_BookinfoNoRecording). The total client
// rate and the number of client requests are the same for every N, so the per-hop-attempt figure
// compares like with like; only the size of the mesh changes. Every figure is wall-clock
// (UseRealTime).
//
// Counters: setup_s (load + compile, wall), peak_rss_mb (the process's peak so far: run one N
// per process, e.g. --benchmark_filter=BM_MeshScale/1000, for a per-size figure),
// ns_per_hop_attempt (simulation only), run_page_faults and sim_page_faults (page faults during
// the simulation: of every thread, and of the simulation's thread alone).
//
//   mesh_scale_bench [--requests=N] [--sim-cpu=N] [google benchmark flags]

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench/engine_counters.h"
#include "bench/sim_cpu.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "model/synth/mesh_generator.h"
#include "results/writer.h"

namespace {

using namespace meshtwin;

std::uint64_t g_requests = 200'000;
constexpr double kTotalRate = 400.0;  // client requests per simulated second, all clients

class NullSink : public telemetry::Sink {
 public:
  // Reads nothing: the mesh skips building span and hop records (telemetry::Interest).
  telemetry::Interest interest() const override { return {false, false, false}; }
  void begin_run(const telemetry::RunInfo&) override {}
  void on_request(const telemetry::RequestRecord&) override {}
  void on_span(const telemetry::SpanRecord&) override {}
  void on_hop(const telemetry::HopRecord&) override {}
  void on_event(const telemetry::EventRecord&) override {}
  void end_run(const telemetry::RunEnd&) override {}
};

// Writes the synthetic mesh (model/synth, the same generator `meshtwin gen-mesh` uses) under
// `dir`; returns the scenario's path.
std::filesystem::path write_mesh(int services, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  synth::MeshShape shape;
  shape.services = services;
  shape.depth = 3;
  shape.rate = kTotalRate;
  shape.requests = g_requests;
  shape.record = "metrics";
  shape.seed = 7;
  const synth::GeneratedMesh mesh = synth::generate(shape, "manifests.yaml");
  std::ofstream(dir / "manifests.yaml") << mesh.manifests;
  std::ofstream(dir / "scenario.yaml") << mesh.scenario;
  return dir / "scenario.yaml";
}

// Page faults so far, of the process (RUSAGE_SELF) or the calling thread (RUSAGE_THREAD): a
// first touch of memory is among the costliest things a run does on a VM whose host backs
// memory lazily (docs/performance.md, "Page faults and the allocator").
long minor_faults(int who = RUSAGE_SELF) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_minflt + usage.ru_majflt;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

void mesh_scale(benchmark::State& state, bool metrics) {
  const int services = static_cast<int>(state.range(0));
  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("meshtwin_mesh_scale_{}_{}", services, ::getpid());
  const auto scenario_path = write_mesh(services, dir);
  for (auto _ : state) {
    state.PauseTiming();
    const auto setup_start = std::chrono::steady_clock::now();
    config::Diagnostics diags;
    auto spec = scenario::load_scenario(scenario_path.string(), {}, diags);
    std::unique_ptr<scenario::Mesh> mesh;
    if (spec) mesh = scenario::Mesh::build(*spec, diags);
    if (!mesh) {
      for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
      std::abort();
    }
    const std::chrono::duration<double> setup = std::chrono::steady_clock::now() - setup_start;
    NullSink null_sink;
    std::unique_ptr<results::SqliteWriter> writer;
    if (metrics) {
      std::filesystem::remove(dir / "metrics.db");
      std::string error;
      writer = results::SqliteWriter::open((dir / "metrics.db").string(), &error);
      if (!writer) {
        std::fprintf(stderr, "%s\n", error.c_str());
        std::abort();
      }
    }
    telemetry::Sink& sink = writer ? static_cast<telemetry::Sink&>(*writer) : null_sink;
    const long faults_before = minor_faults();
    const long sim_faults_before = minor_faults(RUSAGE_THREAD);
    const auto run_start = std::chrono::steady_clock::now();
    state.ResumeTiming();
    bench::PinnedSink pinned(sink);
    const auto stats = mesh->run(bench::sim_cpu() >= 0 ? static_cast<telemetry::Sink&>(pinned) : sink);
    state.PauseTiming();
    state.counters["run_page_faults"] = static_cast<double>(minor_faults() - faults_before);
    state.counters["sim_page_faults"] = static_cast<double>(minor_faults(RUSAGE_THREAD) - sim_faults_before);
    const std::chrono::duration<double, std::nano> run = std::chrono::steady_clock::now() - run_start;
    state.counters["setup_s"] = setup.count();
    state.counters["proxy_configs"] = static_cast<double>(mesh->proxy_configs_compiled());
    state.counters["hop_attempts"] = static_cast<double>(stats.hop_attempts);
    state.counters["ns_per_hop_attempt"] = run.count() / static_cast<double>(std::max<std::uint64_t>(1, stats.hop_attempts));
    state.counters["peak_rss_mb"] = peak_rss_mb();
    bench::report_engine_counters(state, stats);
    state.SetItemsProcessed(static_cast<std::int64_t>(stats.hop_attempts));
    mesh.reset();
    writer.reset();
    state.ResumeTiming();
  }
  std::filesystem::remove_all(dir);
}

void BM_MeshScale(benchmark::State& state) { mesh_scale(state, true); }
void BM_MeshScaleNoRecording(benchmark::State& state) { mesh_scale(state, false); }

}  // namespace

BENCHMARK(BM_MeshScale)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_MeshScaleNoRecording)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--requests=", 11) == 0) g_requests = std::stoull(argv[i] + 11);
  }
  bench::read_sim_cpu_flag(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
