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

void register_report(CLI::App& app, Commands& commands) {
  auto ref = std::make_shared<std::string>();
  auto* report = app.add_subcommand(
      "report", "Print a Fortio-shaped summary of a run and a table per destination version");
  report->add_option("FILE", *ref, "Results file, optionally FILE.db:RUN (default: latest run)")
      ->required();
  commands.push_back({report, [ref] { return cmd_report(*ref); }});
}

}  // namespace meshtwin::cli
