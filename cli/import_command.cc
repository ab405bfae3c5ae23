// `meshtwin import --kubectl-dump DUMP.yaml -o DIR`: DIR/manifests.yaml (what the twin models of
// the dump) and DIR/scenario.yaml (a skeleton: every workload an app entry), model/calibrate.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "model/calibrate/import.h"
#include "model/config/diagnostics.h"
#include "model/config/input_file.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::string dump;
  std::string out_dir;
  bool verbose = false;
};

bool write(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  f.close();
  if (!f) std::cerr << "meshtwin import: error: writing " << p.string() << ": " << std::strerror(errno) << "\n";
  return static_cast<bool>(f);
}

int cmd_import(const ImportArgs& a) {
  std::string why;
  const auto read = config::read_input_file(a.dump, why);
  if (!read) {
    std::cerr << a.dump << ": error: " << config::read_error_message("this file", why) << "\n";
    return kExitBadInput;
  }
  const std::string& text = *read;
  config::Diagnostics diags;
  const std::string name = fs::path(a.dump).stem().string();
  const auto r = calibrate::import_kubectl_dump(text, a.dump, "manifests.yaml", name.empty() ? "imported" : name, diags);
  print_diagnostics(diags, a.verbose);
  if (diags.has_errors()) return kExitBadInput;
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  if (ec) {
    std::cerr << "meshtwin import: error: creating " << a.out_dir << ": " << ec.message() << "\n";
    return kExitBadInput;
  }
  if (!write(fs::path(a.out_dir) / "manifests.yaml", r.manifests) || !write(fs::path(a.out_dir) / "scenario.yaml", r.scenario))
    return kExitBadInput;
  std::size_t skipped = 0, owned = 0;
  std::string kinds;
  for (const auto& [k, n] : r.not_modelled) {
    skipped += n;
    kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  }
  for (const auto& [k, n] : r.owned) owned += n;
  std::cout << "wrote " << (fs::path(a.out_dir) / "scenario.yaml").string() << ": " << r.workloads << " workloads ("
            << r.with_sidecar << " with a sidecar), " << r.gateways << " gateway(s); " << r.kept << " of " << r.objects
            << " objects kept, " << owned << " owned by a controller in the dump, " << skipped << " not modelled"
            << (kinds.empty() ? "" : " (" + kinds + ")") << "\n";
  return kExitOk;
}

}  // namespace

void register_import(CLI::App& app, Commands& commands) {
  auto a = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import",
      "Turn a cluster dump (`kubectl get -A -o yaml ...`) into DIR/manifests.yaml and a scenario skeleton "
      "DIR/scenario.yaml (every workload an app entry); objects meshtwin does not model are counted and left out");
  cmd->add_option("--kubectl-dump", a->dump, "The dump: a List or multi-document YAML, status and managedFields and all")
      ->required();
  cmd->add_option("-o,--output", a->out_dir, "Folder to write manifests.yaml and scenario.yaml into")->required();
  cmd->add_flag("-v,--verbose", a->verbose, "Also print a note for every object left out");
  commands.push_back({cmd, [a] { return cmd_import(*a); }});
}

}  // namespace meshtwin::cli
