#pragma once

// What `run` and `check` share: reading a scenario with its command-line overrides and
// building the mesh, with every problem printed as one line.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"

namespace CLI {
class App;
}

namespace meshtwin::cli {

struct ScenarioArgs {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::string duration;            // --duration, Go syntax; empty: the scenario's
  std::vector<std::string> sets;   // --set PATH=VALUE
  bool verbose = false;
  bool allow_unknown_fields = false;  // --allow-unknown-fields: unknown fields warn, not fail
  bool strict = false;                // --strict: an error-level lint finding is exit 2
  bool print_lint = true;             // false: lint's findings are not printed (a sweep's later points)
};

struct PreparedRun {
  scenario::ScenarioSpec spec;
  std::unique_ptr<scenario::Mesh> mesh;
};

// Loads, applies --seed/--duration, builds, prints diagnostics (with the warnings about
// resources the run does not simulate), then lints the loaded configuration and prints every
// finding (info only with verbose) to stderr before anything is simulated: a missing subset
// that will make every request 503 NC is said up front. nullopt when the input is bad or, with
// `strict`, when lint found an error (already reported).
std::optional<PreparedRun> prepare_run(const ScenarioArgs& args);

// The options `run` and `check` share: --seed, --duration, --set, -v, --allow-unknown-fields and
// --strict, with one wording in both --help texts.
void add_scenario_options(CLI::App& cmd, ScenarioArgs& args, const std::string& set_example);

// What `run` and `check` share on their command line, set up once (add_simulate_options):
// SCENARIO with the scenario options above, -q, --max-wall, --replications and --jobs.
struct SimulateArgs {
  ScenarioArgs scenario;
  bool quiet = false;
  std::string max_wall;
  int replications = 1;  // > 1: a batch (docs/design.md §3.1)
  int jobs = 0;          // 0: every core (default_jobs())
};
// `max_wall_effect` ends the --max-wall help: what the command does when the limit is reached.
void add_simulate_options(CLI::App& cmd, SimulateArgs& args, const std::string& set_example,
                          const std::string& max_wall_effect);
// --jobs as given, or every core; never more threads than replications.
int jobs_for(const SimulateArgs& args);

}  // namespace meshtwin::cli

#include <condition_variable>
#include <mutex>
#include <thread>

#include <atomic>

#include "engine/stop_token.h"

namespace meshtwin::cli {

// `--max-wall DURATION` of run and check: a thread that asks the simulation to stop (the same
// StopToken a signal handler sets) once that much wall-clock time has passed, so that no
// scenario can run past a CI job's budget; the run then ends as `interrupted`. Stopped and
// joined when destroyed; fired() says whether it was the one that stopped the run.
class WallWatchdog {
 public:
  // nanoseconds <= 0: no limit, no thread.
  WallWatchdog(engine::StopToken& token, std::int64_t nanoseconds);
  ~WallWatchdog();
  WallWatchdog(const WallWatchdog&) = delete;
  WallWatchdog& operator=(const WallWatchdog&) = delete;
  bool fired() const { return fired_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

// Parses --max-wall (Go duration syntax, > 0). Prints one line and returns nullopt when bad;
// 0 when `text` is empty (no limit).
std::optional<std::int64_t> parse_max_wall(const std::string& text);

}  // namespace meshtwin::cli
