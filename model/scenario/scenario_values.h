// Private to model/scenario: reading the value types of the scenario file (distributions,
// rates) and applying `--set` overrides. Shared by the loader and, later, the timeline,
// which takes the same values. Includes yaml-cpp: never include from a public header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/distribution.h"
#include "model/config/yaml_reader.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin::scenario::detail {

using config::yaml::MapReader;
using config::yaml::Value;

// A distribution of durations, in nanoseconds (DESIGN §3.2): a plain duration (constant) or a
// map with exactly one of constant, uniform, exponential, normal, lognormal (p50/p99, or
// mu/sigma of ln(value in seconds)), pareto, empirical. Reports one error and returns nullopt
// when invalid.
std::optional<engine::Distribution> read_duration_distribution(const Value& v);

// `{poisson: 200}`, `{constant: 50}`, `{closed: {connections, thinkTime}}`,
// `{ramp: {from, to, over}}`.
std::optional<RateSpec> read_rate(const Value& v);

// Applies `--set PATH=VALUE` overrides to the parsed scenario before validation (VALUE is read
// as YAML). Values written this way carry no file position. Each override's path is added to
// `strict_paths` (so an unknown field there is an error). Returns false after reporting an
// error for a malformed override or a path that does not fit the document.
bool apply_overrides(YAML::Node root, const std::vector<std::string>& overrides,
                     std::vector<std::pair<std::string, std::string>>& strict_paths, config::Diagnostics& diags);

}  // namespace meshtwin::scenario::detail
