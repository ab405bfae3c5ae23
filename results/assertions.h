// Assertions over a run in a results file (docs/design.md §3.2 `assertions`, issue 5 part 4): select
// requests or hops by client, source, destination, version, route, code and flag over a
// window of start times, measure successRate, non5xxRate, errorRate, p50/p90/p99/max, count, share and
// flags:<FLAG>, and compare with the expected condition. results/ does not know the scenario
// file: the CLI converts scenario::AssertionSpec into the plain structs below.
//
// What an assertion reads (docs/check-and-diff.md says the same for users):
// - Client requests (`requests` rows) when `where` names a client or a route, or names none of
//   source, destination and version. Percentiles are exact (nearest rank); the window is on
//   each request's start time. `destination`/`version` then mean where the first proxy routed
//   the request. With `record.requests` below 1 only the stored rows count.
// - Hops (`metrics`, reporter `source`: one count per request stream a caller-side proxy sent,
//   whole even when spans are sampled) when `where` names source, destination or version and
//   neither client nor route. Percentiles are interpolated in Istio's duration buckets
//   (percentile_from_buckets) and `max` is the upper bound of the highest non-empty bucket.
//   A metrics window counts when its start lies in the assertion's window (metrics are
//   windowed by a hop's end time, so a hop can differ from its start time by its duration).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/time.h"
#include "results/reader.h"

namespace meshtwin::results {

struct Assertion {
  std::string name;
  struct Where {
    std::string client, source, destination, version, route, flag;  // empty: any
    std::optional<int> response_code;
    std::optional<bool> redirected;  // client requests: made by following a redirect (redirect_of set), or not
  };
  Where where;
  std::int64_t from = 0;
  std::optional<std::int64_t> to;  // nullopt: to the end of the run
  struct Condition {
    // successRate (200-399), non5xxRate (1-499), errorRate, share (fractions 0..1); p50, p90, p99, max (ns); count,
    // flags:<FLAG> (requests).
    std::string metric;
    std::string op;  // <, <=, >, >=, ==, !=
    double value = 0;
    std::string text;  // as the user wrote it, e.g. ">= 99%"
  };
  std::vector<Condition> expect;
};

// A service as the tables store it (`reviews.default.svc.cluster.local`) matches its short name
// (`reviews`), a namespace-qualified prefix (`reviews.default`) or itself; `reviews` does not
// match `reviews-db.default.svc.cluster.local`.
bool service_matches(std::string_view host, std::string_view name);

enum class AssertionLevel { Requests, Hops };
// Which table an assertion reads (the rule in the header comment).
AssertionLevel assertion_level(const Assertion::Where& where);

struct ConditionResult {
  Assertion::Condition condition;
  bool pass = false;
  std::optional<double> observed;  // nullopt: nothing to measure (no requests selected)
  std::string observed_text;       // "0.9952 (9952 of 10000)", "182.301ms (n=10000)"
  std::string expected_text;       // "successRate >= 0.99"
};

struct AssertionResult {
  std::string name;
  AssertionLevel level = AssertionLevel::Requests;
  std::string selection;       // "requests of client users, start in [120s, end of run)"
  std::uint64_t selected = 0;  // requests or hops selected (all filters applied)
  std::string problem;         // why nothing could be measured, when that is the case
  std::vector<ConditionResult> conditions;
  bool pass() const;
};

// Evaluates every assertion against one run. Problems reading the file become failed
// conditions with a sentence in `problem`, never exceptions.
std::vector<AssertionResult> evaluate_assertions(const Reader& reader, std::int64_t run_id,
                                                 const std::vector<Assertion>& assertions);

struct CheckSummary {
  std::size_t conditions = 0;
  std::size_t failed = 0;
};
CheckSummary summarize(const std::vector<AssertionResult>& results);

// The table `meshtwin check` prints: one line per condition (ASSERTION, EXPECTED, OBSERVED,
// RESULT) and a closing line naming the failed assertions.
std::string format_assertion_table(const std::vector<AssertionResult>& results);

// `check --format json`, schemaVersion 1 (docs/schemas/check.v1.schema.json).
struct CheckJsonHeader {
  std::string scenario;  // the file
  std::string name;      // metadata.name
  std::uint64_t seed = 0;
  std::uint64_t client_requests = 0;
  std::int64_t sim_end = 0;
  std::string results;  // "FILE.db:RUN" when -o kept them, else empty
};
std::string format_check_json(const CheckJsonHeader& header, const std::vector<AssertionResult>& results);

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one <testsuite>
// for the scenario, one <testcase> per condition named "<assertion>: <condition>", with a
// <failure message="..."> naming the assertion, what was expected and what was observed.
struct JUnitSuite {
  std::string name;          // the scenario's name
  double wall_seconds = 0;   // the run's wall time
  std::vector<std::pair<std::string, std::string>> properties;  // seed, results file, ...
};
std::string format_junit(const JUnitSuite& suite, const std::vector<AssertionResult>& results);

}  // namespace meshtwin::results
