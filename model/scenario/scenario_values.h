// Private to model/scenario: reading the value types of the scenario file (distributions,
// rates, calls, failures, paths) and applying `--set` overrides. Shared by the loader and the
// timeline, which takes the same values. Includes yaml-cpp: never include from a public header.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "engine/distribution.h"
#include "model/config/yaml_reader.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin::scenario::detail {

using config::yaml::MapReader;
using config::yaml::Value;

// A distribution of durations, in nanoseconds (docs/design.md §3.2): a plain duration (constant) or a
// map with exactly one of constant, uniform, exponential, normal, lognormal (p50/p99, or
// mu/sigma of ln(value in seconds)), pareto, empirical. Reports one error and returns nullopt
// when invalid.
std::optional<engine::Distribution> read_duration_distribution(const Value& v);

// Small typed reads shared by the value readers: a required duration / number (reporting
// "<key> is required: <what>" when absent), and a number that must be strictly positive.
std::optional<SimDuration> required_duration(MapReader& m, std::string_view key, SimDuration min, const std::string& what);
std::optional<double> required_number(MapReader& m, std::string_view key, double min, double max,
                                      const std::string& what);
std::optional<double> positive_number(const Value& v, const std::string& what,
                                      double max = std::numeric_limits<double>::infinity());

// The highest client rate, in requests per second, any rate shape may name (poisson, constant,
// ramp, steps, sine mean and amplitude, bursts, replay rates). Fortio and wrk top out far below;
// above it one client's arrivals alone would outgrow memory in seconds of simulated time.
inline constexpr double kMaxRate = 1'000'000;

// An app's `workers`: 1 to 1,000,000, or `unlimited` (returned as 0, the default). `0` is an
// error rather than a silent "unlimited": a pod with no worker at all is not what it says.
std::optional<int> read_workers(const Value& v);

// A client's rate: `{poisson: 200}`, `{constant: 50}`, `{closed: {connections, thinkTime}}`,
// `{ramp: {from, to, over}}`, `{steps: [{at, rate}...]}`, `{sine: {mean, amplitude, period,
// phase}}`, `{bursts: {base, rate, every, length}}`, `{replay: {file}}` (a CSV, relative to
// `base_dir`, read here so that its errors point at its own lines). The open-loop shapes
// steps, sine and bursts also take `arrivals: poisson | even` beside the shape.
std::optional<RateSpec> read_rate(const Value& v, const std::string& base_dir);

// A client's `mix` list (weighted header sets); the Host header is refused (it is `authority`).
void read_mix(const Value& v, std::vector<HeaderMix>& out);

// Lower-case copy (header names, URL schemes).
std::string lower_case(std::string s);
// Kubernetes object names as they appear in `workload: name` and app keys.
bool object_name(const std::string& s);
// `name` or `namespace/name`; false when either part is not an object name.
bool split_ref(const std::string& s, std::string& ns, std::string& name);
// An http URL; reports the parse error at the value.
std::optional<Url> read_url(const Value& v);
// The optional `method` field of a call or client; true when present and valid.
bool read_method(MapReader& m, std::string& out);
// An app's `calls` list (calls and `parallel:` groups) and `failures` list.
void read_calls(const Value& v, std::vector<CallStep>& out);
void read_failures(const Value& v, std::vector<FailureSpec>& out);
// An app's `endpoints` list: ordered rules, each a `match` (method, path, headers, query) and
// the keys it overrides (status, serviceTime, failures, calls, errorStatus); `$N` names a
// capture group of the rule's path regex.
void read_endpoints(const Value& v, std::vector<EndpointSpec>& out);
// A list of files or folders (one string is accepted as a list of one), resolved against
// `base_dir`; each must exist.
void read_paths(const Value& v, const std::string& base_dir, std::vector<std::string>& out);

// The time-dependent parts of spec (scenario_timeline.cc, scenario_assertions.cc). They read
// after clients and record, so that they can check names against them: timeline client
// changes name a client, rollout analyses name an assertion (read assertions first).
void read_timeline(const Value& v, ScenarioSpec& spec);
void read_rollouts(const Value& v, ScenarioSpec& spec);
void read_assertions(const Value& v, ScenarioSpec& spec);

// Applies `--set PATH=VALUE` overrides to the parsed scenario before validation (VALUE is read
// as YAML). Values written this way carry no file position. Each override's path is added to
// `strict_paths` (so an unknown field there is an error). Returns false after reporting an
// error for a malformed override or a path that does not fit the document.
bool apply_overrides(YAML::Node root, const std::vector<std::string>& overrides,
                     std::vector<std::pair<std::string, std::string>>& strict_paths, config::Diagnostics& diags);

}  // namespace meshtwin::scenario::detail
