#include "model/app/app_server.h"

#include <algorithm>

#include "model/telemetry/outcome.h"

namespace meshtwin::app {

namespace {

// No failure listed: no draw, so a request that cannot fail leaves the pod's stream untouched.
const Failure* draw_from(const std::vector<Failure>& failures, engine::RngStream& rng) {
  if (failures.empty()) return nullptr;
  const double u = rng.uniform01();
  double cumulative = 0;
  for (const Failure& f : failures) {
    cumulative += f.rate;
    if (u < cumulative) return &f;
  }
  return nullptr;
}

SimDuration draw_from(const engine::Distribution& d, engine::RngStream& rng) {
  const SimDuration t =
      d.is_constant() ? SimDuration::from_ns(static_cast<std::int64_t>(d.mean())) : d.sample_duration(rng);
  return std::max(t, SimDuration{});
}

}  // namespace

const Failure* draw_failure(const Behaviour& app, engine::RngStream& rng) { return draw_from(app.failures, rng); }

std::uint32_t PatternCounts::next(std::uint64_t scope, const Failure* f) {
  auto& entries = counts_[scope];
  for (auto& [failure, count] : entries)
    if (failure == f) return ++count;
  entries.emplace_back(f, 1);
  return 1;
}

const Failure* choose_failure(const std::vector<Failure>& failures, const FailureContext& ctx,
                              engine::RngStream& rng) {
  const Failure* chosen = nullptr;
  bool any_rate = false;
  for (const Failure& f : failures) {
    if (f.pattern == Failure::Pattern::Rate) {
      any_rate = true;
      continue;
    }
    if (ctx.now < f.from || ctx.now >= f.to) continue;
    PatternCounts* counts = f.per == Failure::Per::Pod       ? ctx.per_pod
                            : f.per == Failure::Per::Request ? ctx.per_request
                                                             : ctx.per_connection;
    if (!counts) continue;
    const std::uint64_t scope = f.per == Failure::Per::Pod       ? ctx.pod
                                : f.per == Failure::Per::Request ? ctx.request_id
                                                                 : ctx.connection;
    // Every active pattern counts the request, even when an earlier one already fails it:
    // "the Kth request" means the Kth that arrived, whatever happened to the others. A request
    // on no modelled connection is the first of its own.
    const bool unconnected = f.per == Failure::Per::Connection && scope == 0;
    const std::uint32_t ordinal = unconnected ? 1 : counts->next(scope, &f);
    const bool fails = f.pattern == Failure::Pattern::First ? ordinal <= f.n : f.n > 0 && ordinal % f.n == 0;
    if (fails && !chosen) chosen = &f;
  }
  if (chosen || !any_rate) return chosen;
  // The random entries share one uniform draw, as without patterns; an entry outside its
  // `between` window takes its share of [0, 1) but does not fail.
  const double u = rng.uniform01();
  double cumulative = 0;
  for (const Failure& f : failures) {
    if (f.pattern != Failure::Pattern::Rate) continue;
    cumulative += f.rate;
    if (u < cumulative) return ctx.now >= f.from && ctx.now < f.to ? &f : nullptr;
  }
  return nullptr;
}

const Failure* draw_failure(const Behaviour& app, const Handling& h, const FailureContext& ctx,
                            engine::RngStream& rng) {
  return choose_failure(h.endpoint && h.endpoint->failures ? *h.endpoint->failures : app.failures, ctx, rng);
}

const Failure* draw_failure(const Behaviour& app, const Handling& h, engine::RngStream& rng) {
  return draw_from(h.endpoint && h.endpoint->failures ? *h.endpoint->failures : app.failures, rng);
}

SimDuration draw_service_time(const Behaviour& app, engine::RngStream& rng) { return draw_from(app.service_time, rng); }

SimDuration draw_service_time(const Behaviour& app, const Handling& h, engine::RngStream& rng) {
  if (h.delay >= SimDuration{}) return h.delay;
  return draw_from(h.endpoint && h.endpoint->service_time ? *h.endpoint->service_time : app.service_time, rng);
}

int error_status(const Behaviour& app, const Handling& h) {
  return h.endpoint && h.endpoint->error_status != 0 ? h.endpoint->error_status : app.error_status;
}

Handling handle(const Behaviour& app, const RequestView& request) {
  Handling h;
  if (app.endpoints.empty()) return h;
  Captures captures;
  h.index = match_endpoint(app.endpoints, request, captures);
  if (h.index < 0) return h;
  h.endpoint = &app.endpoints[static_cast<std::size_t>(h.index)];
  h.status = status_from_capture(captures, h.endpoint->status_ref, h.endpoint->status);
  if (h.endpoint->delay.group != 0) {
    // A delay the handler cannot read is its error, answered at once (as httpbin's 500 for
    // an argument that is not a number).
    if (auto d = seconds_from_capture(captures, h.endpoint->delay)) {
      h.delay = *d;
    } else {
      h.delay = SimDuration{};
      h.status = 500;
    }
  }
  return h;
}

bool Workers::take_or_wait(std::uint32_t request, std::uint32_t limit) {
  if (limit == 0 || busy_ < limit) {
    ++busy_;
    return true;
  }
  if (!waiting_) waiting_ = std::make_unique<std::deque<std::uint32_t>>();
  waiting_->push_back(request);
  return false;
}

std::uint32_t Workers::release() {
  --busy_;
  if (!waiting_ || waiting_->empty()) return kNone;
  const std::uint32_t next = waiting_->front();
  waiting_->pop_front();
  return next;
}

CallVerdict judge_call(int code, bool truncated, int attempt, int attempts, bool continue_on_failure) {
  if (telemetry::is_success(code) && !truncated) return CallVerdict::Ok;
  if (attempt < attempts) return CallVerdict::Retry;
  return continue_on_failure ? CallVerdict::Degraded : CallVerdict::Failed;
}

}  // namespace meshtwin::app
