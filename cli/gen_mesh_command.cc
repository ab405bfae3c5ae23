// `meshtwin gen-mesh --services N ... -o DIR`: writes a synthetic mesh (model/synth) as
// DIR/manifests.yaml and DIR/scenario.yaml, ready for `meshtwin run DIR/scenario.yaml`.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "model/synth/mesh_generator.h"

namespace meshtwin::cli {
namespace {

struct GenMeshArgs {
  synth::MeshShape shape;
  std::string fanout = "1-3";
  std::string out_dir;
};

bool parse_fanout(const std::string& text, synth::MeshShape& shape) {
  int lo = 0, hi = 0;
  char dash = 0;
  if (std::sscanf(text.c_str(), "%d%c%d", &lo, &dash, &hi) == 3 && dash == '-') {
  } else if (std::sscanf(text.c_str(), "%d", &lo) == 1 && text.find('-') == std::string::npos) {
    hi = lo;
  } else {
    return false;
  }
  shape.fanout_min = lo;
  shape.fanout_max = hi;
  return true;
}

bool write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "meshtwin gen-mesh: error: writing " << path.string() << ": " << std::strerror(errno) << "\n";
    return false;
  }
  return true;
}

int cmd_gen_mesh(GenMeshArgs& args) {
  if (!parse_fanout(args.fanout, args.shape)) {
    std::cerr << "meshtwin gen-mesh: error: fanout: expected N or MIN-MAX, got \"" << args.fanout << "\"\n";
    return kExitBadInput;
  }
  if (const std::string why = synth::validate(args.shape); !why.empty()) {
    std::cerr << "meshtwin gen-mesh: error: " << why << "\n";
    return kExitBadInput;
  }
  const std::filesystem::path dir(args.out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::cerr << "meshtwin gen-mesh: error: creating " << dir.string() << ": " << ec.message() << "\n";
    return kExitBadInput;
  }
  const synth::GeneratedMesh mesh = synth::generate(args.shape, "manifests.yaml");
  if (!write_file(dir / "manifests.yaml", mesh.manifests) || !write_file(dir / "scenario.yaml", mesh.scenario))
    return kExitBadInput;
  std::size_t calls = 0, canaries = 0;
  for (const auto& s : mesh.services) {
    calls += s.calls.size();
    canaries += s.canary ? 1 : 0;
  }
  std::cout << "wrote " << (dir / "scenario.yaml").string() << ": " << mesh.services.size() << " services, "
            << calls << " call edges, " << canaries << " canaries\n";
  return kExitOk;
}

}  // namespace

void register_gen_mesh(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<GenMeshArgs>();
  auto* cmd = app.add_subcommand(
      "gen-mesh",
      "Write a synthetic mesh (layered call DAG; every service with a DestinationRule and a VirtualService, "
      "a share with a 90/10 canary) and a scenario for it, deterministic by seed");
  cmd->add_option("--services", args->shape.services, "Number of services")->capture_default_str();
  cmd->add_option("--depth", args->shape.depth, "Layers of the call DAG")->capture_default_str();
  cmd->add_option("--fanout", args->fanout, "Calls per non-leaf service, N or MIN-MAX (distinct callees)")
      ->capture_default_str();
  cmd->add_option("--canary-share", args->shape.canary_share, "Fraction of services with a v2 at 90/10")
      ->capture_default_str();
  cmd->add_option("--namespaces", args->shape.namespaces, "Spread services over this many namespaces")
      ->capture_default_str();
  cmd->add_option("--rate", args->shape.rate, "Client requests per second, all entry services together")
      ->capture_default_str();
  cmd->add_option("--requests", args->shape.requests, "Client requests in the run (sets spec.duration)")
      ->capture_default_str();
  cmd->add_option("--record", args->shape.record, "What the scenario records: metrics (the metrics table only) or all (every request and span)")
      ->capture_default_str();
  cmd->add_option("--seed", args->shape.seed, "Seed of the generator and of the scenario")->capture_default_str();
  cmd->add_option("-o,--output", args->out_dir, "Folder to write manifests.yaml and scenario.yaml into")->required();
  commands.push_back({cmd, [args] { return cmd_gen_mesh(*args); }});
}

}  // namespace meshtwin::cli
