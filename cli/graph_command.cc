// `meshtwin graph -f PATH...`: the service graph as Graphviz DOT on stdout
// (model/analysis/graph.h). Render with `dot -Tsvg`.

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "model/analysis/graph.h"
#include "model/config/loader.h"
#include "model/registry/registry.h"

namespace meshtwin::cli {
namespace {

struct GraphArgs {
  std::vector<std::string> files;
  std::string outbound_policy = "ALLOW_ANY";
  bool verbose = false;
  bool allow_unknown_fields = false;
};

int cmd_graph(const GraphArgs& args) {
  config::ConfigStore store;
  config::Diagnostics diags;
  config::LoadOptions load_options;
  load_options.allow_unknown_fields = args.allow_unknown_fields;
  load_options.parse_threads = 0;  // large files parse on every core; nothing runs after the load
  config::load_paths(args.files, store, diags, load_options);
  print_diagnostics(diags, args.verbose);
  if (diags.has_errors()) return kExitBadInput;
  const registry::Registry reg = registry::Registry::build(store, diags);
  xds::MeshOptions mesh;
  mesh.outbound_traffic_policy = args.outbound_policy;
  std::cout << analysis::service_graph_dot(store, reg, mesh);
  return kExitOk;
}

}  // namespace

void register_graph(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph",
                                 "Print the service graph (services, the workloads their routes reach, gateways) as "
                                 "Graphviz DOT");
  cmd->add_option("-f,--filename", args->files, "Manifest files or folders (like kubectl apply -f)")->required();
  cmd->add_option("--outbound-traffic-policy", args->outbound_policy, "ALLOW_ANY or REGISTRY_ONLY")
      ->check(CLI::IsMember({"ALLOW_ANY", "REGISTRY_ONLY", "ALLOW_ANY_DYNAMIC_DNS"}))
      ->capture_default_str();
  cmd->add_flag("-v,--verbose", args->verbose, "Also print notes");
  cmd->add_flag("--allow-unknown-fields", args->allow_unknown_fields, kAllowUnknownFieldsHelp);
  commands.push_back({cmd, [args] { return cmd_graph(*args); }});
}

}  // namespace meshtwin::cli
