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

// Formats for people (report, diff, check, explain, lint, run's summary, error messages):
// Go's units, rounded to what a person reads. The rule:
//   below 1µs          exact nanoseconds             850ns
//   1µs up to 1min     3 significant digits          12.3µs, 350ms, 1.23ms, 2.51s, 59.9s
//   1min and above     rounded to the millisecond    1m0.004s, 1h2m3.457s
// The value is rounded first (half away from zero) and then written the way Go writes a
// Duration, so a carry changes the unit (999.6µs -> 1ms, 59.96s -> 1m0s) and trailing zeros
// go (2.50s -> 2.5s). Negative values get a leading '-'; `signed_` adds '+' to positive ones
// (diff's deltas). Microseconds print as "µs", as Go does. Results files keep nanoseconds.
std::string human_duration(SimTime d, bool signed_ = false);
// The same for a value in (possibly fractional) nanoseconds, e.g. an interpolated percentile
// or a mean; NaN prints "-" and infinities "inf".
std::string human_duration_ns(double ns, bool signed_ = false);

inline constexpr double to_seconds(SimTime t) { return static_cast<double>(t) / kSecond; }
inline constexpr double to_millis(SimTime t) { return static_cast<double>(t) / kMillisecond; }

}  // namespace meshtwin::engine
