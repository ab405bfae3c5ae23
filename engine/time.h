// engine/ owns simulated time, the event queue, the simulator loop, timers, RNG streams and
// distributions. It knows nothing of meshes, YAML, SQLite or the command line (docs/design.md §2).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace meshtwin::engine {

// Simulated time and durations: signed 64-bit integer nanoseconds (±292 years).
using SimTime = std::int64_t;

inline constexpr SimTime kNanosecond = 1;
inline constexpr SimTime kMicrosecond = 1'000;
inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kNever = std::numeric_limits<SimTime>::max();

// Parses Istio's (Go `time.ParseDuration`) syntax: an optional sign, then one or more
// `<decimal number><unit>` terms with units ns, us, µs, ms, s, m, h (`1h`, `1m30s`, `0.5s`,
// `300ms`, `50us`, `10ns`); a lone `0` is zero. Anything else returns nullopt and, when
// `error` is given, a sentence saying what was wrong. Fractions are rounded to the nearest
// nanosecond.
std::optional<SimTime> parse_duration(std::string_view text, std::string* error = nullptr);

// Formats as Go does (`1m30s`, `300ms`, `1.5s`, `0s`), so that a parsed value prints back the
// way users wrote it.
std::string format_duration(SimTime d);

inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) / kSecond; }
inline constexpr double to_millis(SimTime t) { return static_cast<double>(t) / kMillisecond; }

}  // namespace meshtwin::engine
