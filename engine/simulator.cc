#include "engine/simulator.h"

#include "engine/timer.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace meshtwin::engine {
namespace {

// 4 children = one 64-byte line of keys per level. Measured against a binary heap with the
// same layout and branch-free compare (hold model, bench/engine_hold_bench.cc): 20.2 vs
// 17.7 M events/s at 1,000 pending, 12.2 vs 8.3 M at 100,000.
constexpr std::size_t kArity = 4;

// Strict (time, order) order on biased keys, compared as one unsigned 128-bit number: a cmp/sbb
// pair and a flag, no branch. Pending events' sequence numbers are unique, so this is a total
// order and the heap's shape never influences which of two equal-time events runs first.
template <class K>
inline bool less(const K& a, const K& b) {
  const auto ka = (static_cast<unsigned __int128>(a.time) << 64) | a.order;
  const auto kb = (static_cast<unsigned __int128>(b.time) << 64) | b.order;
  return ka < kb;
}

// b ? x : y without a jump. In a hold-like workload each comparison is a coin flip; GCC turns
// a plain ?: into a conditional branch here, and its mispredictions cost more than the sift.
inline std::size_t select(bool b, std::size_t x, std::size_t y) {
  return y ^ ((x ^ y) & (std::size_t{0} - static_cast<std::size_t>(b)));
}

// (xt, xs, xi) becomes (yt, ys, yi) if (yt, ys) < (xt, xs): one step of the children's
// tournament, kept in registers. On x86-64 it is written out as cmp/sbb/cmov because GCC
// compiles every portable spelling of it (?:, masks, __builtin_expect_with_probability) to
// either jumps, which mispredict half the time here, or longer mask arithmetic; either makes
// each heap level measurably slower (bench/engine_hold_bench.cc).
inline void take_min(std::uint64_t& xt, std::uint64_t& xs, std::size_t& xi, std::uint64_t yt,
                     std::uint64_t ys, std::size_t yi) {
#if defined(__x86_64__) && defined(__GNUC__)
  // `scratch` is early-clobber: it must not share a register with any input (GCC would
  // otherwise happily give it yt's register, as both start equal).
  std::uint64_t scratch;
  asm("mov %[yt], %[scratch]\n\t"
      "cmp %[xs], %[ys]\n\t"      // ys - xs: carry if ys < xs
      "sbb %[xt], %[scratch]\n\t" // yt - xt - carry: carry if (yt, ys) < (xt, xs)
      "cmovc %[yt], %[xt]\n\t"
      "cmovc %[ys], %[xs]\n\t"
      "cmovc %[yi], %[xi]"
      : [xt] "+r"(xt), [xs] "+r"(xs), [xi] "+r"(xi), [scratch] "=&r"(scratch)
      : [yt] "r"(yt), [ys] "r"(ys), [yi] "r"(yi)
      : "cc");
#else
  const bool y_first = (yt < xt) | ((yt == xt) & (ys < xs));
  xt = y_first ? yt : xt;
  xs = y_first ? ys : xs;
  xi = y_first ? yi : xi;
#endif
}

}  // namespace

EventQueue::EventQueue(std::uint64_t sequence_limit)
    : seq_limit_(std::min(sequence_limit, kSequenceLimit)) {}

void EventQueue::push_sequenced(SimTime t, std::uint64_t seq, EventFn fn, void* ctx, std::uint64_t arg) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() > kSlotMask) throw std::length_error("more than 2^32 pending events");
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot] = Payload{fn, ctx, arg};
  const Key key{bias(t), (seq << 32) | slot};
  keys_.push_back(key);
  Key* k = keys();
  std::size_t i = size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!less(key, k[parent])) break;
    k[i] = k[parent];
    i = parent;
  }
  k[i] = key;
}

// Below this many pending events the keys (16 bytes each) fit in a 48 KB L1 data cache with room
// to spare: prefetching would only spend instructions (about 10 a level).
constexpr std::size_t kPrefetchFrom = 2048;
constexpr std::size_t kPayloadPrefetchFrom = 32768;

