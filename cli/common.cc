#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "model/config/diagnostics.h"

namespace meshtwin::cli {

void print_diagnostics(const config::Diagnostics& diags, bool verbose) {
  for (const auto& d : diags.items()) {
    if (d.severity == config::Severity::Note && !verbose) continue;
    std::cerr << d.format() << '\n';
  }
}

void add_format_option(CLI::App& cmd, std::string& format, const std::vector<std::string>& allowed) {
  format = allowed.front();
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  cmd.add_option("--format", format,
                 "Output format: " + list + " (json: versioned, docs/output-formats.md)")
      ->check(CLI::IsMember(allowed))
      ->capture_default_str();
}

}  // namespace meshtwin::cli
