#pragma once

// Where meshtwin's installed data lives (the bundled scenarios, Istio's samples and the --lang
// message catalogues under locale/, cli/i18n.h), and how a
// scenario named on the command line falls back to it (docs/install.md).

#include <filesystem>
#include <optional>
#include <string>

namespace meshtwin::cli {

// ../share/meshtwin from the folder of the running binary (/proc/self/exe), so that an install
// under any prefix, staged with DESTDIR or moved as a whole finds its own data. The build tree
// has the same layout (CMake links build/<preset>/share/meshtwin to the source tree).
// Returns the folder even when it does not exist, so that messages can name it.
std::filesystem::path data_dir();

// The scenario file to read for SCENARIO as given: itself when it exists (relative to the
// current folder, or absolute); otherwise, for a relative path, the first of
// DATA/scenarios/SCENARIO and DATA/SCENARIO that exists. nullopt when none exists; `tried`
// then names the installed folder looked in (left empty for an absolute path, which has no
// fallback), for the error line.
std::optional<std::string> resolve_scenario(const std::string& scenario, std::string* tried);

}  // namespace meshtwin::cli
