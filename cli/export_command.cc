// `meshtwin export FILE.db[:RUN]`: a run's telemetry in the formats of the tools people already
// use (docs/export.md): OpenMetrics for backfilling Prometheus, the Prometheus text exposition
// (one scrape at the end), and traces as OTLP/JSON or Zipkin v2 JSON.

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "results/export_prometheus.h"
#include "results/export_query_range.h"
#include "results/export_traces.h"
#include "results/reader.h"

namespace meshtwin::cli {
namespace {

struct ExportArgs {
  std::string ref;
  std::string openmetrics, prometheus_text, prometheus_json, traces;
  std::string format = "otlp";
  std::optional<double> epoch;
  std::string interval = "15s";
  double trace_sample = 1.0;
  bool allow_incomplete = false;
};

// "15s", "500ms", "1m" or plain seconds; nullopt when it is none of these or not positive.
std::optional<std::int64_t> parse_interval(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "m") scale = 60e9;
  if (scale == 0 || !(value > 0) || !std::isfinite(value)) return std::nullopt;
  return std::llround(value * scale);
}

// Writes to OUT ("-": standard output) through `fn`, timing it for the summary line.
template <typename Fn>
bool write_to(const std::string& out_path, Fn&& fn, double* seconds, std::string* error) {
  const auto t0 = std::chrono::steady_clock::now();
  bool ok;
  if (out_path == "-") {
    ok = fn(std::cout);
  } else {
    std::ofstream f(out_path, std::ios::binary | std::ios::trunc);
    if (!f) {
      *error = fmt::format("cannot write {}", out_path);
      return false;
    }
    ok = fn(f);
    f.close();
    if (ok && !f) {
      *error = fmt::format("writing {} failed", out_path);
      ok = false;
    }
  }
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ok;
}

int cmd_export(const ExportArgs& args) {
  if (args.openmetrics.empty() && args.prometheus_text.empty() && args.prometheus_json.empty() &&
      args.traces.empty()) {
    std::cerr << "meshtwin: export: nothing to write: give --openmetrics, --prometheus-text, "
                 "--prometheus-json and/or --traces\n";
    return kExitBadInput;
  }
  const auto interval = parse_interval(args.interval);
  if (!interval) {
    std::cerr << "meshtwin: export: --interval: '" << args.interval
              << "' is not a positive duration (e.g. 15s, 500ms, 1m)\n";
    return kExitBadInput;
  }
  if (!(args.trace_sample >= 0 && args.trace_sample <= 1)) {
    std::cerr << "meshtwin: export: --trace-sample: must be between 0 and 1\n";
    return kExitBadInput;
  }
  std::string error;
  auto opened = results::open_ref(args.ref, &error, args.allow_incomplete);
  if (!opened) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  const std::string path = opened->reader->path();
  // A batch (FILE.db:bN): every replication's series, told apart by a `replication` label, as
  // Prometheus tells apart the targets it scrapes (docs/export.md).
  std::vector<results::ExportRun> runs;
  const bool batch = opened->batch.has_value();
  if (batch) {
    for (const auto& r : opened->runs) runs.push_back({r.run_id, r.replication});
  } else {
    runs.push_back({opened->run_id, std::nullopt});
  }
  const std::int64_t run = runs.front().run_id;
  opened.reset();
  if (batch && !args.traces.empty()) {
    // A trace is known by its id, the request id, which every replication numbers from 1 again:
    // a trace backend would merge the replications' traces into one.
    std::cerr << "meshtwin: export: --traces takes one run: every replication of a batch numbers its requests "
                 "from 1, so their trace ids would collide; export one replication's traces (FILE.db:RUN; `SELECT "
                 "run_id, replication FROM runs WHERE batch_id = N` lists them)\n";
    return kExitBadInput;
  }

  results::PrometheusExportOptions popts;
  popts.epoch_seconds = args.epoch;
  popts.interval = *interval;
  auto metrics = [&](const std::string& out_path, results::PrometheusFormat format,
                     std::string_view what) {
    results::PrometheusExportStats st;
    double seconds = 0;
    if (!write_to(out_path, [&](std::ostream& os) {
          return results::export_prometheus(path, runs, format, popts, os, &st, &error);
        }, &seconds, &error)) {
      std::cerr << "meshtwin: " << error << '\n';
      return false;
    }
    std::cerr << fmt::format("{}: {} samples of {} series, {} scrape(s) every {} s from epoch {:.3f}, "
                             "in {:.2f} s ({:.0f} samples/s)\n",
                             out_path == "-" ? what : std::string_view(out_path), st.samples,
                             st.series, st.scrapes, static_cast<double>(*interval) / 1e9,
                             st.epoch_seconds, seconds,
                             seconds > 0 ? static_cast<double>(st.samples) / seconds : 0.0);
    return true;
  };
  if (!args.openmetrics.empty() &&
      !metrics(args.openmetrics, results::PrometheusFormat::OpenMetrics, "openmetrics")) {
    return kExitBadInput;
  }
  if (!args.prometheus_text.empty() &&
      !metrics(args.prometheus_text, results::PrometheusFormat::Text, "prometheus-text")) {
    return kExitBadInput;
  }
  if (!args.prometheus_json.empty()) {
    results::QueryRangeOptions qopts;
    qopts.interval = *interval;
    if (args.epoch) {
      qopts.epoch_seconds = *args.epoch;
    } else {
      const auto epoch = results::default_epoch_seconds(path, run, &error);
      if (!epoch) {
        std::cerr << "meshtwin: " << error << '\n';
        return kExitBadInput;
      }
      qopts.epoch_seconds = *epoch;
    }
    results::QueryRangeStats st;
    double seconds = 0;
    if (!write_to(args.prometheus_json, [&](std::ostream& os) {
          return results::export_query_range(path, runs, qopts, os, &st, &error);
        }, &seconds, &error)) {
      std::cerr << "meshtwin: " << error << '\n';
      return kExitBadInput;
    }
    std::cerr << fmt::format("{}: {} samples of {} series (query_range JSON, step {} s) in {:.2f} s\n",
                             args.prometheus_json == "-" ? "prometheus-json" : args.prometheus_json, st.samples,
                             st.series, static_cast<double>(*interval) / 1e9, seconds);
  }
  if (!args.traces.empty()) {
    results::TraceExportOptions topts;
    topts.sample = args.trace_sample;
    topts.epoch_seconds = args.epoch;
    const auto format = args.format == "zipkin" ? results::TraceFormat::Zipkin : results::TraceFormat::Otlp;
    results::TraceExportStats st;
    double seconds = 0;
    if (!write_to(args.traces, [&](std::ostream& os) {
          return results::export_traces(path, run, format, topts, os, &st, &error);
        }, &seconds, &error)) {
      std::cerr << "meshtwin: " << error << '\n';
      return kExitBadInput;
    }
    std::cerr << fmt::format("{}: {} traces, {} spans ({}) in {:.2f} s\n",
                             args.traces == "-" ? "traces" : args.traces, st.traces, st.spans,
                             args.format, seconds);
  }
  return kExitOk;
}

}  // namespace