// Inlined into its two callers (replace_top, discard_top): the hot path is then one call.
[[gnu::always_inline]] inline void EventQueue::sift_down(std::size_t i, const Key& key) {
  Key* k = keys();
  const std::size_t n = size();
  const bool prefetch = n >= kPrefetchFrom;
  const auto key128 = (static_cast<unsigned __int128>(key.time) << 64) | key.order;
  for (;;) {
    const std::size_t c = kArity * i + 1;
    std::size_t best;
    std::uint64_t wt, wo;  // the smallest child's key, in registers
    if (c + kArity <= n) {
      // All four children exist, in one cache line: a fixed tournament on register values,
      // so that each level costs one load of the line plus two compare-and-move rounds.
      if (prefetch && kArity * c + 1 < n) {
        // Large heaps miss cache at every level: fetch the four grandchild lines while this
        // level is compared (one of them is the next level's line).
        const Key* g = k + kArity * c + 1;
        __builtin_prefetch(g);
        __builtin_prefetch(g + kArity);
        __builtin_prefetch(g + 2 * kArity);
        __builtin_prefetch(g + 3 * kArity);
      }
      const Key* f = k + c;
      std::uint64_t bt = f[2].time, bo = f[2].order;
      std::size_t bi = c + 2;
      wt = f[0].time;
      wo = f[0].order;
      best = c;
      take_min(wt, wo, best, f[1].time, f[1].order, c + 1);
      take_min(bt, bo, bi, f[3].time, f[3].order, c + 3);
      take_min(wt, wo, best, bt, bo, bi);
    } else if (c < n) {
      // The one partial family, at the bottom.
      best = c;
      for (std::size_t j = c + 1; j < n; ++j) best = select(less(k[j], k[best]), j, best);
      wt = k[best].time;
      wo = k[best].order;
    } else {
      break;
    }
    if (((static_cast<unsigned __int128>(wt) << 64) | wo) >= key128) break;
    k[i].time = wt;
    k[i].order = wo;
    i = best;
  }
  k[i] = key;
}

Event EventQueue::pop() {
  const Event e = top();
  discard_top();
  return e;
}

void EventQueue::discard_top() {
  free_slots_.push_back(slot_of(keys()[0]));
  const Key last = keys_.back();
  keys_.pop_back();
  if (!empty()) sift_down(0, last);
}

void EventQueue::replace_top_sequenced(SimTime t, std::uint64_t seq, EventFn fn, void* ctx,
                                       std::uint64_t arg) {
  // The new event takes over the top's payload slot.
  const std::uint32_t slot = slot_of(keys()[0]);
  slots_[slot] = Payload{fn, ctx, arg};
  sift_down(0, Key{bias(t), (seq << 32) | slot});
}

void EventQueue::renumber() {
  // A sorted array is a heap; sequence numbers become ranks, so their order, and with it the
  // FIFO order of equal times, is what it was. Timers hold sequence numbers of armings not yet
  // queued (engine/timer.h): each such arming first takes over its timer's pending entry's key
  // (a later one, so the sort restores the heap), then the timers learn their new ranks.
  Key* k = keys();
  const std::size_t n = size();
  if (n >= seq_limit_) throw std::length_error("more pending events than sequence numbers");
  for (std::size_t i = 0; i < n; ++i) {
    const Payload& p = slots_[slot_of(k[i])];
    if (p.fn != &Timer::fire) continue;
    SimTime t = unbias(k[i].time);
    std::uint32_t seq = static_cast<std::uint32_t>(k[i].order >> 32);
    if (Timer::before_renumber(p.ctx, p.arg, t, seq)) k[i] = Key{bias(t), (std::uint64_t{seq} << 32) | slot_of(k[i])};
  }
  std::sort(k, k + n, [](const Key& a, const Key& b) { return less(a, b); });
  for (std::size_t i = 0; i < n; ++i) {
    k[i].order = (std::uint64_t{i} << 32) | slot_of(k[i]);
    const Payload& p = slots_[slot_of(k[i])];
    if (p.fn == &Timer::fire) Timer::after_renumber(p.ctx, p.arg, static_cast<std::uint32_t>(i));
  }
  next_seq_ = n;
}

std::uint64_t Simulator::run(SimTime until) {
  stopped_ = false;
  const std::uint64_t start = executed_;
  if (stop_requested()) return 0;
  while (!queue_.empty()) {
    const SimTime t = queue_.top_time();
    if (t > until) break;
    now_ = t;
    // A copy: the first event it schedules takes over this payload slot.
    const EventQueue::Payload next = queue_.top_payload();
    // A payload was written when its event was scheduled, long ago in a large queue: reading
    // it missed the 2 MB L2 in 0.67 of the hold model's events at 100k pending (keys 1.6 MB +
    // payloads 2.4 MB; cachegrind, docs/performance.md). Fetching the four candidates for the
    // next top now overlaps that miss with this event's own work. Below kPayloadPrefetchFrom
    // keys and payloads (40 bytes an event) fit in L2 and the prefetch would only cost its
    // instructions (about 16 an event: 118 per Bookinfo hop attempt, whose queue of timers
    // is past 2,048 but far below this).
    if (queue_.size() >= kPayloadPrefetchFrom) {
      const EventQueue::Key* k = queue_.keys();
      for (std::size_t c = 1; c <= kArity; ++c) __builtin_prefetch(&queue_.slots_[EventQueue::slot_of(k[c])]);
    }
    running_slot_free_ = true;
    ++executed_;
    try {
      next.fn(next.ctx, next.arg);
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
    // One relaxed load per event: the price of answering Ctrl-C within one event.
    if (stop_token_ != nullptr && stop_token_->stop_requested()) return executed_ - start;
  }
  if (until != kNever) now_ = std::max(now_, until);
  return executed_ - start;
}

}  // namespace meshtwin::engine
