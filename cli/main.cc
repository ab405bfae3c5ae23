// The `meshtwin` command (docs/design.md §3.1). Exit codes: 0 success, 1 a check or assertion
// failed, 2 bad input or usage (one line naming file, line, column and field path).

#include <cstdio>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/simulate.h"

int main(int argc, char** argv) {
  using namespace meshtwin::cli;
  CLI::App app{
      "meshtwin: a discrete-event digital twin of an Istio service mesh.\n"
      "Reads Kubernetes and Istio YAML plus a scenario file, simulates every request through\n"
      "clients, sidecars and pods with Istio's and Envoy's semantics, and writes the outcomes\n"
      "to SQLite. Exit codes: 0 success, 1 a check failed, 2 bad input or usage.\n"
      "A scenario not found from the current folder is looked up among the installed ones\n"
      "(see --data-dir), e.g. `meshtwin run bookinfo/reviews-80-20.yaml`."};
  app.set_version_flag("--version", std::string("meshtwin ") + MESHTWIN_VERSION);
  // Where the bundled scenarios and Istio samples are, for scripts and for -f paths
  // (docs/install.md). Printed during parsing, so no subcommand is needed with it.
  app.add_flag_callback(
         "--data-dir",
         [] {
           std::cout << data_dir().string() << '\n';
           throw CLI::Success();
         },
         "Print the folder holding the bundled scenarios and Istio samples, and exit")
      ->trigger_on_parse();
  app.require_subcommand(1);

  Commands commands;
  register_run(app, commands);
  register_check(app, commands);
  register_sweep(app, commands);
  register_merge(app, commands);
  register_capacity(app, commands);
  register_diff(app, commands);
  register_report(app, commands);
  register_export(app, commands);
  register_explain(app, commands);
  register_trace(app, commands);
  register_lint(app, commands);
  register_conformance(app, commands);
  register_graph(app, commands);
  register_gen_mesh(app, commands);
  register_import(app, commands);
  register_calibrate(app, commands);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::Success&) {
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  for (const Command& command : commands) {
    if (!command.app->parsed()) continue;
    int code = kExitOk;
    try {
      code = command.run();
    } catch (const std::bad_alloc&) {
      // Inputs are bounded where they are read (docs/scenario-reference.md "Limits"); what is
      // left (a run whose traffic outgrows memory) still ends as one line and exit 2, never an
      // abort with a core dump.
      std::fputs("meshtwin: error: out of memory; the scenario needs more memory than this machine (or "
                 "its ulimit) allows; lower the client rates, the duration or the replicas\n",
                 stderr);
      return kExitBadInput;
    } catch (const std::length_error& e) {
      std::fprintf(stderr, "meshtwin: error: out of memory (%s); the scenario is too large for meshtwin\n",
                   e.what());
      return kExitBadInput;
    }
    // A simulation stopped by Ctrl-C or SIGTERM has saved what it recorded; now end the way
    // an interrupted program does (the shell sees 130 or 143).
    if (const int sig = interrupting_signal()) die_of_signal(sig);
    return code;
  }
  return kExitBadInput;
}
