// `meshtwin calibrate --validate` (docs/calibrate.md "Validation"): per edge, observed against
// simulated request rate, error rate and p50/p90/p99, estimated the same way on both sides
// (Istio's buckets for metrics, per-request durations for traces).
#pragma once

#include <string>
#include <vector>

#include "model/calibrate/observations.h"

namespace meshtwin::calibrate {

struct CompareOptions {
  double max_rate_error = 0.02;     // relative
  double max_latency_error = 0.10;  // relative (traces); metrics: the observed value's bucket width
  double max_error_rate_delta = 0.01;  // absolute difference of error shares
  // Differences within this many standard errors of the counts (Poisson rates, binomial error
  // shares) are sampling noise and never flagged.
  double noise_sigmas = 3.0;
};

struct Quantiles {
  double p50 = 0, p90 = 0, p99 = 0;
  bool valid = false;
};

struct EdgeComparison {
  std::string edge;  // `source -> destination (service)`
  double observed_rate = 0, simulated_rate = 0;
  double observed_errors = 0, simulated_errors = 0;  // shares
  Quantiles observed, simulated;
  double latency_tolerance_ms[3] = {0, 0, 0};  // metrics: bucket widths
  std::vector<std::string> off;  // what is off: "rate", "error rate", "p50", "p90", "p99", "missing", "extra"
};

struct Comparison {
  std::vector<EdgeComparison> edges;
  std::size_t flagged = 0;
};

// Edges are matched by workload and service names (namespaces left out: traces do not carry
// them).
Comparison compare(const Observations& observed, const Observations& simulated, const CompareOptions& options);

// A fixed-width table for people, one edge a line, flagged edges marked `!`.
std::string format_comparison(const Comparison& c, bool metrics);

}  // namespace meshtwin::calibrate
