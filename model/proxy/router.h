#pragma once

// The router filter's per-request upstream state (docs/semantics.md §4–§5), as Envoy's
// router::Filter keeps it beside its RetryState: the attempt count, the hosts tried (for the
// previous_hosts predicate), when a per-try timer applies, what an attempt's end means, and
// the decision after it — retry after a backoff, or finish with URX/UO. The owner (the mesh)
// runs the timers, the pools and the spans; this class decides. No allocation.

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "engine/rng.h"
#include "engine/time.h"
#include "model/proxy/circuit_breaker.h"
#include "model/proxy/retry_state.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

// How the server side answered an attempt (what reaches the caller's router).
enum class UpstreamReply : std::uint8_t { Response, ConnectFailure, ResetBeforeHeaders, ResetAfterHeaders };

// An attempt's end as the router logs and judges it.
struct AttemptResult {
  AttemptOutcome outcome;
  int code = 0;             // the status the router logs for the attempt
  std::uint32_t flags = 0;  // its response flags (UF, UC, UR)
  bool final_only = false;  // headers already went downstream: no retry possible (§5.2)
};

// What the server side's answer means to the router (§14): a response, a connect failure (UF),
// or a reset — UC on HTTP/1.1, UR on HTTP/2. A raw TCP connection has no status: an app's error
// answer closes it, as a reset does.
AttemptResult classify_attempt(UpstreamReply reply, int response_code, int grpc_status, bool http2,
                               bool raw_tcp);

// What the outlier detector hears of an attempt's end (§10.2), if anything.
struct OutlierInput {
  bool report = false;
  int status = 0;
  bool local_origin = false;
  bool timeout = false;
};
OutlierInput outlier_input(const AttemptOutcome& outcome);

class Router {
 public:
  // A new stream: no route yet (a shadow or a connection keeps it so: no retries).
  void reset();
  // The route is chosen and the whole request is at the router: its retry policy applies.
  void begin(const xds::Route& route);

  // The next attempt starts; returns its number (1 = the first).
  int begin_attempt() { return ++attempt_; }
  int attempt() const { return attempt_; }
  const xds::RetryPolicy* policy() const { return retry_.policy(); }

  // Whether the load balancer should avoid the hosts tried so far for this attempt: a retry
  // under the previous_hosts predicate (§5.5).
  bool avoid_previous_hosts() const;
  std::span<const std::int32_t> hosts_tried() const { return {tried_.data(), tried_count_}; }
  void remember_host(std::int32_t host) {
    if (tried_count_ < tried_.size()) tried_[tried_count_++] = host;
  }
  // The cluster's host set changed (a retry after an EDS push): earlier picks mean nothing.
  void forget_hosts() { tried_count_ = 0; }

  // The per-try timeout for an attempt that starts now (§4.2): the policy's, unless the
  // route timeout is shorter; 0 for none.
  SimDuration per_try_timeout(const xds::Route* route) const;

  struct Verdict {
    RetryState::Decision decision = RetryState::Decision::NoRetry;
    std::uint32_t flags = 0;  // the stream's flags after this attempt (URX, UO added)
  };
  // The decision after an attempt (§5.2 steps 1–4): `counters`/`limits` are the cluster's
  // retry circuit breaker (none: no breaker). Counts the retry in the policy's budget.
  Verdict decide_after_attempt(const AttemptResult& result, std::uint32_t stream_flags,
                               const CircuitBreakerCounters* counters,
                               const CircuitBreakerThresholds* limits);
  // A retry is scheduled: it holds one of the cluster's active retries until decided.
  void hold_retry(CircuitBreakerCounters& counters) {
    ++counters.active_retries;
    holds_retry_ = true;
  }
  // The held retry (if any) is given back to `counters` (the stream's cluster now).
  void release_retry(CircuitBreakerCounters* counters) {
    if (!holds_retry_) return;
    holds_retry_ = false;
    if (counters) --counters->active_retries;
  }
  // The wait before the retry (§5.4).
  SimDuration next_backoff(engine::RngStream& rng) { return backoff_->next(rng); }

 private:
  RetryState retry_{nullptr};
  std::optional<BackoffPolicy> backoff_;
  int attempt_ = 0;
  std::array<std::int32_t, 8> tried_{};
  std::uint8_t tried_count_ = 0;
  bool holds_retry_ = false;
};

}  // namespace meshtwin::proxy
