// `meshtwin lint -f PATH... [--format text|json|yaml]`: istioctl-analyze-like findings
// (model/analysis/lint.h), one line each in istioctl's shape
// (`Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) ...`), or istioctl's field
// names in JSON/YAML. Exit 1 when any finding is an error, 2 when the files cannot be read at
// all (meshtwin's codes; istioctl's 79 is not copied).

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "model/analysis/lint.h"
#include "model/config/loader.h"
#include "model/registry/registry.h"

namespace meshtwin::cli {
namespace {

struct LintArgs {
  std::vector<std::string> files;
  std::string format;
  bool verbose = false;
  bool allow_unknown_fields = false;
};

int cmd_lint(const LintArgs& args) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::LoadOptions load_options;
  load_options.allow_unknown_fields = args.allow_unknown_fields;
  load_options.parse_threads = 0;  // large files parse on every core; nothing runs after the load
  config::load_paths(args.files, store, diags, load_options);
  // A file that cannot be read is bad input; a document that does not validate is a finding.
  for (const auto& d : diags.items())
    if (d.severity == config::Severity::Error && d.location.line == 0) {
      print_diagnostics(diags, args.verbose);
      return kExitBadInput;
    }
  for (const auto& d : diags.items())
    if (d.severity == config::Severity::Warning || (args.verbose && d.severity == config::Severity::Note))
      std::cerr << d.format() << '\n';
  config::Diagnostics registry_diags;
  const registry::Registry reg = registry::Registry::build(store, registry_diags);
  const auto findings = analysis::lint(store, reg, &diags);
  std::size_t errors = 0, warnings = 0, infos = 0;
  for (const auto& f : findings) {
    if (f.severity == config::Severity::Error) ++errors;
    else if (f.severity == config::Severity::Warning) ++warnings;
    else ++infos;
  }
  if (args.format == "json") {
    std::cout << analysis::format_findings_json(findings);
  } else if (args.format == "yaml") {
    std::cout << analysis::format_findings_yaml(findings);
  } else {
    for (const auto& f : findings) std::cout << analysis::format(f, args.verbose) << '\n';
    std::cout << errors << " error(s), " << warnings << " warning(s), " << infos << " info\n";
  }
  return errors > 0 ? kExitCheckFailed : kExitOk;
}

}  // namespace

void register_lint(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<LintArgs>();
  auto* cmd = app.add_subcommand("lint", "Find mistakes in manifests: istioctl analyze's lines (Error [IST0101] (Kind ns/name file:line) message) and codes where one exists");
  cmd->add_option("-f,--filename", args->files, "Manifest files or folders (like kubectl apply -f)")->required();
  add_format_option(*cmd, args->format, {"text", "json", "yaml"});
  cmd->add_flag("-v,--verbose", args->verbose, "Also print notes (skipped documents, ...) and each finding's field path");
  cmd->add_flag("--allow-unknown-fields", args->allow_unknown_fields, kAllowUnknownFieldsHelp);
  commands.push_back({cmd, [args] { return cmd_lint(*args); }});
}

}  // namespace meshtwin::cli
