#include "engine/timer.h"

namespace meshtwin::engine {

void Timer::arm_at(SimTime t, std::uint64_t arg) {
  // The sequence number a push would take now, taken first: it may renumber the queue, which
  // must see this timer as it was.
  const std::uint32_t seq = sim_->take_sequence();
  if (t < sim_->now()) t = sim_->now();
  deadline_ = t;
  arg_ = arg;
  armed_ = true;
  armed_seq_ = seq;
  // The queued entry comes up first: it re-queues itself at this deadline then (fire).
  if (queued_ && entry_time_ <= t) return;
  // None queued, or it comes too late: a new entry; the old one, if any, goes stale.
  ++generation_;
  queued_ = true;
  entry_time_ = t;
  entry_seq_ = seq;
  sim_->schedule_sequenced(t, seq, &Timer::fire, this, generation_);
}

void Timer::fire(void* self, std::uint64_t generation) {
  auto* timer = static_cast<Timer*>(self);
  Simulator& sim = *timer->sim_;
  // Superseded by a re-arm to an earlier deadline.
  if (generation != timer->generation_) {
    ++sim.idle_;
    return;
  }
  if (!timer->armed_) {  // cancelled since this entry was queued
    timer->queued_ = false;
    ++sim.idle_;
    return;
  }
  if (timer->deadline_ != timer->entry_time_ || timer->armed_seq_ != timer->entry_seq_) {
    // Re-armed since: queue the arming with its own key (one sift: it takes this entry's place).
    timer->entry_time_ = timer->deadline_;
    timer->entry_seq_ = timer->armed_seq_;
    sim.schedule_sequenced(timer->deadline_, timer->armed_seq_, &Timer::fire, timer, generation);
    ++sim.idle_;
    return;
  }
  timer->queued_ = false;
  timer->armed_ = false;
  // fn_ may re-arm this timer or destroy its owner; touch nothing after the call.
  timer->fn_(timer->ctx_, timer->arg_);
}

bool Timer::before_renumber(void* self, std::uint64_t generation, SimTime& t, std::uint32_t& seq) {
  auto* timer = static_cast<Timer*>(self);
  if (generation != timer->generation_ || !timer->queued_ || !timer->armed_) return false;
  if (timer->entry_time_ == timer->deadline_ && timer->entry_seq_ == timer->armed_seq_) return false;
  timer->entry_time_ = t = timer->deadline_;
  timer->entry_seq_ = seq = timer->armed_seq_;
  return true;
}

void Timer::after_renumber(void* self, std::uint64_t generation, std::uint32_t seq) {
  auto* timer = static_cast<Timer*>(self);
  if (generation != timer->generation_ || !timer->queued_) return;
  // After before_renumber, an armed timer's arming is its queued entry.
  if (timer->armed_) timer->armed_seq_ = seq;
  timer->entry_seq_ = seq;
}

}  // namespace meshtwin::engine
