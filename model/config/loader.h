#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/config/config_store.h"
#include "model/config/diagnostics.h"

namespace meshtwin::config {

struct LoadOptions {
  // Relax the checks only a real API server makes (see yaml::Reader::lenient_api_checks); for
  // replaying istiod's tests, whose fake API server accepts, e.g., duplicate Service port names.
  bool lenient_api_checks = false;
  // `--allow-unknown-fields`: a field the API does not define is a warning, not an error.
  bool allow_unknown_fields = false;
  // Threads parsing a file's YAML documents, the caller's included; the result is the same for
  // every value. 1 (the default): the caller's thread alone, because once a process has started
  // a thread every later shared_ptr count and malloc call takes its multi-threaded (atomic,
  // locked) path, which would slow a simulation that follows the load. 0: chosen by file size
  // and hardware (one thread for small files), for commands that end soon after loading
  // (`lint`, `explain`, `graph`; docs/performance.md "lint and explain at size").
  unsigned parse_threads = 1;
};

// Loads files and folders like `kubectl apply -f` (docs/design.md §3.1): folders recursively in byte
// order of names (files ending .yaml, .yml or .json), multi-document YAML, `List` kinds.
// Each document is validated and applied to `store` in order. Problems go to `diags`
// (errors for invalid values and fields the API does not define, warnings for Istio fields
// meshtwin does not model, notes for skipped documents); a document with errors is not
// applied. A path that cannot be read is one error naming the system's reason. Never throws on
// bad input.
void load_paths(const std::vector<std::string>& paths, ConfigStore& store, Diagnostics& diags);
void load_paths(const std::vector<std::string>& paths, ConfigStore& store, Diagnostics& diags,
                const LoadOptions& options);

// The same for YAML text; `file_name` is what diagnostics report.
void load_yaml_text(std::string_view text, const std::string& file_name, ConfigStore& store,
                    Diagnostics& diags);


void load_yaml_text(std::string_view text, const std::string& file_name, ConfigStore& store,
                    Diagnostics& diags, const LoadOptions& options);

}  // namespace meshtwin::config
