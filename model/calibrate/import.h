// `meshtwin import --kubectl-dump DUMP.yaml` (docs/calibrate.md "Import"): a `kubectl get -A
// -o yaml` dump turned into manifests the twin loads and a scenario skeleton (every workload an
// app entry, the gateways, which pods get a sidecar), with what the twin does not model
// counted and left out.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/config/diagnostics.h"

namespace meshtwin::calibrate {

struct ImportResult {
  std::string manifests;  // multi-document YAML: the objects kept
  std::string scenario;   // the skeleton; its manifests entry is `manifests_path`
  std::size_t objects = 0, kept = 0;
  std::map<std::string, std::size_t> not_modelled;  // kind -> objects left out
  std::map<std::string, std::size_t> owned;         // kind -> objects a controller in the dump owns
  std::size_t workloads = 0, with_sidecar = 0, gateways = 0;
};

// `text` is the dump (a List or multi-document YAML); problems go to `diags` (errors: the dump
// does not load). `manifests_path` is how the scenario refers to the manifests file.
ImportResult import_kubectl_dump(const std::string& text, const std::string& file, const std::string& manifests_path,
                                 const std::string& name, config::Diagnostics& diags);

}  // namespace meshtwin::calibrate
