#include "cli/sequential.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include <fmt/core.h>

#include "cli/prepare.h"
#include "results/reader.h"

namespace meshtwin::cli {

std::vector<results::Assertion> to_results(const std::vector<scenario::AssertionSpec>& specs) {
  std::vector<results::Assertion> out;
  for (const auto& s : specs) {
    results::Assertion a;
    a.name = s.name;
    a.where.client = s.where.client;
    a.where.source = s.where.source;
    a.where.destination = s.where.destination;
    a.where.version = s.where.version;
    a.where.route = s.where.route;
    a.where.flag = s.where.flag;
    a.where.response_code = s.where.response_code;
    a.where.redirected = s.where.redirected;
    a.from = s.from.ns();
    if (s.to) a.to = s.to->ns();
    for (const auto& e : s.expect) a.expect.push_back({e.metric, e.op, e.value, e.text});
    out.push_back(std::move(a));
  }
  return out;
}

double look_confidence(int looks) { return 1.0 - 0.05 / std::max(1, looks); }

std::optional<DecidedBatch> decide_sequentially(PreparedRun& prepared, const std::string& output,
                                                const std::vector<results::Assertion>& assertions,
                                                const SequentialPlan& plan) {
  DecidedBatch out;
  out.confidence = plan.confidence > 0 ? plan.confidence : look_confidence(plan.looks());
  BatchOptions options = plan.batch;
  std::vector<std::vector<results::AssertionResult>> per_run;
  while (out.replications < plan.most) {
    options.first = out.replications;
    options.count = std::min(plan.step, plan.most - out.replications);
    options.batch_id = out.batch_id;
    auto batch = simulate_batch(prepared, output, options);
    if (!batch) return std::nullopt;
    out.batch_id = batch->batch_id;
    out.wall_seconds += batch->wall_seconds;
    // A stopped batch is no basis for a verdict: the caller says why and stops.
    out.max_wall_reached = batch->max_wall_reached;
    out.interrupted = batch->interrupted;
    if (batch->interrupted) return out;
    out.replications += options.count;
    out.client_requests += batch->total.client_requests;
    out.sim_end = std::max(out.sim_end, batch->total.sim_end.ns());
    std::string error;
    auto reader = results::Reader::open(output, &error);
    if (!reader) {
      std::cerr << "meshtwin: " << error << '\n';
      return std::nullopt;
    }
    for (std::int64_t id : batch->run_ids) per_run.push_back(results::evaluate_assertions(*reader, id, assertions));
    out.decided = results::decide_batch(per_run, out.confidence);
    const auto undecided = results::summarize(out.decided).inconclusive;
    if (undecided == 0 || out.replications >= plan.most) break;
    if (!plan.batch.quiet)
      std::cerr << fmt::format("meshtwin: {}: {} condition(s) inconclusive after {} replications; adding {}\n",
                               plan.name, undecided, out.replications,
                               std::min(plan.step, plan.most - out.replications));
  }
  return out;
}

}  // namespace meshtwin::cli
