// `meshtwin report FILE.db[:RUN] [--format text|json|fortio-json]`: the Fortio-shaped summary
// of a run, meshtwin's report JSON, or Fortio's own result JSON (for Fortio's UI).

#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "results/reader.h"
#include "results/report.h"

namespace meshtwin::cli {
namespace {

struct ReportArgs {
  std::string ref;
  std::string format;
  bool allow_incomplete = false;
};

int cmd_report(const ReportArgs& args) {
  std::string error;
  auto opened = results::open_run(args.ref, &error, args.allow_incomplete);
  if (!opened) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
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
  report->add_option("FILE", args->ref, "Results file, optionally FILE.db:RUN (default: latest run)")
      ->required();
  add_format_option(*report, args->format, {"text", "json", "fortio-json"});
  report->add_flag("--allow-incomplete", args->allow_incomplete,
                   "Also report a run that is incomplete (its writer was killed) or failed, "
                   "with a warning; refused by default");
  commands.push_back({report, [args] { return cmd_report(*args); }});
}

}  // namespace meshtwin::cli
