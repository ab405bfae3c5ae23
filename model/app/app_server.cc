#include "model/app/app_server.h"

#include <algorithm>

#include "model/telemetry/outcome.h"

namespace meshtwin::app {

const Failure* draw_failure(const Behaviour& app, engine::RngStream& rng) {
  if (app.failures.empty()) return nullptr;
  const double u = rng.uniform01();
  double cumulative = 0;
  for (const Failure& f : app.failures) {
    cumulative += f.rate;
    if (u < cumulative) return &f;
  }
  return nullptr;
}

SimTime draw_service_time(const Behaviour& app, engine::RngStream& rng) {
  const SimTime t = app.service_time.is_constant() ? static_cast<SimTime>(app.service_time.mean())
                                                   : app.service_time.sample_duration(rng);
  return std::max<SimTime>(t, 0);
}

bool Workers::take_or_wait(std::uint32_t request, std::uint32_t limit) {
  if (limit == 0 || busy_ < limit) {
    ++busy_;
    return true;
  }
  waiting_.push_back(request);
  return false;
}

std::uint32_t Workers::release() {
  --busy_;
  if (waiting_.empty()) return kNone;
  const std::uint32_t next = waiting_.front();
  waiting_.pop_front();
  return next;
}

CallVerdict judge_call(int code, bool truncated, int attempt, int attempts, bool continue_on_failure) {
  if (telemetry::is_success(code) && !truncated) return CallVerdict::Ok;
  if (attempt < attempts) return CallVerdict::Retry;
  return continue_on_failure ? CallVerdict::Degraded : CallVerdict::Failed;
}

}  // namespace meshtwin::app
