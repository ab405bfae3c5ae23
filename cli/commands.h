#pragma once

// Each `meshtwin` subcommand lives in its own file (cli/<name>_command.cc) and registers
// itself through one function declared here; main.cc calls them in the order --help lists
// them.

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace meshtwin::config {
class Diagnostics;
}

namespace meshtwin::cli {

constexpr int kExitOk = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitBadInput = 2;

// --allow-unknown-fields, on every subcommand that reads a scenario or manifests.
inline constexpr const char* kAllowUnknownFieldsHelp =
    "Warn about fields the scenario format or the Kubernetes/Istio API does not define, instead of failing "
    "(exit 2)";

struct Command {
  CLI::App* app = nullptr;    // the subcommand, to know whether it was chosen
  std::function<int()> run;   // returns the exit code
};
using Commands = std::vector<Command>;

// Prints errors and warnings to stderr, one line each (`file:line:col: error: path: ...`);
// notes (skipped documents) only when `verbose`.
void print_diagnostics(const config::Diagnostics& diags, bool verbose);

// `--format FORMAT` with its allowed values (the first is the default), the same help text
// wherever it appears. Machine formats are versioned JSON (docs/output-formats.md).
void add_format_option(CLI::App& cmd, std::string& format, const std::vector<std::string>& allowed);

void register_run(CLI::App& app, Commands& commands);
void register_report(CLI::App& app, Commands& commands);
void register_export(CLI::App& app, Commands& commands);
void register_explain(CLI::App& app, Commands& commands);
void register_lint(CLI::App& app, Commands& commands);
void register_conformance(CLI::App& app, Commands& commands);
void register_graph(CLI::App& app, Commands& commands);
void register_check(CLI::App& app, Commands& commands);
void register_diff(CLI::App& app, Commands& commands);
void register_sweep(CLI::App& app, Commands& commands);
void register_merge(CLI::App& app, Commands& commands);
void register_capacity(CLI::App& app, Commands& commands);
void register_gen_mesh(CLI::App& app, Commands& commands);
void register_calibrate(CLI::App& app, Commands& commands);
void register_import(CLI::App& app, Commands& commands);
void register_trace(CLI::App& app, Commands& commands);

}  // namespace meshtwin::cli
