#pragma once

// What `run` and `check` share once the mesh is built: simulating into a results file, with
// the progress line on a terminal, Ctrl-C/SIGTERM handling, and waiting for another process
// that writes the same file (docs/results-schema.md, "Interrupted, failed and incomplete runs").

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/shard.h"
#include "model/scenario/mesh.h"

namespace meshtwin::cli {

struct Simulated {
  scenario::RunStats stats;
  std::int64_t run_id = 0;
  bool max_wall_reached = false;  // stopped by --max-wall (stats.interrupted is then true)
};

// Opens (or creates) `output`, runs `mesh` into it and closes it. While it runs, the first
// SIGINT or SIGTERM stops the simulation at the next event; what was recorded and the
// summaries so far are written and the run is marked `interrupted`; a second signal ends the
// process at once (the run then reads as incomplete). nullopt after printing one line when
// the file cannot be opened or a write failed (the run is then marked `failed`).
// `max_wall_ns` > 0 stops the run after that much wall-clock time (`--max-wall`), the same way.
// `warmup_ns` is the scenario's spec.warmup, stored with the run and left out of its summaries.
// `log`, when given, is the decision log the run reports to (`run --log`).
std::optional<Simulated> simulate_to_file(scenario::Mesh& mesh, const std::string& output,
                                          bool quiet, std::int64_t max_wall_ns = 0,
                                          std::int64_t warmup_ns = 0,
                                          const telemetry::DecisionLog* log = nullptr);

struct PreparedRun;

// A folder `dir/PREFIXxxxxxx` made for scratch files, removed with everything in it when this
// is destroyed; path() is empty when it could not be made.
class ScratchDir {
 public:
  ScratchDir(const std::filesystem::path& dir, const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `--replications N --jobs J` (docs/design.md §3.1): replications first, first + stride, ...
// (count of them; stride > 1 for a shard, `--shard K/N`) of the prepared scenario, replication r with seed engine::replication_seed(spec.seed, r), run on
// `jobs` threads at once. Each thread builds its own Mesh (no state is shared between them)
// and writes into a part file of its own next to `output`; this thread copies the finished
// parts into `output` in replication order (SqliteWriter::append_run), so the file's rows are
// the same whatever `jobs` is. Appends to batch `batch_id`, or starts a new batch when it is 0.
// A signal or --max-wall stops every replication at its next event; those that ran are kept
// (interrupted), those not started are not run, and the batch is marked interrupted.
struct BatchOptions {
  int first = 0;
  int count = 1;
  int stride = 1;
  int replication(int i) const { return first + i * stride; }  // the i-th replication run here
  void set_slice(const ShardSlice& s) {  // a shard's replications (`--shard K/N`)
    first = s.first;
    stride = s.stride;
    count = s.count;
  }
  int jobs = 1;
  bool quiet = false;
  std::int64_t max_wall_ns = 0;
  std::int64_t batch_id = 0;
};
struct SimulatedBatch {
  std::int64_t batch_id = 0;
  std::vector<std::int64_t> run_ids;        // the replications written, in replication order
  std::vector<scenario::RunStats> stats;    // the same order
  scenario::RunStats total;                 // sums of the counters; sim_end the latest
  double wall_seconds = 0;                  // of the whole batch
  bool interrupted = false;
  bool max_wall_reached = false;
};
// nullopt after printing one line when the file cannot be written or a replication failed.
std::optional<SimulatedBatch> simulate_batch(PreparedRun& prepared, const std::string& output,
                                             const BatchOptions& options);

// The number of threads `--jobs` means by default: every core.
int default_jobs();

// The signal that interrupted a simulation (SIGINT, SIGTERM), 0 if none. main() ends the
// process with it, after every command has closed its files, so that the exit status is the
// shell's 130 or 143 and a calling script stops as it would for any interrupted program.
int interrupting_signal();
[[noreturn]] void die_of_signal(int sig);

}  // namespace meshtwin::cli
