// Private to the Istio parsers (parse_istio.cc, parse_destination_rule.cc, parse_istio_resources.cc):
// the helpers more than one of them uses.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "model/config/parsers.h"

namespace meshtwin::config::parse::istio {

inline constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t kUint32Max = std::numeric_limits<std::uint32_t>::max();

// An error about field `key` of the map `at` (e.g. a missing or conflicting field), reported
// at the map since the field itself may not exist.
void error_at(const Value& at, std::string_view key, std::string message);
void error_here(const Value& at, std::string message);
bool read_port_number(MapReader& m, std::string_view key, std::uint32_t& out);
// The document's spec as a map of `schema`; "spec is required: WHAT" when it is missing.
std::optional<MapReader> spec_of(MapReader& doc, const std::string& what, const api::Message& schema);

// parse_destination_rule.cc: also a Sidecar's ingress and inbound connection pools.
void read_connection_pool(const Value& v, ConnectionPoolSettings& cp);

// parse_istio_resources.cc: also a DestinationRule's workloadSelector.
void read_port_spec(const Value& v, PortSpec& p, bool protocol_required, const api::Message& schema);
// DestinationRule's selector is type.v1beta1.WorkloadSelector (matchLabels); ServiceEntry's and
// Sidecar's are networking.v1.WorkloadSelector (labels).
std::optional<Labels> read_workload_selector(MapReader& m, std::string_view labels_key);

}  // namespace meshtwin::config::parse::istio
