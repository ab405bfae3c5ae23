#pragma once

#include <algorithm>
#include <cstdint>

#include <benchmark/benchmark.h>

#include "model/scenario/mesh.h"

namespace meshtwin::bench {

// The event queue's share of a mesh run, beside the wall-clock rate: events executed and idle
// ones (timer entries popped after a cancel or re-arm) per hop attempt, and the queue's peak
// size, so that a change to the engine's timers shows in the counters of any mesh benchmark.
inline void report_engine_counters(benchmark::State& state, const scenario::RunStats& stats) {
  const double hops = static_cast<double>(std::max<std::uint64_t>(1, stats.hop_attempts));
  state.counters["events_per_hop"] = static_cast<double>(stats.events_executed) / hops;
  state.counters["idle_events_per_hop"] = static_cast<double>(stats.idle_events) / hops;
  state.counters["peak_pending"] = static_cast<double>(stats.peak_pending_events);
}

}  // namespace meshtwin::bench
