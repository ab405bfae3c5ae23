// The `meshtwin` command (DESIGN §3.1). Exit codes: 0 success, 1 a check or assertion
// failed, 2 bad input or usage (one line naming file, line, column and field path).

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/reader.h"
#include "results/report.h"
#include "results/writer.h"

namespace {

using namespace meshtwin;

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 2;

// Prints errors (and warnings) one per line; notes only with --verbose.
void print_diagnostics(const config::Diagnostics& diags, bool verbose) {
  for (const auto& d : diags.items()) {
    if (d.severity == config::Severity::Note && !verbose) continue;
    std::cerr << d.format() << '\n';
  }
}

struct RunArgs {
  std::string scenario;
  std::string output = "meshtwin-results.db";
  std::optional<std::uint64_t> seed;
  std::string duration;
  std::vector<std::string> sets;
  bool verbose = false;
  bool quiet = false;
};

int cmd_run(const RunArgs& args) {
  config::Diagnostics diags;
  auto spec = scenario::load_scenario(args.scenario, args.sets, diags);
  if (!spec) {
    print_diagnostics(diags, args.verbose);
    return kExitBadInput;
  }
  if (args.seed) spec->seed = *args.seed;
  if (!args.duration.empty()) {
    std::string error;
    auto d = engine::parse_duration(args.duration, &error);
    if (!d || *d <= 0) {
      std::cerr << "meshtwin: --duration " << args.duration << ": "
                << (d ? "must be positive" : error) << '\n';
      return kExitBadInput;
    }
    spec->duration = *d;
  }
  auto mesh = scenario::Mesh::build(*spec, diags);
  print_diagnostics(diags, args.verbose);
  if (!mesh) return kExitBadInput;

  std::string error;
  auto writer = results::SqliteWriter::open(args.output, &error);
  if (!writer) {
    std::cerr << "meshtwin: " << error << '\n';  // the writer's sentence names the file
    return kExitBadInput;
  }

  scenario::RunOptions options;
  options.meshtwin_version = MESHTWIN_VERSION;
  const bool tty = isatty(STDERR_FILENO) && !args.quiet;
  if (tty) {
    options.progress = [](const scenario::Progress& p) {
      const double pct = p.sim_duration > 0
                             ? 100.0 * static_cast<double>(std::min(p.sim_now, p.sim_duration)) /
                                   static_cast<double>(p.sim_duration)
                             : 100.0;
      std::fprintf(stderr, "\r  t=%-10s %5.1f%%  %llu requests done, %llu in flight   ",
                   engine::format_duration(p.sim_now).c_str(), pct,
                   static_cast<unsigned long long>(p.client_requests_done),
                   static_cast<unsigned long long>(p.in_flight));
      std::fflush(stderr);
    };
  }
  const auto stats = mesh->run(*writer, options);
  if (tty) std::fprintf(stderr, "\n");
  if (!writer->ok()) {
    std::cerr << "meshtwin: " << args.output << ": " << writer->error() << '\n';
    return kExitBadInput;
  }
  const double attempts_per_s =
      stats.wall_seconds > 0 ? static_cast<double>(stats.hop_attempts) / stats.wall_seconds : 0;
  std::cout << fmt::format(
      "run {} of {} written to {}: {} client requests, {} hop attempts, {} local replies in "
      "{:.2f} s wall ({:.0f} hop attempts/s), simulated {}\n",
      writer->run_id(), spec->name.empty() ? spec->path : spec->name, args.output,
      stats.client_requests, stats.hop_attempts, stats.local_replies, stats.wall_seconds,
      attempts_per_s, engine::format_duration(stats.sim_end));
  return kExitOk;
}

int cmd_report(const std::string& ref) {
  std::string error;
  auto opened = results::open_run(ref, &error);
  if (!opened) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  std::cout << results::format_report(*opened->reader, opened->run_id);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "meshtwin: a discrete-event digital twin of an Istio service mesh.\n"
      "Reads Kubernetes and Istio YAML plus a scenario file, simulates every request through\n"
      "clients, sidecars and pods with Istio's and Envoy's semantics, and writes the outcomes\n"
      "to SQLite. Exit codes: 0 success, 1 a check failed, 2 bad input or usage."};
  app.set_version_flag("--version", std::string("meshtwin ") + MESHTWIN_VERSION);
  app.require_subcommand(1);

  RunArgs run_args;
  auto* run = app.add_subcommand("run", "Simulate a scenario and append a run to a results file");
  run->add_option("SCENARIO", run_args.scenario, "Scenario file (kind: Scenario)")->required();
  run->add_option("-o,--output", run_args.output, "Results file (SQLite); a new run is appended")
      ->capture_default_str();
  run->add_option("--seed", run_args.seed, "Override spec.seed");
  run->add_option("--duration", run_args.duration,
                  "Override spec.duration (Go syntax: 90s, 1m30s, 500ms)");
  run->add_option("--set", run_args.sets,
                  "Override a scenario field before validation, e.g. "
                  "--set spec.clients[0].rate.poisson=50 (repeatable)");
  run->add_flag("-v,--verbose", run_args.verbose, "Also print notes (skipped documents, ...)");
  run->add_flag("-q,--quiet", run_args.quiet, "No progress display");

  std::string report_ref;
  auto* report = app.add_subcommand(
      "report", "Print a Fortio-shaped summary of a run and a table per destination version");
  report->add_option("FILE", report_ref, "Results file, optionally FILE.db:RUN (default: latest run)")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }

  if (*run) return cmd_run(run_args);
  if (*report) return cmd_report(report_ref);
  return kExitBadInput;
}
