#pragma once

// Request-driven app behaviour (docs/design.md §3.2, `apps.<w>.endpoints`): an app's ordered
// rules, each matching the method, path (exact / prefix / regex), headers and query of the
// request the app received, and answering with its own service time, status, failures and
// calls. The first rule that matches decides; no rule matching leaves the workload's own keys.
// A regex path's capture groups may feed the answer: `status: $1` (httpbin's /status/{code})
// or `serviceTime: $1` in seconds (httpbin's /delay/{seconds}).
//
// Pure functions of the request: no simulator, no RNG, no allocation per request. RE2 is only
// forward-declared here so that this header stays light.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/time.h"

namespace re2 {
class RE2;
}

namespace meshtwin::app {

using engine::SimDuration;
using engine::SimTime;

// One string condition, as Istio's StringMatch: exact, prefix, or an RE2 regex that must match
// the whole value.
struct StringMatch {
  enum class Kind : std::uint8_t { Exact, Prefix, Regex };
  Kind kind = Kind::Exact;
  std::string value;
  std::shared_ptr<const re2::RE2> regex;  // Regex: compiled once, shared by copies
  // The capturing groups of a regex (0 for exact and prefix).
  int groups() const;
};
// nullopt and a sentence in `error` when a regex does not compile.
std::optional<StringMatch> make_string_match(StringMatch::Kind kind, std::string value, std::string* error);

// The condition part of one rule; every given part must hold.
struct EndpointMatch {
  std::string method;                // empty: any method
  std::optional<StringMatch> path;   // the path without the query string; none: any path
  std::vector<std::pair<std::string, StringMatch>> headers;  // names lower case; must be present
  std::vector<std::pair<std::string, StringMatch>> query;    // query parameters; must be present
};

// A value written as a number or as `$N`, a capture group of the rule's path regex.
struct CaptureRef {
  int group = 0;  // 0: not a capture
};

// What the request carries, as the app sees it. `header` looks a request header up by its
// lower-case name (nullopt: absent).
struct RequestView {
  std::string_view method;
  std::string_view path;  // with the query string, as sent
  const void* headers = nullptr;
  std::optional<std::string_view> (*header)(const void* headers, std::string_view name) = nullptr;
};

// Up to $9, views into the request's path.
struct Captures {
  std::array<std::string_view, 10> group{};
  int count = 0;
};

// The path before '?', and the value of query parameter `name` (nullopt: absent; a parameter
// without '=' has the empty value). Values are compared as sent (not percent-decoded).
std::string_view path_only(std::string_view path_with_query);
std::optional<std::string_view> query_param(std::string_view path_with_query, std::string_view name);

// True when `m` matches `value`; a regex's groups go to `captures` when given.
bool string_matches(const StringMatch& m, std::string_view value, Captures* captures = nullptr);
bool endpoint_matches(const EndpointMatch& m, const RequestView& req, Captures& captures);

// The index of the first rule (of `count`, each reached through `match_of(i)`) that matches
// the request, or -1; `captures` are those of that rule's path regex.
template <class Rules>
int match_endpoint(const Rules& rules, const RequestView& req, Captures& captures) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    captures = Captures{};
    if (endpoint_matches(rules[i].match, req, captures)) return static_cast<int>(i);
  }
  captures = Captures{};
  return -1;
}

// `status: $N`: the captured text as an HTTP status; 500 when it is not one (100-599), as an
// app whose handler could not parse its argument fails.
int status_from_capture(const Captures& c, CaptureRef ref, int fixed);
// `serviceTime: $N`: the captured text as seconds (decimal); nullopt when it is not a
// non-negative number.
std::optional<SimDuration> seconds_from_capture(const Captures& c, CaptureRef ref);

}  // namespace meshtwin::app
