// Rows per second the SQLite writer sustains (docs/design.md §4: the Bookinfo run with every request
// and span recorded must reach 300k span rows/s end to end, so the writer alone has to be
// well above that). Each benchmark writes a whole run into a fresh file, end_run (summaries,
// indexes, final commit) included.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "model/telemetry/response_flags.h"
#include "results/writer.h"

namespace {

using namespace meshtwin;
using telemetry::SimTime;

// Names as the model hands them out: interned once, views stable for the run.
struct Names {
  std::vector<std::string> services, versions, workloads, pods, clusters;
  Names() {
    for (int s = 0; s < 10; ++s) {
      std::string svc = "svc" + std::to_string(s);
      services.push_back(svc + ".default.svc.cluster.local");
      for (int v = 1; v <= 3; ++v) {
        versions.push_back("v" + std::to_string(v));
        workloads.push_back(svc + "-v" + std::to_string(v));
        for (int p = 0; p < 3; ++p) {
          pods.push_back(workloads.back() + "-" + std::to_string(p) + "-7c9f5d");
        }
        clusters.push_back("outbound|9080|v" + std::to_string(v) + "|" + services.back());
      }
    }
  }
};

std::string scratch_file() {
  static int n = 0;
  auto dir = std::filesystem::temp_directory_path();
  return (dir / ("meshtwin-results-bench-" + std::to_string(::getpid()) + "-" +
                 std::to_string(n++) + ".db"))
      .string();
}

// mode 0: spans only, all sampled; 1: Bookinfo-like mix per client request (1 request row,
// 4 span rows, 4 hops); 2: metrics only (spans unsampled, hops) — the 100M-request setting.
void write_run(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const std::int64_t requests = state.range(1);
  static const Names names;
  std::uint64_t span_rows = 0, request_rows = 0;
  for (auto _ : state) {
    std::string path = scratch_file();
    std::string error;
    auto writer = results::SqliteWriter::open(path, &error);
    if (!writer) {
      state.SkipWithError(error.c_str());
      return;
    }
    telemetry::RunInfo info;
    info.scenario = "bench";
    info.metrics_interval = engine::kSecond;
    writer->begin_run(info);
    SimTime t;
    std::uint64_t span_id = 0;
    for (std::int64_t i = 0; i < requests; ++i) {
      t += 50 * engine::kMicrosecond;  // 20k requests/s of simulated time
      const int spans = mode == 0 ? 1 : 4;
      std::uint64_t parent = 0;
      for (int k = 0; k < spans; ++k) {
        std::size_t a = static_cast<std::size_t>(i * 7 + k * 13);
        telemetry::SpanRecord s;
        // ~500 requests in flight: rows arrive out of request_id order.
        s.request_id = static_cast<std::uint64_t>(std::max<std::int64_t>(1, i + 1 - static_cast<std::int64_t>(a % 500)));
        s.span_id = ++span_id;
        s.parent_span_id = parent;
        parent = s.span_id;
        s.source_workload = names.workloads[(a + 1) % names.workloads.size()];
        s.source_pod = names.pods[(a + 1) % names.pods.size()];
        s.destination_service = names.services[a % names.services.size()];
        s.destination_version = names.versions[a % names.versions.size()];
        s.destination_workload = names.workloads[a % names.workloads.size()];
        s.destination_pod = names.pods[a % names.pods.size()];
        s.cluster = names.clusters[a % names.clusters.size()];
        s.route_name = "9080";
        s.config_version = 3;
        s.start = t + k * engine::kMillisecond;
        s.duration = static_cast<std::int64_t>((a % 97) + 1) * 100 * engine::kMicrosecond;
        s.response_code = a % 50 == 0 ? 503 : 200;
        s.response_flags = a % 50 == 0 ? std::uint32_t{telemetry::kUpstreamOverflow} : 0u;
        s.reached_upstream = a % 50 != 0;
        s.sampled = mode != 2;
        writer->on_span(s);
        if (mode != 0) {
          telemetry::HopRecord h;
          h.start = s.start;
          h.duration = s.duration;
          h.source_workload = s.source_workload;
          h.destination_service = s.destination_service;
          h.destination_workload = s.destination_workload;
          h.destination_version = s.destination_version;
          h.destination_pod = s.destination_pod;
          h.response_code = s.response_code;
          h.response_flags = s.response_flags;
          writer->on_hop(h);
        }
      }
      if (mode == 1) {
        telemetry::RequestRecord r;
        // Completion order differs from id order; ids stay unique (a permutation per block).
        r.request_id = static_cast<std::uint64_t>((i / 512) * 512 + ((i % 512) * 97) % 512 + 1);
        r.client = "users";
        r.start = t;
        r.duration = 4 * engine::kMillisecond;
        r.method = "GET";
        r.authority = "bookinfo.example.com";
        r.path = "/productpage";
        r.response_code = 200;
        r.attempts = 1;
        r.route_name = "80";
        r.vs_rule = "default/bookinfo#http[0]";
        r.destination_service = names.services[0];
        r.destination_version = names.versions[0];
        r.destination_workload = names.workloads[0];
        writer->on_request(r);
      }
    }
    telemetry::RunEnd end;
    end.sim_end = t;
    auto end_start = std::chrono::steady_clock::now();
    writer->end_run(end);
    state.counters["end_run_s"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - end_start).count();
    if (!writer->ok()) state.SkipWithError(writer->error().c_str());
    span_rows += writer->counters().spans;
    request_rows += writer->counters().requests;
    state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
    writer.reset();
    std::filesystem::remove(path);
  }
  const int spans_per_request = mode == 0 ? 1 : 4;
  state.counters["span_rows/s"] = benchmark::Counter(
      static_cast<double>(span_rows), benchmark::Counter::kIsRate);
  state.counters["spans/s"] = benchmark::Counter(
      static_cast<double>(requests * spans_per_request) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["request_rows"] = static_cast<double>(request_rows);
  state.counters["request_rows/s"] = benchmark::Counter(static_cast<double>(request_rows),
                                                        benchmark::Counter::kIsRate);
}

BENCHMARK(write_run)
    ->ArgNames({"mode", "requests"})
    ->Args({0, 1'000'000})
    ->Args({1, 250'000})
    ->Args({2, 1'000'000})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
