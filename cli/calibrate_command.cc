// `meshtwin calibrate`: a scenario's apps and clients from Prometheus query_range JSON or
// traces (model/calibrate), and with --validate a run of it compared edge by edge with what
// was observed (docs/calibrate.md). Exit codes: 0 written (and, with --validate, every edge
// within the thresholds), 1 --validate found an edge off, 2 bad input.

#include <cerrno>
#include <cmath>
#include <cstring>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/prepare.h"
#include "cli/simulate.h"
#include "engine/time.h"
#include "model/calibrate/compare.h"
#include "model/calibrate/derive.h"
#include "model/calibrate/json_stream.h"
#include "model/calibrate/readers.h"
#include "model/config/config_store.h"
#include "model/config/loader.h"
#include "model/registry/registry.h"
#include "model/scenario/scenario_spec.h"
#include "results/percentiles.h"
#include "results/reader.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;
using namespace meshtwin::calibrate;

struct CalibrateArgs {
  std::vector<std::string> prometheus;
  std::vector<std::string> traces;
  std::string scenario;
  std::vector<std::string> manifests;
  std::string output;
  std::string fit = "lognormal";
  double trace_sample = 1.0;
  bool validate = false;
  std::string results;
  std::string duration;
  double max_rate_error = 2;
  double max_latency_error = 10;
  bool allow_unknown_fields = false;
  bool quiet = false;
};

// A simulated run's telemetry in the shape the input had: the metrics table as Istio's
// histograms (for metrics input), the stored spans (for traces).
std::optional<Observations> simulated_observations(const std::string& db, std::int64_t run_id, InputKind kind,
                                                   std::string* error) {
  auto reader = results::Reader::open(db, error);
  if (!reader) return std::nullopt;
  auto run = reader->run(run_id);
  if (!run) {
    *error = db + ": no run " + std::to_string(run_id);
    return std::nullopt;
  }
  Observations base;
  base.cover(0, engine::to_seconds(engine::SimDuration::from_ns(results::arrival_window(*run))));
  base.files = {db};
  if (kind == InputKind::Metrics) {
    MetricsBuilder builder;
    std::string sql = "SELECT reporter, source_workload, destination_workload, destination_service, response_code, "
                      "response_flags, SUM(requests)";
    for (auto col : results::kDurationBucketColumns) sql += fmt::format(", SUM({})", col);
    sql += " FROM metrics WHERE run_id = ? GROUP BY 1, 2, 3, 4, 5, 6";
    const bool ok = reader->query_each(sql, {run_id}, [&](const results::Row& r) {
      auto text = [&](std::size_t i) { return std::holds_alternative<std::string>(r[i]) ? std::get<std::string>(r[i]) : std::string(); };
      auto integer = [&](std::size_t i) { return std::holds_alternative<std::int64_t>(r[i]) ? std::get<std::int64_t>(r[i]) : 0; };
      EdgeKey k{{"", text(1)}, {"", text(2)}, text(3)};
      const bool source = text(0) != "destination";
      builder.add_requests(k, source, static_cast<int>(integer(4)), text(5).empty() ? "-" : text(5),
                           static_cast<double>(integer(6)), 1);
      Histogram h;
      double cum = 0;
      for (std::size_t b = 0; b < results::kDurationBuckets; ++b) {
        cum += static_cast<double>(integer(7 + b));
        h.le_ms.push_back(b + 1 < results::kDurationBuckets ? results::kDurationBucketBoundsMs[b] : INFINITY);
        h.cumulative.push_back(cum);
      }
      builder.add_histogram(k, source, h);
      return true;
    }, error);
    if (!ok) return std::nullopt;
    return builder.finish(std::move(base));
  }
  std::vector<TraceSpan> spans;
  const bool ok = reader->query_each(
      "SELECT request_id, span_id, parent_span_id, kind, source_workload, destination_service, destination_workload, "
      "destination_pod, cluster, attempt, start_ns, duration_ns, response_code, response_flags FROM spans "
      "WHERE run_id = ? AND kind != 'shadow'",
      {run_id},
      [&](const results::Row& r) {
        auto text = [&](std::size_t i) { return std::holds_alternative<std::string>(r[i]) ? std::get<std::string>(r[i]) : std::string(); };
        auto integer = [&](std::size_t i) { return std::holds_alternative<std::int64_t>(r[i]) ? std::get<std::int64_t>(r[i]) : 0; };
        TraceSpan s;
        s.trace_id = std::to_string(integer(0));
        s.span_id = std::to_string(integer(1));
        if (integer(2) != 0) s.parent_id = std::to_string(integer(2));
        s.local_service = text(4);
        s.remote_service = text(5);
        s.destination_workload = text(6);
        s.peer_address = text(7);
        s.upstream_cluster = text(8);
        s.attempt = static_cast<int>(integer(9));
        s.start_ns = integer(10);
        s.duration_ns = integer(11);
        s.status = static_cast<int>(integer(12));
        s.response_flags = text(13);
        spans.push_back(std::move(s));
        return true;
      },
      error);
  if (!ok) return std::nullopt;
  Observations out = observations_from_spans(std::move(spans), TraceOptions{}, {db});
  // The simulated run's range is its arrival window, not first-to-last span.
  out.start_s = base.start_s;
  out.end_s = base.end_s;
  return out;
}

