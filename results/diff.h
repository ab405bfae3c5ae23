// `meshtwin diff` (issue 5 part 5b): compare two runs, typically the old and the new policy
// with the same seed, per client and per edge (source workload -> destination service,
// version), with bootstrap confidence intervals, and gate on thresholds (`--fail-if`).
//
// Method (docs/check-and-diff.md says the same for users):
// - Clients read the `requests` rows. Each run is resampled on its own (the nonparametric
//   bootstrap: n rows drawn with replacement from the run's n rows), and a replicate's delta
//   is candidate minus base. A resampled success count is Binomial(n, p), a resampled flag
//   count Binomial(n, p_flag), and a resampled nearest-rank percentile is the order
//   statistic x_(J) whose rank J is drawn exactly by splitting the resample's counts with
//   binomials (O(log n) per draw, no copy of the rows).
// - Edges read the source-reporter `metrics` (whole even when spans are sampled). A resample
//   redraws the hop counts of Istio's duration buckets from a multinomial, and percentiles
//   are interpolated in the resampled buckets (percentile_from_buckets) — so an edge's
//   latency resolution is the bucket width.
// - The interval is the percentile interval of the replicate deltas (95 % by default).
//   With common random numbers (same seed) the two runs are positively correlated, so
//   resampling them independently gives intervals that are conservative (too wide), never
//   too narrow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/time.h"
#include "results/reader.h"

namespace meshtwin::results {

struct DiffKey {
  enum class Kind { Client, Edge };
  Kind kind = Kind::Client;
  std::string client;                    // Client
  std::string source, service, version;  // Edge; service as stored (FQDN)
  std::string label() const;             // "client users", "productpage-v1 -> reviews.default v3"
  bool operator<(const DiffKey& o) const;
};

struct MetricDelta {
  std::string metric;  // count, successRate, non5xxRate, p50, p90, p99, flags:<FLAG>
  double base = 0;     // fractions for successRate, ns for percentiles, counts otherwise
  double candidate = 0;
  double delta = 0;            // candidate - base
  std::optional<double> lo;    // the bootstrap interval of delta; none for count
  std::optional<double> hi;
  bool comparable = true;      // false: one side has no requests (rates and percentiles)
};

struct GroupDiff {
  DiffKey key;
  std::uint64_t base_n = 0;
  std::uint64_t candidate_n = 0;
  std::vector<MetricDelta> metrics;
  const MetricDelta* find(std::string_view metric) const;
};

struct DiffOptions {
  int resamples = 1000;
  double confidence = 0.95;
  std::uint64_t seed = 1;  // of the bootstrap: the same inputs always print the same intervals
};

struct DiffReport {
  // bootstrap: two runs, requests resampled (diff_runs); replications: two batches, paired
  // replication differences (diff_batches).
  enum class Method { Bootstrap, Replications };
  Method method = Method::Bootstrap;
  int pairs = 0;  // replications: the replication pairs compared
  std::string base_label, candidate_label;  // "a.db:1 (scenario x, seed 42)"
  std::vector<std::string> notes;           // e.g. the runs used different seeds
  DiffOptions options;
  std::vector<GroupDiff> groups;            // clients, then edges, each in name order
};

// Compares run `base_run` of `base` with `candidate_run` of `candidate`. nullopt and a
// sentence when a file cannot be read.
std::optional<DiffReport> diff_runs(const Reader& base, std::int64_t base_run, const Reader& candidate,
                                    std::int64_t candidate_run, const DiffOptions& options, std::string* error);

// Compares two batches (`FILE.db:bN`) replication by replication: replication r of the base is
// paired with replication r of the candidate (the same seed, so common random numbers when the
// batches were run with the same scenario seed), each metric's difference is taken per pair, and
// its interval is the Student t interval of those differences (results/batch.h). A metric a pair
// cannot measure (no requests on one side) leaves that pair out. `count` and flags get an
// interval too. Requests inside a run are autocorrelated, which is why this, and not the request
// bootstrap of diff_runs, is the interval to gate on.
std::optional<DiffReport> diff_batches(const Reader& base, const BatchRow& base_batch, const std::vector<RunRow>& base_runs,
                                       const Reader& candidate, const BatchRow& candidate_batch,
                                       const std::vector<RunRow>& candidate_runs, const DiffOptions& options,
                                       std::string* error);

std::string format_diff(const DiffReport& report);

struct Threshold;
struct Trip;
// `diff --format json`, schemaVersion 1 (docs/schemas/diff.v1.schema.json): every group and
// metric with its interval (rates as fractions, latencies in ns), the thresholds given and
// those that tripped (`trips` null when there were none to check).
std::string format_diff_json(const DiffReport& report, const std::vector<Threshold>& thresholds,
                             const std::vector<Trip>* trips);

// A `--fail-if` threshold. Grammar (docs/check-and-diff.md):
//   EXPR   := [SCOPE] METRIC OP CHANGE
//   SCOPE  := client:NAME | [SOURCE->]SERVICE[:VERSION]   (SOURCE, SERVICE may be *)
//   METRIC := successRate | non5xxRate | errorRate | p50 | p90 | p99 | count | flags:FLAG
//   OP     := > | >= | < | <=
//   CHANGE := [+|-]NUMBER%        relative to base (any metric)
//           | [+|-]NUMBERpp       percentage points (successRate, non5xxRate, errorRate)
//           | [+|-]DURATION       absolute, e.g. +5ms (p50, p90, p99)
//           | [+|-]INTEGER        absolute (count, flags:FLAG)
// e.g. `p99 > +10%`, `successRate < -0.5pp`, `reviews:v3 p99 > +5ms`,
// `client:users flags:UO > 0`. Without a scope it applies to every client and edge.
struct Threshold {
  std::string text;
  enum class Scope { All, Client, Edge };
  Scope scope = Scope::All;
  std::string client;                    // Client
  std::string source, service, version;  // Edge: empty (or *) = any
  std::string metric;
  std::string op;
  enum class Unit { Percent, Points, Duration, Count };
  Unit unit = Unit::Percent;
  double amount = 0;  // percent, points, ns or count, signed
};
std::optional<Threshold> parse_threshold(std::string_view text, std::string* error);

struct Trip {
  std::string threshold;  // as written
  std::string group;      // DiffKey::label()
  std::string observed;   // "+12.3% (4.100ms -> 4.604ms)"
};
// The thresholds that trip. nullopt and a sentence when a threshold's scope matches no client
// or edge of either run (a typo must not pass a gate silently).
std::optional<std::vector<Trip>> check_thresholds(const DiffReport& report, const std::vector<Threshold>& thresholds,
                                                  std::string* error);

}  // namespace meshtwin::results
