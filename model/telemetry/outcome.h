#pragma once

#include <cstdint>

namespace meshtwin::telemetry {

// The two readings of "success" that Istio's own tools use, in one place so that the
// simulation, the results writer, report, diff, assertions and the viewer agree.
//
// successRate (meshtwin's historical figure, Kiali's "success"): the response code is 2xx or
// 3xx. A 404 is a failure; so is code 0 (a reset or a connection that never got a response).
inline bool is_success(std::int64_t code) { return code >= 200 && code <= 399; }

// non5xxRate (Istio's Grafana dashboards, "success rate (non-5xx responses)"): any response
// below 500 counts as a success, so a 404 does; code 0 (no response at all) still counts as a
// failure, as the dashboards' response_code!~"5.*" query sees Envoy's "0" for a reset stream
// and the twin chooses to not hide resets behind the filter.
inline bool is_non5xx(std::int64_t code) { return code > 0 && code < 500; }

// The sentences every output prints next to the two figures (report, diff, check, the JSON
// documents, the viewer), so that no figure is shown without saying which reading it is.
inline constexpr const char* kSuccessRateDefinition =
    "successRate: responses with code 200-399; 4xx, 5xx and code 0 (reset, no response) fail";
inline constexpr const char* kNon5xxRateDefinition =
    "non5xxRate: responses with code 1-499, Istio's Grafana \"success rate (non-5xx responses)\"; "
    "5xx and code 0 fail";

}  // namespace meshtwin::telemetry