int cmd_calibrate(const CalibrateArgs& a) {
  if (a.prometheus.empty() == a.traces.empty()) {
    std::cerr << "meshtwin calibrate: error: give --prometheus FILE or --traces FILE (one kind of input)\n";
    return kExitBadInput;
  }
  if (!(a.trace_sample > 0 && a.trace_sample <= 1)) {
    std::cerr << "meshtwin calibrate: error: --trace-sample must be in (0, 1], got " << a.trace_sample << "\n";
    return kExitBadInput;
  }
  Observations obs;
  try {
    if (!a.prometheus.empty()) {
      obs = read_prometheus(a.prometheus);
    } else {
      TraceOptions to;
      to.sample = a.trace_sample;
      obs = read_traces(a.traces, to);
    }
  } catch (const InputError& e) {
    std::cerr << e.diagnostic.format() << "\n";
    return kExitBadInput;
  }
  if (obs.edges.empty()) {
    std::cerr << "meshtwin calibrate: error: " << (obs.files.empty() ? std::string("the input") : obs.files[0])
              << ": no istio_requests_total series or client spans to calibrate from\n";
    return kExitBadInput;
  }

  DeriveOptions opt;
  opt.fit = a.fit == "empirical" ? DeriveOptions::Fit::Empirical : DeriveOptions::Fit::LogNormal;
  std::optional<scenario::ScenarioSpec> base;
  std::string base_text;
  if (!a.scenario.empty()) {
    config::Diagnostics diags;
    scenario::LoadScenarioOptions lo;
    lo.allow_unknown_fields = a.allow_unknown_fields;
    base = scenario::load_scenario(a.scenario, {}, diags, lo);
    print_diagnostics(diags, false);
    if (!base) return kExitBadInput;
    base_text = base->text;
    opt.base = &*base;
    // Service ports for call URLs, from the base scenario's manifests.
    config::ConfigStore store;
    config::Diagnostics mdiags;
    config::LoadOptions mo;
    mo.allow_unknown_fields = true;
    config::load_paths(base->manifests, store, mdiags, mo);
    const auto reg = registry::Registry::build(store, mdiags);
    for (const auto& svc : reg.services()) {
      if (!svc.ports.empty()) opt.service_ports[svc.hostname] = static_cast<int>(svc.ports.front().port);
    }
    // What a hop adds on average, which the simulation adds again: the network both ways,
    // a proxy pass on each side and the server proxy's request and response CPU work
    // (docs/semantics.md §19; queueing for a worker is left in).
    opt.hop_overhead_ms = (2 * base->network.latency.mean() + 2 * base->mesh.proxy_overhead.mean() +
                           static_cast<double>((base->mesh.proxy_cpu.request + base->mesh.proxy_cpu.response).ns())) *
                          1e-6;
  }

  const Calibration cal = derive(obs, opt);
  const fs::path out_path(a.output);
  const std::string out_dir = out_path.has_parent_path() ? out_path.parent_path().string() : ".";
  const std::string base_dir = base ? base->base_dir : "";
  std::string text;
  try {
    text = write_scenario(cal, base_text, base_dir, out_dir, a.manifests);
  } catch (const std::exception& e) {
    std::cerr << "meshtwin calibrate: error: " << a.scenario << ": " << e.what() << "\n";
    return kExitBadInput;
  }
  {
    std::error_code ec;
    if (out_path.has_parent_path()) fs::create_directories(out_path.parent_path(), ec);
    std::ofstream f(out_path, std::ios::binary);
    f << text;
    f.close();
    if (!f) {
      std::cerr << "meshtwin calibrate: error: writing " << a.output << ": " << std::strerror(errno) << "\n";
      return kExitBadInput;
    }
  }
  for (const auto& n : cal.notes) std::cerr << "meshtwin calibrate: note: " << n << "\n";
  std::cout << fmt::format("wrote {}: {} apps, {} clients from {}\n", a.output, cal.apps.size(), cal.clients.size(), cal.input);

  if (!base && a.manifests.empty()) {
    std::cerr << "meshtwin calibrate: note: no --scenario or -f manifests: add the mesh's manifests to "
              << a.output << " before running it\n";
    if (a.validate) {
      std::cerr << "meshtwin calibrate: error: --validate needs --scenario BASE or -f MANIFESTS to run\n";
      return kExitBadInput;
    }
    return kExitOk;
  }
  // The file must load as a scenario: a calibration that cannot run is a bug, said here.
  {
    config::Diagnostics diags;
    scenario::LoadScenarioOptions lo;
    lo.allow_unknown_fields = a.allow_unknown_fields;
    if (!scenario::load_scenario(a.output, {}, diags, lo)) {
      print_diagnostics(diags, false);
      return kExitBadInput;
    }
  }
  if (!a.validate) return kExitOk;

  // --validate: run the calibrated scenario and compare.
  ScenarioArgs sa;
  sa.scenario = a.output;
  sa.duration = a.duration;
  sa.allow_unknown_fields = a.allow_unknown_fields;
  if (obs.kind == InputKind::Traces) sa.sets = {"spec.record.requests=all", "spec.record.spans=1"};
  auto prepared = prepare_run(sa);
  if (!prepared) return kExitBadInput;
  std::string db = a.results;
  bool temporary = false;
  if (db.empty()) {
    db = (fs::temp_directory_path() / fmt::format("meshtwin-calibrate-{}.db", static_cast<long>(::getpid()))).string();
    std::error_code ec;
    fs::remove(db, ec);
    temporary = true;
  }
  auto simulated = simulate_to_file(*prepared->mesh, db, a.quiet);
  if (!simulated) return kExitBadInput;
  std::string error;
  auto sim = simulated_observations(db, simulated->run_id, obs.kind, &error);
  if (temporary) {
    std::error_code ec;
    fs::remove(db, ec);
  }
  if (!sim) {
    std::cerr << "meshtwin calibrate: error: " << error << "\n";
    return kExitBadInput;
  }
  CompareOptions co;
  co.max_rate_error = a.max_rate_error / 100.0;
  co.max_latency_error = a.max_latency_error / 100.0;
  const Comparison c = compare(obs, *sim, co);
  std::cout << format_comparison(c, obs.kind == InputKind::Metrics);
  return c.flagged ? kExitCheckFailed : kExitOk;
}

}  // namespace