void register_export(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand(
      "export",
      "Write a run's telemetry for Prometheus (OpenMetrics, text exposition) and trace viewers "
      "(OTLP/JSON, Zipkin v2)");
  cmd->add_option("FILE", args->ref,
                  "Results file, optionally FILE.db:RUN (default: latest run), or FILE.db:bN for every replication of "
                  "batch N at once, each series labelled replication=\"R\" (metrics only)")
      ->required();
  cmd->add_option("--openmetrics", args->openmetrics,
                  "Write Istio's and Envoy's series at every scrape as OpenMetrics (for "
                  "`promtool tsdb create-blocks-from openmetrics`); - for stdout");
  cmd->add_option("--prometheus-text", args->prometheus_text,
                  "Write one scrape at the end of the run in Prometheus' text format; - for stdout");
  cmd->add_option("--prometheus-json", args->prometheus_json,
                  "Write istio_requests_total and istio_request_duration_milliseconds_bucket as the Prometheus "
                  "HTTP API answers a range query (query_range JSON, step --interval), what `meshtwin calibrate "
                  "--prometheus` reads; - for stdout");
  cmd->add_option("--traces", args->traces, "Write the run's stored spans as traces; - for stdout");
  cmd->add_option("--format", args->format, "Trace format")
      ->check(CLI::IsMember({"otlp", "zipkin"}))
      ->capture_default_str();
  cmd->add_option("--epoch", args->epoch,
                  "Unix time (seconds) of simulated time 0 (default: when the run was recorded)");
  cmd->add_option("--interval", args->interval, "Scrape interval (15s, 500ms, 1m)")
      ->capture_default_str();
  cmd->add_option("--trace-sample", args->trace_sample,
                  "Share of client requests exported as traces, chosen by request id (0..1)")
      ->capture_default_str();
  cmd->add_flag("--allow-incomplete", args->allow_incomplete,
                "Also export a run that is incomplete (its writer was killed) or failed");
  commands.push_back({cmd, [args] { return cmd_export(*args); }});
}

}  // namespace meshtwin::cli
