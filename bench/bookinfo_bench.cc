// End-to-end simulation speed on the bundled Bookinfo 80/20 scenario (docs/design.md §4): simulated
// proxy hop attempts (rows of the `spans` kind) per second of wall time, with no recording,
// with metrics-only SQLite recording and with every request and span recorded; and the peak
// resident memory of a 1 M client-request run. BM_BookinfoNoRecordingZeroCostProxy is the same
// as BM_BookinfoNoRecording with the proxy CPU model off (mesh.proxyCpu: none).
//
//   bookinfo_bench [--requests=N] [--sim-cpu=N] [google benchmark flags]

#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/engine_counters.h"
#include "bench/sim_cpu.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/writer.h"

namespace {

using namespace meshtwin;

std::uint64_t g_requests = 200'000;

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

// `proxy_cpu`: the scenario's proxy costs (the default, docs/semantics.md §19) or "none".
std::unique_ptr<scenario::Mesh> build(const std::string& record, const std::string& proxy_cpu = "") {
  // The scenario's own 200 requests/s (one productpage pod with 16 workers: a heavier rate
  // would overload it and measure an ever-growing queue) for as long as it takes to send
  // g_requests.
  const double seconds = static_cast<double>(g_requests) / 200.0;
  std::vector<std::string> sets = {"spec.duration=" + std::to_string(seconds) + "s",
                                   "spec.record=" + record};
  if (!proxy_cpu.empty()) sets.push_back("spec.mesh.proxyCpu=" + proxy_cpu);
  config::Diagnostics diags;
  auto spec = scenario::load_scenario(
      std::string(MESHTWIN_SOURCE_DIR) + "/scenarios/bookinfo/reviews-80-20.yaml", sets, diags);
  if (!spec) {
    for (const auto& d : diags.items()) std::fprintf(stderr, "%s\n", d.format().c_str());
    std::abort();
  }
  auto mesh = scenario::Mesh::build(*spec, diags);
  if (!mesh) std::abort();
  return mesh;
}

// Runs the mesh into `sink`, through bench::PinnedSink when --sim-cpu is given.
scenario::RunStats run(scenario::Mesh& mesh, telemetry::Sink& sink) {
  if (bench::sim_cpu() < 0) return mesh.run(sink);
  bench::PinnedSink pinned(sink);
  return mesh.run(pinned);
}

void report(benchmark::State& state, const scenario::RunStats& stats) {
  state.counters["hop_attempts"] = static_cast<double>(stats.hop_attempts);
  state.counters["client_requests"] = static_cast<double>(stats.client_requests);
  state.counters["hop_attempts_per_s"] =
      benchmark::Counter(static_cast<double>(stats.hop_attempts), benchmark::Counter::kIsRate);
  bench::report_engine_counters(state, stats);
  state.SetItemsProcessed(static_cast<std::int64_t>(stats.hop_attempts));
}

void BM_BookinfoNoRecording(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto mesh = build("{requests: none, spans: 0}");
    NullSink sink;
    state.ResumeTiming();
    report(state, run(*mesh, sink));
  }
}

// The same without the proxy CPU model (mesh.proxyCpu: none): what the worker queues cost the
// simulator, run back to back with BM_BookinfoNoRecording in the same build.
void BM_BookinfoNoRecordingZeroCostProxy(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto mesh = build("{requests: none, spans: 0}", "none");
    NullSink sink;
    state.ResumeTiming();
    report(state, run(*mesh, sink));
  }
}

void BM_BookinfoSqlite(benchmark::State& state, const std::string& record) {
  const auto db = std::filesystem::temp_directory_path() / "meshtwin_bookinfo_bench.db";
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove(db);
    auto mesh = build(record);
    std::string error;
    auto writer = results::SqliteWriter::open(db.string(), &error);
    if (!writer) std::abort();
    state.ResumeTiming();
    report(state, run(*mesh, *writer));
  }
  std::filesystem::remove(db);
}

}  // namespace

// Wall-clock rates (UseRealTime): per CPU second would overstate what a user waits for when
// SQLite's I/O or the kernel takes part of the time.
BENCHMARK(BM_BookinfoNoRecording)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_BookinfoNoRecordingZeroCostProxy)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_BookinfoSqlite, MetricsOnly, std::string("{requests: none, spans: 0}"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_BookinfoSqlite, EverythingRecorded, std::string("{requests: all, spans: 1}"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--requests=", 11) == 0) g_requests = std::stoull(argv[i] + 11);
  }
  bench::read_sim_cpu_flag(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("client requests per run: %llu; peak resident memory: %.1f MB\n",
              static_cast<unsigned long long>(g_requests), usage.ru_maxrss / 1024.0);
  return 0;
}
