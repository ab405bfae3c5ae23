#include "engine/timer.h"

namespace meshtwin::engine {

void Timer::arm_at(SimTime t, std::uint64_t arg) {
  // A new generation makes any earlier arming's event stale: re-arming is a cancel plus an
  // arm, without touching the heap.
  ++generation_;
  if (t < sim_->now()) t = sim_->now();
  deadline_ = t;
  arg_ = arg;
  armed_ = true;
  sim_->schedule_at(t, &Timer::fire, this, generation_);
}

void Timer::cancel() {
  ++generation_;
  armed_ = false;
  deadline_ = kNever;
}

void Timer::fire(void* self, std::uint64_t generation) {
  auto* timer = static_cast<Timer*>(self);
  if (generation != timer->generation_) return;  // cancelled or re-armed since
  timer->armed_ = false;
  timer->deadline_ = kNever;
  // fn_ may re-arm this timer or destroy its owner; touch nothing after the call.
  timer->fn_(timer->ctx_, timer->arg_);
}

}  // namespace meshtwin::engine
