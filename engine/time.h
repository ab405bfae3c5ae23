// engine/ owns simulated time, the event queue, the simulator loop, timers, RNG streams and
// distributions. It knows nothing of meshes, YAML, SQLite or the command line (docs/design.md §2).
#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <iosfwd>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace meshtwin::engine {

// Simulated time as two strong types over signed 64-bit integer nanoseconds (±292 years):
// SimTime is a point (nanoseconds since the simulation started, which is SimTime{}), SimDuration
// a length. The algebra is the affine one: time − time = duration, time ± duration = time,
// duration ± duration = duration, duration × or ÷ an integer = duration, duration ÷ duration =
// integer; `time + time` does not compile. Neither converts implicitly to or from an integer:
// `.ns()` and `from_ns()` are the boundary, used only where a value leaves or enters the model
// as raw nanoseconds — YAML/duration parsing (parse_duration returns SimDuration already), the
// SQLite rows results/ writes and reads (INTEGER ns columns; results/ analyses row values as
// int64 ns and wraps them with from_ns() to print), benchmarks and fuzz targets. Telemetry
// records (model/telemetry/records.h) carry the strong types; results/writer.cc calls .ns().
// Both types are one int64_t, trivially copyable and constexpr: free at run time.
class SimDuration {
 public:
  constexpr SimDuration() = default;  // zero
  static constexpr SimDuration from_ns(std::int64_t ns) { return SimDuration(ns); }
  static constexpr SimDuration zero() { return SimDuration(); }
  static constexpr SimDuration max() { return SimDuration(std::numeric_limits<std::int64_t>::max()); }
  static constexpr SimDuration min() { return SimDuration(std::numeric_limits<std::int64_t>::min()); }
  constexpr std::int64_t ns() const { return ns_; }

  constexpr SimDuration operator-() const { return SimDuration(-ns_); }
  constexpr SimDuration operator+() const { return *this; }
  constexpr SimDuration& operator+=(SimDuration d) { ns_ += d.ns_; return *this; }
  constexpr SimDuration& operator-=(SimDuration d) { ns_ -= d.ns_; return *this; }
  template <std::integral I>
  constexpr SimDuration& operator*=(I k) { ns_ *= static_cast<std::int64_t>(k); return *this; }
  template <std::integral I>
  constexpr SimDuration& operator/=(I k) { ns_ /= static_cast<std::int64_t>(k); return *this; }

  friend constexpr SimDuration operator+(SimDuration a, SimDuration b) { return SimDuration(a.ns_ + b.ns_); }
  friend constexpr SimDuration operator-(SimDuration a, SimDuration b) { return SimDuration(a.ns_ - b.ns_); }
  // Integers only: scaling by a fraction must say how it rounds (scale_truncated below).
  template <std::integral I>
  friend constexpr SimDuration operator*(SimDuration d, I k) { return SimDuration(d.ns_ * static_cast<std::int64_t>(k)); }
  template <std::integral I>
  friend constexpr SimDuration operator*(I k, SimDuration d) { return SimDuration(static_cast<std::int64_t>(k) * d.ns_); }
  template <std::integral I>
  friend constexpr SimDuration operator/(SimDuration d, I k) { return SimDuration(d.ns_ / static_cast<std::int64_t>(k)); }
  // How many times b fits in a (truncated towards zero), and what is left over.
  friend constexpr std::int64_t operator/(SimDuration a, SimDuration b) { return a.ns_ / b.ns_; }
  friend constexpr SimDuration operator%(SimDuration a, SimDuration b) { return SimDuration(a.ns_ % b.ns_); }
  friend constexpr auto operator<=>(SimDuration, SimDuration) = default;
  friend constexpr bool operator==(SimDuration, SimDuration) = default;