void register_calibrate(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<CalibrateArgs>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Derive a scenario's apps (calls per request, service time, errors) and clients (arrival rates) from "
      "Prometheus query_range JSON or Zipkin/OTLP traces; --validate runs it and compares edge by edge. Exit codes: "
      "0 written (with --validate: every edge within the thresholds), 1 --validate found an edge off, 2 bad input");
  cmd->add_option("--prometheus", a->prometheus,
                  "Prometheus query_range JSON (curl .../api/v1/query_range) with istio_requests_total and "
                  "istio_request_duration_milliseconds_bucket by source_workload, destination_workload, response_code "
                  "(and le); repeatable");
  cmd->add_option("--traces", a->traces, "Zipkin v2 JSON or OTLP/JSON traces (Jaeger, Tempo, `meshtwin export --traces`); repeatable");
  cmd->add_option("--scenario", a->scenario,
                  "Base scenario: its manifests and other settings are kept, its calls and clients lend what telemetry "
                  "does not show (paths, timeouts, attempts, headers, workers)");
  cmd->add_option("-f,--manifests", a->manifests,
                  "Without --scenario: the mesh's manifests (files or folders) the new scenario lists; repeatable")
      ->excludes(cmd->get_option("--scenario"));
  cmd->add_option("-o,--output", a->output, "The calibrated scenario file to write")->required();
  cmd->add_option("--fit", a->fit, "Service time distribution: lognormal (by p50/p99) or empirical (traces only)")
      ->check(CLI::IsMember({"lognormal", "empirical"}))
      ->capture_default_str();
  cmd->add_option("--trace-sample", a->trace_sample, "Share of requests the traces hold (rates are divided by it)")
      ->capture_default_str();
  cmd->add_flag("--validate", a->validate,
                "Run the calibrated scenario and print per edge observed vs simulated rate, error rate, p50/p90/p99; "
                "exit 1 when an edge is off");
  cmd->add_option("--results", a->results, "--validate: keep the run in this results file (default: a temporary file)");
  cmd->add_option("--duration", a->duration, "--validate: simulate this long instead of the scenario's duration (e.g. 10m)");
  cmd->add_option("--max-rate-error", a->max_rate_error, "--validate: percent a rate may differ (beyond 3 standard errors of the counts)")
      ->capture_default_str();
  cmd->add_option("--max-latency-error", a->max_latency_error,
                  "--validate with traces: percent a p50/p90/p99 may differ (with metrics: the width of the observed value's bucket)")
      ->capture_default_str();
  cmd->add_flag("--allow-unknown-fields", a->allow_unknown_fields, kAllowUnknownFieldsHelp);
  cmd->add_flag("-q,--quiet", a->quiet, "--validate: no progress display");
  commands.push_back({cmd, [a] { return cmd_calibrate(*a); }});
}

}  // namespace meshtwin::cli
