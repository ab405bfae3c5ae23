#pragma once

// What `check --until-conclusive` and `capacity` share (issue 12 §2-§3): a scenario's assertions
// decided over a batch of replications, adding replications while a condition is inconclusive.
// One home for the loop: both commands decide the same way (docs/check-and-diff.md,
// "Sequential checking"), through results::decide_batch.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/simulate.h"
#include "engine/time.h"
#include "model/scenario/scenario_spec.h"
#include "results/assertions.h"
#include "results/batch.h"

namespace meshtwin::cli {

struct PreparedRun;

// The scenario's assertions as results/ takes them: results/ must not depend on model/.
std::vector<results::Assertion> to_results(const std::vector<scenario::AssertionSpec>& specs);

// The 95 % family confidence, split over the looks a sequential test may take (Bonferroni):
// with L planned looks each interval is at 1 - 0.05 / L, so the chance that any look decides
// wrongly stays at most 5 % however many looks are used (docs/check-and-diff.md).
double look_confidence(int looks);

struct SequentialPlan {
  std::string name;   // the scenario's, for messages
  int step = 2;       // replications a look (at least 2: a look needs intervals)
  int most = 2;       // the most replications in all (>= step); step == most: one look
  BatchOptions batch; // jobs, quiet, max_wall_ns (first, count and batch_id are set here)
  // The interval's confidence; 0: look_confidence of the planned looks.
  double confidence = 0;
  int looks() const { return (most + step - 1) / step; }
};

struct DecidedBatch {
  std::int64_t batch_id = 0;
  int replications = 0;  // run so far
  double confidence = 0;
  std::vector<results::BatchAssertion> decided;
  std::uint64_t client_requests = 0;
  std::int64_t sim_end = 0;  // ns, as the results header stores it
  double wall_seconds = 0;
  bool max_wall_reached = false;  // a look stopped at --max-wall: nothing is decided
  bool interrupted = false;       // a signal stopped it: main() ends the process with it
};

// Runs `plan.step` replications of `prepared` into `output` as one batch, evaluates
// `assertions` on each (results::evaluate_assertions) and decides them over the batch
// (results::decide_batch); while a condition is inconclusive and fewer than `plan.most`
// replications ran, adds another step to the same batch and decides again. nullopt when a
// batch could not be simulated or read (one line printed).
std::optional<DecidedBatch> decide_sequentially(PreparedRun& prepared, const std::string& output,
                                                const std::vector<results::Assertion>& assertions,
                                                const SequentialPlan& plan);

}  // namespace meshtwin::cli
