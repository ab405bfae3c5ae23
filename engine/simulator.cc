#include "engine/simulator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace meshtwin::engine {
namespace {

// 4 children = one 64-byte line of keys per level. Measured against a binary heap with the
// same layout and branch-free compare (hold model, bench/engine_hold_bench.cc): 20.2 vs
// 17.7 M events/s at 1,000 pending, 12.2 vs 8.3 M at 100,000.
constexpr std::size_t kArity = 4;

// Strict (time, seq) order on biased keys, compared as one unsigned 128-bit number: a cmp/sbb
// pair and a flag, no branch. seq is unique, so this is a total order and the heap's shape
// never influences which of two equal-time events runs first.
template <class K>
inline bool less(const K& a, const K& b) {
  const auto ka = (static_cast<unsigned __int128>(a.time) << 64) | a.seq;
  const auto kb = (static_cast<unsigned __int128>(b.time) << 64) | b.seq;
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

void EventQueue::push(const Event& e) {
  const Key key{bias(e.time), e.seq};
  const Payload payload{e.fn, e.ctx, e.arg};
  keys_.push_back(key);
  payloads_.push_back(payload);
  Key* k = keys();
  Payload* p = payloads_.data();
  std::size_t i = payloads_.size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!less(key, k[parent])) break;
    k[i] = k[parent];
    p[i] = p[parent];
    i = parent;
  }
  k[i] = key;
  p[i] = payload;
}

// Inlined into its two callers (replace_top, discard_top): the hot path is then one call.
[[gnu::always_inline]] inline void EventQueue::sift_down(std::size_t i, const Key& key,
                                                         const Payload& payload) {
  Key* k = keys();
  Payload* p = payloads_.data();
  const std::size_t n = payloads_.size();
  for (;;) {
    const std::size_t c = kArity * i + 1;
    std::size_t best;
    Key winner;
    if (c + kArity <= n) {
      // All four children exist, in one cache line: a fixed tournament on register values,
      // so that each level costs one load of the line plus two compare-and-move rounds.
      if (kArity * c + 1 < n) {
        // Large heaps miss cache at every level: fetch the four grandchild lines while this
        // level is compared (one of them is the next level's line).
        const Key* g = k + kArity * c + 1;
        __builtin_prefetch(g);
        __builtin_prefetch(g + kArity);
        __builtin_prefetch(g + 2 * kArity);
        __builtin_prefetch(g + 3 * kArity);
      }
      const Key* f = k + c;
      std::uint64_t at = f[0].time, as = f[0].seq, bt = f[2].time, bs = f[2].seq;
      std::size_t ai = c, bi = c + 2;
      take_min(at, as, ai, f[1].time, f[1].seq, c + 1);
      take_min(bt, bs, bi, f[3].time, f[3].seq, c + 3);
      take_min(at, as, ai, bt, bs, bi);
      best = ai;
      winner = Key{at, as};
    } else if (c < n) {
      // The one partial family, at the bottom.
      best = c;
      for (std::size_t j = c + 1; j < n; ++j) best = select(less(k[j], k[best]), j, best);
      winner = k[best];
    } else {
      break;
    }
    if (!less(winner, key)) break;
    k[i] = winner;
    p[i] = p[best];
    i = best;
  }
  k[i] = key;
  p[i] = payload;
}

Event EventQueue::pop() {
  const Event top = event_at(0);
  discard_top();
  return top;
}

void EventQueue::discard_top() {
  const Key last_key = keys_.back();
  const Payload last_payload = payloads_.back();
  keys_.pop_back();
  payloads_.pop_back();
  if (!payloads_.empty()) sift_down(0, last_key, last_payload);
}

void EventQueue::replace_top(const Event& e) {
  sift_down(0, Key{bias(e.time), e.seq}, Payload{e.fn, e.ctx, e.arg});
}

std::uint64_t Simulator::run(SimTime until) {
  stopped_ = false;
  const std::uint64_t start = executed_;
  while (!queue_.empty()) {
    if (stop_flag_ != nullptr && stop_flag_->requested()) {
      stopped_ = true;
      return executed_ - start;
    }
    const SimTime t = queue_.top_time();
    if (t > until) break;
    now_ = t;
    const EventQueue::Payload next = queue_.payloads_.front();
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
  }
  if (until != kNever) now_ = std::max(now_, until);
  return executed_ - start;
}

}  // namespace meshtwin::engine