 private:
  constexpr explicit SimDuration(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

class SimTime {
 public:
  constexpr SimTime() = default;  // the start of the simulation
  static constexpr SimTime from_ns(std::int64_t ns) { return SimTime(ns); }
  static constexpr SimTime max() { return SimTime(std::numeric_limits<std::int64_t>::max()); }
  static constexpr SimTime min() { return SimTime(std::numeric_limits<std::int64_t>::min()); }
  constexpr std::int64_t ns() const { return ns_; }
  // The time elapsed since the simulation started.
  constexpr SimDuration since_start() const { return SimDuration::from_ns(ns_); }

  constexpr SimTime& operator+=(SimDuration d) { ns_ += d.ns(); return *this; }
  constexpr SimTime& operator-=(SimDuration d) { ns_ -= d.ns(); return *this; }
  friend constexpr SimTime operator+(SimTime t, SimDuration d) { return SimTime(t.ns_ + d.ns()); }
  friend constexpr SimTime operator+(SimDuration d, SimTime t) { return SimTime(d.ns() + t.ns_); }
  friend constexpr SimTime operator-(SimTime t, SimDuration d) { return SimTime(t.ns_ - d.ns()); }
  friend constexpr SimDuration operator-(SimTime a, SimTime b) { return SimDuration::from_ns(a.ns_ - b.ns_); }
  friend constexpr auto operator<=>(SimTime, SimTime) = default;
  friend constexpr bool operator==(SimTime, SimTime) = default;

 private:
  constexpr explicit SimTime(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

static_assert(sizeof(SimTime) == sizeof(std::int64_t) && std::is_trivially_copyable_v<SimTime>);
static_assert(sizeof(SimDuration) == sizeof(std::int64_t) && std::is_trivially_copyable_v<SimDuration>);

inline constexpr SimDuration kNanosecond = SimDuration::from_ns(1);
inline constexpr SimDuration kMicrosecond = SimDuration::from_ns(1'000);
inline constexpr SimDuration kMillisecond = SimDuration::from_ns(1'000'000);
inline constexpr SimDuration kSecond = SimDuration::from_ns(1'000'000'000);
inline constexpr SimDuration kMinute = 60 * kSecond;
inline constexpr SimDuration kHour = 60 * kMinute;
// "Never": the latest representable instant (an unarmed timer's deadline, run()'s default).
inline constexpr SimTime kNever = SimTime::max();

// d × f truncated towards zero, computed in double as static_cast<int64_t>(d.ns() * f): for
// the places that scale a duration by a fraction (jitter, load factors).
inline SimDuration scale_truncated(SimDuration d, double f) {
  return SimDuration::from_ns(static_cast<std::int64_t>(static_cast<double>(d.ns()) * f));
}
// A number of seconds (possibly fractional) as a duration, rounded to the nearest ns
// (halves away from zero).
SimDuration seconds_to_duration(double seconds);

// Parses Istio's (Go `time.ParseDuration`) syntax: an optional sign, then one or more
// `<decimal number><unit>` terms with units ns, us, µs, ms, s, m, h (`1h`, `1m30s`, `0.5s`,
// `300ms`, `50us`, `10ns`); a lone `0` is zero. Anything else returns nullopt and, when
// `error` is given, a sentence saying what was wrong. Fractions are rounded to the nearest
// nanosecond.
std::optional<SimDuration> parse_duration(std::string_view text, std::string* error = nullptr);

// Formats as Go does (`1m30s`, `300ms`, `1.5s`, `0s`), so that a parsed value prints back the
// way users wrote it.
std::string format_duration(SimDuration d);

// Formats for people (report, diff, check, explain, lint, run's summary, error messages):
// Go's units, rounded to what a person reads. The rule:
//   below 1µs          exact nanoseconds             850ns
//   1µs up to 1min     3 significant digits          12.3µs, 350ms, 1.23ms, 2.51s, 59.9s
//   1min and above     rounded to the millisecond    1m0.004s, 1h2m3.457s
// The value is rounded first (half away from zero) and then written the way Go writes a
// Duration, so a carry changes the unit (999.6µs -> 1ms, 59.96s -> 1m0s) and trailing zeros
// go (2.50s -> 2.5s). Negative values get a leading '-'; `signed_` adds '+' to positive ones
// (diff's deltas). Microseconds print as "µs", as Go does. Results files keep nanoseconds.
std::string human_duration(SimDuration d, bool signed_ = false);
// An instant printed as the time since the simulation started ("at 1.5s").
inline std::string human_duration(SimTime t, bool signed_ = false) { return human_duration(t.since_start(), signed_); }
// The same for a value in (possibly fractional) nanoseconds, e.g. an interpolated percentile
// or a mean; NaN prints "-" and infinities "inf".
std::string human_duration_ns(double ns, bool signed_ = false);

inline constexpr double to_seconds(SimDuration d) { return static_cast<double>(d.ns()) / 1e9; }
inline constexpr double to_millis(SimDuration d) { return static_cast<double>(d.ns()) / 1e6; }
// An instant's time since the simulation started.
inline constexpr double to_seconds(SimTime t) { return to_seconds(t.since_start()); }
inline constexpr double to_millis(SimTime t) { return to_millis(t.since_start()); }

// GoogleTest prints values through these (human_duration plus the exact nanoseconds).
void PrintTo(SimDuration d, std::ostream* os);
void PrintTo(SimTime t, std::ostream* os);

}  // namespace meshtwin::engine
