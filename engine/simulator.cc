#include "engine/simulator.h"

#include <algorithm>

namespace meshtwin::engine {
namespace {

// Strict (time, seq) order. seq is unique, so this is a total order and the heap's shape
// never influences which of two equal-time events runs first.
inline bool before(const Event& a, const Event& b) {
  return a.time < b.time || (a.time == b.time && a.seq < b.seq);
}

constexpr std::size_t kArity = 4;

}  // namespace

// A 4-ary heap does half the levels of a binary heap for ~1.5x the comparisons per level;
// sift-down (the hot path: pop and replace_top) touches fewer cache lines. Measured in
// bench/engine_hold_bench.cc. Entries move into a hole rather than being swapped.

void EventQueue::push(const Event& e) {
  heap_.push_back(e);
  Event* h = heap_.data();
  std::size_t i = heap_.size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(e, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = e;
}

void EventQueue::sift_down(std::size_t i, const Event& e) {
  Event* h = heap_.data();
  const std::size_t n = heap_.size();
  for (;;) {
    const std::size_t first = kArity * i + 1;
    std::size_t best;
    if (first + kArity <= n) {
      // All four children exist: a fixed-shape tournament the compiler can schedule well.
      const std::size_t b01 = before(h[first + 1], h[first]) ? first + 1 : first;
      const std::size_t b23 = before(h[first + 3], h[first + 2]) ? first + 3 : first + 2;
      best = before(h[b23], h[b01]) ? b23 : b01;
    } else if (first < n) {
      best = first;
      for (std::size_t c = first + 1; c < n; ++c) {
        if (before(h[c], h[best])) best = c;
      }
    } else {
      break;
    }
    if (!before(h[best], e)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = e;
}

Event EventQueue::pop() {
  const Event top = heap_.front();
  discard_top();
  return top;
}

void EventQueue::discard_top() {
  const Event last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
}

void EventQueue::replace_top(const Event& e) { sift_down(0, e); }

void Simulator::schedule_at(SimTime t, EventFn fn, void* ctx, std::uint64_t arg) {
  if (t < now_) t = now_;
  const Event e{t, next_seq_++, fn, ctx, arg};
  if (running_slot_free_) {
    running_slot_free_ = false;
    queue_.replace_top(e);
  } else {
    queue_.push(e);
  }
}

std::uint64_t Simulator::run(SimTime until) {
  stopped_ = false;
  const std::uint64_t start = executed_;
  while (!queue_.empty()) {
    const Event& next = queue_.top();
    if (next.time > until) break;
    now_ = next.time;
    const EventFn fn = next.fn;
    void* const ctx = next.ctx;
    const std::uint64_t arg = next.arg;
    running_slot_free_ = true;
    ++executed_;
    try {
      fn(ctx, arg);
    } catch (...) {
      // Keep the queue consistent for a caller that catches: the event has run.
      if (running_slot_free_) {
        running_slot_free_ = false;
        queue_.discard_top();
      }
      throw;
    }
    if (running_slot_free_) {
      running_slot_free_ = false;
      queue_.discard_top();
    }
    if (stopped_) return executed_ - start;
  }
  if (until != kNever) now_ = std::max(now_, until);
  return executed_ - start;
}

}  // namespace meshtwin::engine
