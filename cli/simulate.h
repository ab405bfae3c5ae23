#pragma once

// What `run` and `check` share once the mesh is built: simulating into a results file, with
// the progress line on a terminal, Ctrl-C/SIGTERM handling, and waiting for another process
// that writes the same file (docs/results-schema.md, "Interrupted, failed and incomplete runs").

#include <cstdint>
#include <optional>
#include <string>

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
// `log`, when given, is the decision log the run reports to (`run --log`).
std::optional<Simulated> simulate_to_file(scenario::Mesh& mesh, const std::string& output,
                                          bool quiet, std::int64_t max_wall_ns = 0,
                                          const telemetry::DecisionLog* log = nullptr);

// The signal that interrupted a simulation (SIGINT, SIGTERM), 0 if none. main() ends the
// process with it, after every command has closed its files, so that the exit status is the
// shell's 130 or 143 and a calling script stops as it would for any interrupted program.
int interrupting_signal();
[[noreturn]] void die_of_signal(int sig);

}  // namespace meshtwin::cli
