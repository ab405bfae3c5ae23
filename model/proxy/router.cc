#include "model/proxy/router.h"

#include "model/proxy/outlier_detector.h"
#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin::proxy {

namespace flag = telemetry;

AttemptResult classify_attempt(UpstreamReply reply, int response_code, int grpc_status, bool http2,
                               bool raw_tcp) {
  AttemptResult r;
  r.code = response_code;
  if (raw_tcp && reply == UpstreamReply::Response && !telemetry::is_success(response_code))
    reply = UpstreamReply::ResetBeforeHeaders;
  if (raw_tcp && reply == UpstreamReply::ResetAfterHeaders) reply = UpstreamReply::ResetBeforeHeaders;
  switch (reply) {
    case UpstreamReply::Response:
      r.outcome.kind = AttemptOutcome::Kind::Response;
      r.outcome.status = response_code;
      r.outcome.grpc_status = grpc_status;
      break;
    case UpstreamReply::ConnectFailure:
      r.outcome.kind = AttemptOutcome::Kind::ConnectFailure;
      r.flags = flag::kUpstreamConnectionFailure;
      r.code = 503;
      break;
    case UpstreamReply::ResetBeforeHeaders:
      // HTTP/1.1: the connection closed (UC); HTTP/2: the stream was reset (UR) (§14).
      r.outcome.kind = AttemptOutcome::Kind::Reset;
      r.flags = http2 ? flag::kUpstreamRemoteReset : flag::kUpstreamConnectionTermination;
      r.code = 503;
      break;
    case UpstreamReply::ResetAfterHeaders:
      // Headers already went downstream: nothing can be retried any more (§5.2).
      r.outcome.kind = AttemptOutcome::Kind::Reset;
      r.flags = http2 ? flag::kUpstreamRemoteReset : flag::kUpstreamConnectionTermination;
      r.final_only = true;
      break;
  }
  return r;
}

OutlierInput outlier_input(const AttemptOutcome& outcome) {
  switch (outcome.kind) {
    case AttemptOutcome::Kind::Response:
      return {true, outcome.grpc_status >= 0 ? grpc_to_http_status(outcome.grpc_status) : outcome.status,
              false, false};
    case AttemptOutcome::Kind::PerTryTimeout:
      return {true, 504, true, true};
    case AttemptOutcome::Kind::Overflow:
      return {};  // a local overflow is not the host's fault (§10.2)
    default:
      return {true, 503, true, false};  // connect failure or reset: local origin
  }
}

void Router::reset() {
  retry_ = RetryState(nullptr);
  backoff_.reset();
  attempt_ = 0;
  tried_count_ = 0;
  holds_retry_ = false;
}

void Router::begin(const xds::Route& route) {
  retry_ = RetryState(route.retry ? &*route.retry : nullptr);
  if (route.retry) backoff_.emplace(route.retry->backoff_base, route.retry->backoff_max);
}

bool Router::avoid_previous_hosts() const {
  const xds::RetryPolicy* p = retry_.policy();
  return attempt_ > 1 && p && p->previous_hosts_predicate;
}

SimDuration Router::per_try_timeout(const xds::Route* route) const {
  const xds::RetryPolicy* p = retry_.policy();
  if (!p || p->per_try_timeout <= SimDuration{}) return SimDuration{};
  if (route != nullptr && route->timeout != SimDuration{} && p->per_try_timeout >= route->timeout) return SimDuration{};
  return p->per_try_timeout;
}

Router::Verdict Router::decide_after_attempt(const AttemptResult& result, std::uint32_t stream_flags,
                                             const CircuitBreakerCounters* counters,
                                             const CircuitBreakerThresholds* limits) {
  using Decision = RetryState::Decision;
  Verdict v;
  v.decision = result.final_only ? Decision::NoRetry
                                 : retry_.decide(result.outcome,
                                                 counters ? counters->retry_allowed(*limits) : true);
  v.flags = stream_flags | result.flags;
  if (v.decision == Decision::LimitExceeded) v.flags |= flag::kUpstreamRetryLimitExceeded;
  if (v.decision == Decision::Overflow) v.flags |= flag::kUpstreamOverflow;
  return v;
}

}  // namespace meshtwin::proxy
