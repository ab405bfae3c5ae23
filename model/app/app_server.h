#pragma once

// The application behind a pod (docs/design.md §3.2): how it behaves (workers, service time,
// failures, the status it answers when a call fails), its workers with their FIFO queue, and
// its verdict on each downstream call's result (its own retries, continue or fail). Knows no
// Envoy and no simulator: the mesh feeds it requests and runs its timers. No allocation per
// request in steady state.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/distribution.h"
#include "engine/rng.h"
#include "engine/time.h"
#include "model/app/endpoint.h"

namespace meshtwin::app {

using engine::SimDuration;
using engine::SimTime;

// One failure mode of an app, drawn per request on arrival.
struct Failure {
  enum class Kind : std::uint8_t {
    Status,  // answers `status`
    Reset,   // resets the stream, before or after the response headers
    Hang,    // holds its worker and never answers
    Refuse,  // the app's listener refuses the connection
    Grpc,    // a trailers-only gRPC error: HTTP 200 + grpc-status
  };
  double rate = 0;
  Kind kind = Kind::Status;
  int status = 500;
  int grpc_status = 14;
  bool after_headers = false;
  // Deterministic patterns beside the random rate (so retries can be tested exactly):
  // `first: N` fails the first N requests of its scope, then none; `every: K` fails each Kth.
  enum class Pattern : std::uint8_t { Rate, First, Every };
  Pattern pattern = Pattern::Rate;
  std::uint32_t n = 0;  // First: N, Every: K
  // The scope a pattern counts in: each pod, each client request id (a request's retries
  // and the app calls made for it share it), or each connection the requests arrive on (the
  // caller proxy's upstream connection: a new connection counts from 1 again).
  enum class Per : std::uint8_t { Pod, Request, Connection };
  Per per = Per::Pod;
  // `between: [t1, t2]`: the entry applies only to requests arriving in [from, to).
  SimTime from{};
  SimTime to = engine::kNever;
};

// How many requests each deterministic pattern has seen, per scope (a pod index or a request
// id). A scope is forgotten when it can see no more requests (a client request ends).
class PatternCounts {
 public:
  // This request's ordinal (1-based) in (scope, failure).
  std::uint32_t next(std::uint64_t scope, const Failure* f);
  void forget(std::uint64_t scope) { counts_.erase(scope); }
  std::size_t scopes() const { return counts_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::vector<std::pair<const Failure*, std::uint32_t>>> counts_;
};

// What a pattern needs to know about one request.
struct FailureContext {
  SimTime now{};
  std::uint64_t pod = 0;         // the pod's scope
  std::uint64_t request_id = 0;  // the request's scope
  PatternCounts* per_pod = nullptr;
  PatternCounts* per_request = nullptr;
  // The connection's scope (a run-wide connection serial); 0: the request came on no modelled
  // connection (a caller without a sidecar), so it counts as the first of a new one.
  std::uint64_t connection = 0;
  PatternCounts* per_connection = nullptr;
};

// One `endpoints` rule: what it matches and how the app answers a request it matches. What a
// rule does not give is the workload's (the app's calls are kept by the scenario wiring, per
// rule, beside these).
struct Endpoint {
  EndpointMatch match;
  std::optional<engine::Distribution> service_time;  // none: the workload's
  CaptureRef delay;                                   // `serviceTime: $N`, in seconds
  int status = 200;                                   // the answer when nothing fails
  CaptureRef status_ref;                              // `status: $N`
  std::optional<std::vector<Failure>> failures;      // none: the workload's
  int error_status = 0;                               // 0: the workload's
  bool has_calls = false;                             // false: the workload's calls
};

// How an app answers (a scenario `apps` or `externals` entry, or a timeline change of one).
struct Behaviour {
  std::uint32_t workers = 0;  // 0: unlimited
  engine::Distribution service_time;
  std::vector<Failure> failures;
  int error_status = 500;  // what it answers when a call it needs failed
  std::vector<Endpoint> endpoints;  // ordered; the first that matches decides
};

// How the app handles one request, decided when it arrives from the request alone.
struct Handling {
  const Endpoint* endpoint = nullptr;  // nullptr: the workload's keys
  int index = -1;                      // of `endpoint` in Behaviour::endpoints
  int status = 200;                    // what it answers when nothing fails
  SimDuration delay = -engine::kNanosecond;  // a service time taken from the path; negative: drawn
};
Handling handle(const Behaviour& app, const RequestView& request);

// One draw per request against the cumulative rates, so each kind keeps its own rate;
// nullptr: no failure.
const Failure* draw_failure(const Behaviour& app, engine::RngStream& rng);
const Failure* draw_failure(const Behaviour& app, const Handling& h, engine::RngStream& rng);
// With deterministic patterns: each pattern active at ctx.now counts the request; the first (in
// list order) whose count says "fail" decides. Otherwise one draw among the rate entries active
// at ctx.now (no draw when there are none, so the RNG stream is untouched).
const Failure* choose_failure(const std::vector<Failure>& failures, const FailureContext& ctx,
                              engine::RngStream& rng);
const Failure* draw_failure(const Behaviour& app, const Handling& h, const FailureContext& ctx,
                            engine::RngStream& rng);
// The time the app works on one request (never negative).
SimDuration draw_service_time(const Behaviour& app, engine::RngStream& rng);
SimDuration draw_service_time(const Behaviour& app, const Handling& h, engine::RngStream& rng);
// What the app answers when a call it needs failed.
int error_status(const Behaviour& app, const Handling& h);

// The app's workers: a request either takes a free worker or waits, FIFO.
class Workers {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  // Takes a worker for `request` (true), or queues it (false). `limit` 0: unlimited.
  bool take_or_wait(std::uint32_t request, std::uint32_t limit);
  // A worker is freed; returns the waiting request that now starts (kNone: none).
  std::uint32_t release();
  // Takes a worker without queueing (a request handed over by release()).
  void take() { ++busy_; }
  // The pod is gone: nothing is busy, nobody waits.
  void clear() {
    busy_ = 0;
    drop_waiting();
  }
  void drop_waiting() {
    if (waiting_) waiting_->clear();
  }
  std::uint32_t busy() const { return busy_; }

 private:
  std::uint32_t busy_ = 0;
  // FIFO of waiting requests, allocated when one first waits: 8 bytes instead of a deque's 80
  // in every pod's hot cache line (most apps never queue).
  std::unique_ptr<std::deque<std::uint32_t>> waiting_;
};

// The app's verdict on one downstream call's result.
enum class CallVerdict : std::uint8_t {
  Ok,        // accepted (a status it takes, a body not cut off)
  Retry,     // the app's own retry: another attempt of the call
  Degraded,  // failed, but the app carries on without it (on_failure: continue)
  Failed,    // failed: the request answers the app's error status when its step ends
};
// `truncated`: the response body was cut off by a reset (the flags the caller's sidecar logged).
CallVerdict judge_call(int code, bool truncated, int attempt, int attempts, bool continue_on_failure);

}  // namespace meshtwin::app
