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

// One finding as `istioctl analyze` prints it (its diag.Message String()):
//   Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host+subset ...
// level (Error, Warning, Info), code, then origin (the resource) and reference (file:line) in
// parentheses, then the message. `with_field_path` appends meshtwin's field path
// (` at spec.http[0].route[0].destination.subset`) for people who want the exact field.
// The one formatter for findings: lint, run and check print them with it.
std::string format(const Finding& f, bool with_field_path = false);

// istioctl's level names: "Error", "Warning", "Info".
const char* level_name(config::Severity s);
// istioctl's documentationUrl for IST codes (https://istio.io/latest/docs/reference/config/analysis/ist0101/);
// meshtwin's own MT codes point at docs/explain-lint.md.
std::string documentation_url(const std::string& code);

// `lint --format json|yaml`: {schemaVersion: 1, kind: lint, messages: [...], summary}, each
// message with istioctl's field names (code, level, origin, reference, message,
// documentationUrl) plus meshtwin's name, fieldPath, file, line and column
// (docs/schemas/lint.v1.schema.json).
std::string format_findings_json(const std::vector<Finding>& findings);
std::string format_findings_yaml(const std::vector<Finding>& findings);

}  // namespace meshtwin::analysis
