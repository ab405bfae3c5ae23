// Internal to model/registry: helpers shared by its sources (names.cc, registry_build.cc).
#pragma once

#include <string>
#include <string_view>

#include "model/registry/registry.h"

namespace meshtwin::registry::detail {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
// Istio's protocol.Parse: case-insensitive names of the protocols it knows.
Protocol parse_protocol_name(std::string_view s);

}  // namespace meshtwin::registry::detail
