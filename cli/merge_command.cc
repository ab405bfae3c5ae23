// `meshtwin merge A.db B.db ... -o ALL.db`: joins the results files of the shards of one
// `run --replications` or `sweep` (`--shard K/N`) into the file the unsharded command writes
// (docs/scale-out.md). Reads its inputs only.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "results/merge.h"

namespace meshtwin::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string output;
};

int cmd_merge(const MergeArgs& args) {
  std::string error;
  auto merged = results::merge_results(args.inputs, args.output, &error);
  if (!merged) {
    std::cerr << "meshtwin merge: " << error << '\n';
    return kExitBadInput;
  }
  for (const auto& gap : merged->gaps)
    std::cerr << "meshtwin merge: warning: " << gap << ": is a shard's file missing?\n";
  std::cout << fmt::format("merged {} files into {}: {} runs in {} batches, {} sweeps\n", merged->files, args.output,
                           merged->runs, merged->batches, merged->sweeps);
  return kExitOk;
}

}  // namespace

void register_merge(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<MergeArgs>();
  auto* cmd = app.add_subcommand(
      "merge",
      "Join the results files of the shards of one run --replications or sweep (--shard K/N) into one file: batch "
      "by batch, runs renumbered in replication order, as the unsharded command would have written it");
  cmd->add_option("FILES", args->inputs,
                  "The shards' results files (each must hold the same batches and sweeps; each replication in one "
                  "of them); they are only read")
      ->required();
  cmd->add_option("-o,--output", args->output, "The merged results file to write (must not exist)")->required();
  commands.push_back({cmd, [args] { return cmd_merge(*args); }});
}

}  // namespace meshtwin::cli
