#include "model/proxy/retry_state.h"

#include <algorithm>

namespace meshtwin::proxy {

BackoffPolicy::BackoffPolicy(SimDuration base, SimDuration max, Kind kind)
    : base_(base), max_(max), current_(base), kind_(kind) {}

SimDuration BackoffPolicy::next_limit() const {
  if (kind_ == Kind::LegacyDocumented) {
    // Retry N (1-based) waits below (2^N − 1)·B, capped at M.
    const int n = retries_ + 1;
    const SimDuration limit = n >= 62 ? max_ : ((std::int64_t{1} << n) - 1) * base_;
    return std::min(limit, max_);
  }
  return current_;
}

SimDuration BackoffPolicy::next(engine::RngStream& rng) {
  const SimDuration limit = next_limit();
  ++retries_;
  if (kind_ == Kind::JitteredExponential) {
    current_ = current_ < max_ / 2 ? 2 * current_ : max_;
  }
  // Envoy draws `random % limit` in whole milliseconds.
  const auto limit_ms = static_cast<std::uint64_t>(limit / engine::kMillisecond);
  if (limit_ms == 0) return SimDuration{};
  return static_cast<std::int64_t>(rng.uniform_int(limit_ms)) * engine::kMillisecond;
}

RetryState::RetryState(const xds::RetryPolicy* policy)
    : policy_(policy), retries_remaining_(policy ? policy->num_retries : 0) {}

bool RetryState::retriable(const AttemptOutcome& outcome) const {
  if (!policy_) return false;
  const std::uint32_t on = policy_->retry_on;
  using Kind = AttemptOutcome::Kind;
  switch (outcome.kind) {
    case Kind::Overflow:
      return false;  // a local overflow is never retried (§5.2)
    case Kind::Response: {
      const int s = outcome.status;
      if ((on & xds::kRetry5xx) && s >= 500 && s <= 599) return true;
      if ((on & xds::kRetryGatewayError) && (s == 502 || s == 503 || s == 504)) return true;
      if ((on & xds::kRetryRetriable4xx) && s == 409) return true;
      if (on & xds::kRetryRetriableStatusCodes) {
        const auto& codes = policy_->retriable_status_codes;
        if (std::find(codes.begin(), codes.end(), static_cast<std::uint32_t>(s)) != codes.end())
          return true;
      }
      switch (outcome.grpc_status) {
        case 1: return on & xds::kRetryGrpcCancelled;
        case 4: return on & xds::kRetryGrpcDeadlineExceeded;
        case 8: return on & xds::kRetryGrpcResourceExhausted;
        case 13: return on & xds::kRetryGrpcInternal;
        case 14: return on & xds::kRetryGrpcUnavailable;
        default: return false;
      }
    }
    case Kind::ConnectFailure:
      return on & (xds::kRetryConnectFailure | xds::kRetryReset | xds::kRetry5xx |
                   xds::kRetryGatewayError | xds::kRetryResetBeforeRequest);
    case Kind::RefusedStream:
      return on & (xds::kRetryRefusedStream | xds::kRetryReset | xds::kRetry5xx |
                   xds::kRetryGatewayError);
    case Kind::ResetBeforeRequest:
      return on & (xds::kRetryResetBeforeRequest | xds::kRetryReset | xds::kRetry5xx |
                   xds::kRetryGatewayError);
    case Kind::Reset:
    case Kind::PerTryTimeout:
      // Resets and per-try timeouts "count as 5xx" for 5xx/gateway-error (§5.3, §4.2).
      return on & (xds::kRetryReset | xds::kRetry5xx | xds::kRetryGatewayError);
  }
  return false;
}

RetryState::Decision RetryState::decide(const AttemptOutcome& outcome,
                                        bool retry_budget_available) {
  if (!retriable(outcome)) return Decision::NoRetry;
  if (retries_remaining_ == 0) return Decision::LimitExceeded;
  --retries_remaining_;  // decremented even when the breaker then refuses (§5.2 step 3)
  if (!retry_budget_available) return Decision::Overflow;
  ++retries_done_;
  return Decision::Retry;
}

}  // namespace meshtwin::proxy
