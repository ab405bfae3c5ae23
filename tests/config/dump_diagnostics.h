// Diagnostics as the CLI prints them, one per line: what the config tests compare.
#pragma once

#include <string>

#include "model/config/diagnostics.h"

namespace meshtwin::config {

inline std::string dump(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d.items()) out += x.format() + "\n";
  return out;
}

}  // namespace meshtwin::config
