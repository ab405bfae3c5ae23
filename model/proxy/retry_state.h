#pragma once

#include <cstdint>

#include "engine/rng.h"
#include "engine/time.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

// How one upstream attempt ended, as the router sees it.
struct AttemptOutcome {
  enum class Kind {
    Response,         // upstream response headers arrived (status, maybe grpc-status)
    ConnectFailure,   // refused / connect timeout (UF)
    RefusedStream,    // HTTP/2 REFUSED_STREAM
    ResetBeforeRequest,  // reset before any request byte went upstream
    Reset,            // remote reset / disconnect after the request was sent (UR, UC)
    PerTryTimeout,    // UT at the per-try timer
    Overflow,         // local circuit-breaker overflow (UO): never retried
  };
  Kind kind = Kind::Response;
  int status = 200;
  int grpc_status = -1;  // -1: none in the response headers
};

// The full-jitter exponential backoff of current Envoy (docs/semantics.md §5.4): limits B, 2B, 4B, …
// capped at M (25, 50, 100, 200, 250, 250 ms by default); each wait uniform in [0, limit) ms.
// `legacy` switches to the form older Envoy docs describe, [0, (2^N − 1)·B) capped at M
// (§5.4 DOC≠CODE, §17.1), keeping the choice a named policy rather than an edit.
class BackoffPolicy {
 public:
  enum class Kind { JitteredExponential, LegacyDocumented };
  BackoffPolicy(SimDuration base, SimDuration max, Kind kind = Kind::JitteredExponential);
  // The wait before the next retry; advances the state.
  SimDuration next(engine::RngStream& rng);
  // The exclusive upper bound the next call to next() draws below (for tests and explain).
  SimDuration next_limit() const;

 private:
  SimDuration base_, max_, current_;
  int retries_ = 0;
  Kind kind_;
};

// Envoy's per-request retry state over an immutable xds::RetryPolicy (docs/semantics.md §5.2).
class RetryState {
 public:
  explicit RetryState(const xds::RetryPolicy* policy);

  enum class Decision {
    NoRetry,             // not retriable: return this result
    Retry,               // schedule a retry after backoff
    LimitExceeded,       // retriable but no retries left: flag URX
    Overflow,            // retriable but the retry circuit breaker refused: flag UO
  };

  // Would the policy retry this outcome at all (§5.3)?
  bool retriable(const AttemptOutcome& outcome) const;

  // Steps 1–4 of §5.2. `retry_budget_available` is the cluster's retry circuit breaker.
  Decision decide(const AttemptOutcome& outcome, bool retry_budget_available);

  int retries_done() const { return retries_done_; }
  bool has_policy() const { return policy_ != nullptr; }
  const xds::RetryPolicy* policy() const { return policy_; }

 private:
  const xds::RetryPolicy* policy_;
  std::uint32_t retries_remaining_ = 0;
  int retries_done_ = 0;
};

}  // namespace meshtwin::proxy
