#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshtwin::telemetry {

// Envoy's response flags (docs/semantics.md §14). Bit order = the order Envoy prints them in
// %RESPONSE_FLAGS% (source/common/stream_info/utility.h), so formatting is a walk over bits.
enum ResponseFlag : std::uint32_t {
  kFailedLocalHealthCheck = 1u << 0,          // LH
  kNoHealthyUpstream = 1u << 1,               // UH
  kUpstreamRequestTimeout = 1u << 2,          // UT
  kLocalReset = 1u << 3,                      // LR
  kUpstreamRemoteReset = 1u << 4,             // UR
  kUpstreamConnectionFailure = 1u << 5,       // UF
  kUpstreamConnectionTermination = 1u << 6,   // UC
  kUpstreamOverflow = 1u << 7,                // UO
  kNoRouteFound = 1u << 8,                    // NR
  kDelayInjected = 1u << 9,                   // DI
  kFaultInjected = 1u << 10,                  // FI
  kRateLimited = 1u << 11,                    // RL
  kUnauthorizedExternalService = 1u << 12,    // UAEX
  kRateLimitServiceError = 1u << 13,          // RLSE
  kDownstreamConnectionTermination = 1u << 14,  // DC
  kUpstreamRetryLimitExceeded = 1u << 15,     // URX
  kStreamIdleTimeout = 1u << 16,              // SI
  kInvalidEnvoyRequestHeaders = 1u << 17,     // IH
  kDownstreamProtocolError = 1u << 18,        // DPE
  kUpstreamMaxStreamDurationReached = 1u << 19,  // UMSDR
  kResponseFromCacheFilter = 1u << 20,        // RFCF
  kNoFilterConfigFound = 1u << 21,            // NFCF
  kDurationTimeout = 1u << 22,                // DT
  kUpstreamProtocolError = 1u << 23,          // UPE
  kNoClusterFound = 1u << 24,                 // NC
  kOverloadManager = 1u << 25,                // OM
  kDnsResolutionFailed = 1u << 26,            // DF
  kDropOverload = 1u << 27,                   // DO
  kDownstreamRemoteReset = 1u << 28,          // DR
};

// "UT,URX"; "-" when no flag is set.
std::string format_response_flags(std::uint32_t flags);
// Inverse of format_response_flags; nullopt for an unknown code.
std::optional<std::uint32_t> parse_response_flags(std::string_view text);

}  // namespace meshtwin::telemetry
