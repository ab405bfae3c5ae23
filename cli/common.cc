#include <iostream>

#include "cli/commands.h"
#include "model/config/diagnostics.h"

namespace meshtwin::cli {

void print_diagnostics(const config::Diagnostics& diags, bool verbose) {
  for (const auto& d : diags.items()) {
    if (d.severity == config::Severity::Note && !verbose) continue;
    std::cerr << d.format() << '\n';
  }
}

}  // namespace meshtwin::cli
