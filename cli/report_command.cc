// `meshtwin report FILE.db[:RUN] [--format text|json|fortio-json]`: the Fortio-shaped summary
// of a run, meshtwin's report JSON, or Fortio's own result JSON (for Fortio's UI); for
// `FILE.db:bN` each figure with its interval across the batch's replications.

#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "results/batch.h"
#include "results/reader.h"
#include "results/report.h"

namespace meshtwin::cli {
namespace {

struct ReportArgs {
  std::string ref;
  std::string format;
  bool allow_incomplete = false;
};

// `report FILE.db:bN`: every figure with its interval across the batch's replications.
int report_batch(const ReportArgs& args, const results::OpenedRef& opened) {
  std::string error;
  auto data = results::compute_batch_report(*opened.reader, *opened.batch, opened.runs, &error);
  if (!data) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  if (args.format == "fortio-json") {
    std::cerr << "meshtwin: " << args.ref
              << ": --format fortio-json describes one run; name one of the batch's runs (FILE.db:RUN)\n";
    return kExitBadInput;
  }
  std::cout << (args.format == "json" ? results::format_batch_report_json(*data) : results::format_batch_report(*data));
  return kExitOk;
}

// `report FILE.db:sN`: a batch report per point of the sweep.
int report_sweep(const ReportArgs& args, const results::RunRef& ref) {
  std::string error;
  const auto data = results::read_sweep_report(ref.path, *ref.sweep, &error);
  if (!data) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  if (args.format == "fortio-json") {
    std::cerr << "meshtwin: " << args.ref
              << ": --format fortio-json describes one run; name one of the sweep's runs (FILE.db:RUN)\n";
    return kExitBadInput;
  }
  std::cout << (args.format == "json" ? results::format_sweep_report_json(*data) : results::format_sweep_report(*data));
  return kExitOk;
}

int cmd_report(const ReportArgs& args) {
  if (const auto parsed = results::parse_run_ref(args.ref); parsed.sweep) return report_sweep(args, parsed);
  std::string error;
  auto ref = results::open_ref(args.ref, &error, args.allow_incomplete);
  if (!ref) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  if (ref->batch) return report_batch(args, *ref);
  auto opened = std::make_optional(results::OpenedRun{std::move(ref->reader), ref->run_id});
  auto data = results::compute_report(*opened->reader, opened->run_id, &error);
  if (!data) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  if (args.format == "json") {
    std::cout << results::format_report_json(*data);
  } else if (args.format == "fortio-json") {
    auto text = results::format_fortio_json(*data, &error);
    if (!text) {
      std::cerr << "meshtwin: " << error << '\n';
      return kExitBadInput;
    }
    std::cout << *text;
  } else {
    std::cout << results::format_report(*data);
  }
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand(
      "report", "Print a Fortio-shaped summary of a run (latencies in seconds, as Fortio prints them) and a "
                "table per destination version; --format fortio-json writes Fortio's result JSON");
  report->add_option("FILE", args->ref,
                     "Results file, optionally FILE.db:RUN (default: latest run), or FILE.db:bN for batch N: each "
                     "figure as mean ± 95% CI across its replications (Student t) with their spread, or FILE.db:sN for "
                     "sweep N: that for every point (--format json: kind report-sweep)")
      ->required();
  add_format_option(*report, args->format, {"text", "json", "fortio-json"});
  report->add_flag("--allow-incomplete", args->allow_incomplete,
                   "Also report a run that is incomplete (its writer was killed) or failed, "
                   "with a warning; refused by default");
  commands.push_back({report, [args] { return cmd_report(*args); }});
}

}  // namespace meshtwin::cli
