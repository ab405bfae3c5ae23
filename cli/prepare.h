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

namespace meshtwin::cli {

struct ScenarioArgs {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::string duration;            // --duration, Go syntax; empty: the scenario's
  std::vector<std::string> sets;   // --set PATH=VALUE
  bool verbose = false;
};

struct PreparedRun {
  scenario::ScenarioSpec spec;
  std::unique_ptr<scenario::Mesh> mesh;
};

// Loads, applies --seed/--duration, builds and prints diagnostics (with the warnings about
// resources the run does not simulate). nullopt when the input is bad (already reported).
std::optional<PreparedRun> prepare_run(const ScenarioArgs& args);

}  // namespace meshtwin::cli

#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/stop_flag.h"

namespace meshtwin::cli {

// `--max-wall DURATION` of run and check: a thread that asks the simulation to stop (StopFlag,
// reason MaxWall) once that much wall-clock time has passed, so that no scenario can run past
// a CI job's budget; the run then ends as `interrupted`. Stopped and joined when destroyed. The
// same StopFlag is what a signal handler sets.
class WallWatchdog {
 public:
  // nanoseconds <= 0: no limit, no thread.
  WallWatchdog(engine::StopFlag& flag, std::int64_t nanoseconds);
  ~WallWatchdog();
  WallWatchdog(const WallWatchdog&) = delete;
  WallWatchdog& operator=(const WallWatchdog&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Parses --max-wall (Go duration syntax, > 0). Prints one line and returns nullopt when bad;
// 0 when `text` is empty (no limit).
std::optional<std::int64_t> parse_max_wall(const std::string& text);

}  // namespace meshtwin::cli
