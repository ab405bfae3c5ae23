// `meshtwin graph`: being written (issue 4); registered so the command list is complete.

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace meshtwin::cli {

void register_graph(CLI::App& app, Commands& commands) {
  auto* cmd = app.add_subcommand("graph", "(not available yet)");
  cmd->allow_extras();
  commands.push_back({cmd, [] {
                        std::cerr << "meshtwin: graph is not available yet\n";
                        return kExitBadInput;
                      }});
}

}  // namespace meshtwin::cli
