#pragma once

// results/ reads simulated times and durations back from SQLite as the INTEGER nanoseconds the
// rows hold (docs/results-schema.md), and computes on them as int64_t: that is where the
// engine's SimTime/SimDuration end (engine/time.h). Telemetry records carry the strong types up
// to the writer, which stores `.ns()`. These helpers print such row values.

#include <cstdint>
#include <string>

#include "engine/time.h"

namespace meshtwin::results {

inline std::string human_ns(std::int64_t ns, bool signed_ = false) {
  return engine::human_duration(engine::SimDuration::from_ns(ns), signed_);
}
inline std::string format_ns(std::int64_t ns) { return engine::format_duration(engine::SimDuration::from_ns(ns)); }

}  // namespace meshtwin::results
