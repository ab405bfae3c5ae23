// Lint: istioctl-analyze-like findings over the config meshtwin reads, with istioctl's codes
// where one exists (https://istio.io/latest/docs/reference/config/analysis/) and meshtwin's own
// MT codes otherwise. Pure: config + registry in, findings out.
#pragma once

#include <string>
#include <vector>

#include "model/config/config_store.h"
#include "model/config/diagnostics.h"
#include "model/registry/registry.h"

namespace meshtwin::analysis {

struct Finding {
  std::string code;  // IST0101, ..., MT0001
  std::string name;  // ReferencedResourceNotFound, ...
  config::Severity severity = config::Severity::Warning;  // Note = istioctl's Info
  config::SourceLocation location;
  std::string field_path;
  std::string message;
  std::string resource;  // "VirtualService default/reviews"
};

// Every finding, sorted by file, line, code. Loader diagnostics (errors) become IST0106 findings
// when `load_diags` is given.
std::vector<Finding> lint(const config::ConfigStore& store, const registry::Registry& registry,
                          const config::Diagnostics* load_diags = nullptr);

// Warnings naming the resources meshtwin reads but does not simulate (PeerAuthentication,
// AuthorizationPolicy, EnvoyFilter, ... and ambient-mode namespaces): a real mesh would treat
// traffic differently where they apply. The simulation and explain print these too.
void warn_unsimulated(const config::ConfigStore& store, config::Diagnostics& diags);

// "file:line:col: warning IST0173 DestinationRuleSubsetNotSelectPods: spec.subsets[2]: ... (DestinationRule default/ratings)"
std::string format(const Finding& f);

}  // namespace meshtwin::analysis
