// Validating RE2 regular expressions where they are read, as Istio's validation webhook does
// (istioctl validate / the API server reject an invalid `regex`), so that a bad pattern is an
// error at its own file:line:col instead of a route that silently never matches.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshtwin::config {

// nullopt when `pattern` compiles with RE2 (the syntax Envoy's safe_regex and Go's regexp
// accept); otherwise RE2's reason, e.g. "missing ): (a" or "invalid repetition size: {1001}".
// Lookarounds, backreferences, repeat counts over 1000, reversed ranges and unknown Unicode
// classes are all errors.
std::optional<std::string> regex_error(std::string_view pattern);

}  // namespace meshtwin::config
