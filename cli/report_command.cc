// `meshtwin report FILE.db[:RUN]`: the Fortio-shaped summary of a run.

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
  bool allow_incomplete = false;
};

int cmd_report(const ReportArgs& args) {
  std::string error;
  auto opened = results::open_run(args.ref, &error, args.allow_incomplete);
  if (!opened) {
    std::cerr << "meshtwin: " << error << '\n';
    return kExitBadInput;
  }
  std::cout << results::format_report(*opened->reader, opened->run_id);
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand(
      "report", "Print a Fortio-shaped summary of a run and a table per destination version");
  report->add_option("FILE", args->ref, "Results file, optionally FILE.db:RUN (default: latest run)")
      ->required();
  report->add_flag("--allow-incomplete", args->allow_incomplete,
                   "Also report a run that is incomplete (its writer was killed) or failed, "
                   "with a warning; refused by default");
  commands.push_back({report, [args] { return cmd_report(*args); }});
}

}  // namespace meshtwin::cli
