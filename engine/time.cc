#include "engine/time.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <ostream>

namespace meshtwin::engine {
namespace {

// The magnitude of the most negative SimTime; Go allows "-2562047h47m16.854775808s".
constexpr std::uint64_t kMagnitudeLimit = std::uint64_t{1} << 63;

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out.append(s);
  out += '"';
  return out;
}

bool set_error(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

std::uint64_t unit_ns(std::string_view unit) {
  // Go accepts the micro sign (U+00B5) and the Greek mu (U+03BC) as well as "us".
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return kMicrosecond.ns();
  if (unit == "ms") return kMillisecond.ns();
  if (unit == "s") return kSecond.ns();
  if (unit == "m") return kMinute.ns();
  if (unit == "h") return kHour.ns();
  return 0;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr const char* kUnitsHint = "use ns, us, ms, s, m or h, e.g. \"300ms\" or \"1m30s\"";

}  // namespace

std::optional<SimDuration> parse_duration(std::string_view text, std::string* error) {
  // Grammar (as Go's time.ParseDuration): [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ or a lone 0.
  const std::string_view orig = text;
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return SimDuration{};
  if (s.empty()) {
    set_error(error, "invalid duration " + quoted(orig) + ": it is empty; " + kUnitsHint);
    return std::nullopt;
  }

  std::uint64_t total = 0;  // magnitude in ns
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) {
      set_error(error, "invalid duration " + quoted(orig) + ": expected a number at " +
                           quoted(s) + "; " + kUnitsHint);
      return std::nullopt;
    }
    // Integer part. Overflow here is reported once the unit is known (Go does the same).
    std::uint64_t whole = 0;
    bool whole_overflow = false;
    std::size_t i = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      const std::uint64_t digit = static_cast<std::uint64_t>(s[i] - '0');
      if (whole > (kMagnitudeLimit - digit) / 10) whole_overflow = true;
      if (!whole_overflow) whole = whole * 10 + digit;
    }
    const bool have_whole_digits = i > 0;
    s.remove_prefix(i);

    // Fraction: the first 18 digits are kept exactly (more cannot move the result by more
    // than 4e-6 ns, since no unit exceeds 3.6e12 ns); later digits are ignored, as Go does.
    std::uint64_t frac = 0;
    std::uint64_t frac_scale = 1;
    bool have_frac_digits = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t j = 0;
      for (; j < s.size() && is_digit(s[j]); ++j) {
        if (frac_scale < 1'000'000'000'000'000'000ULL) {
          frac = frac * 10 + static_cast<std::uint64_t>(s[j] - '0');
          frac_scale *= 10;
        }
      }
      have_frac_digits = j > 0;
      s.remove_prefix(j);
    }
    if (!have_whole_digits && !have_frac_digits) {
      set_error(error, "invalid duration " + quoted(orig) + ": a number needs at least one digit; " +
                           kUnitsHint);
      return std::nullopt;
    }

    std::size_t u = 0;
    while (u < s.size() && !(s[u] == '.' || is_digit(s[u]))) ++u;
    if (u == 0) {
      set_error(error, "invalid duration " + quoted(orig) + ": missing unit; " + kUnitsHint);
      return std::nullopt;
    }
    const std::string_view unit_text = s.substr(0, u);
    s.remove_prefix(u);
    const std::uint64_t unit = unit_ns(unit_text);
    if (unit == 0) {
      set_error(error, "invalid duration " + quoted(orig) + ": unknown unit " +
                           quoted(unit_text) + "; " + kUnitsHint);
      return std::nullopt;
    }

    const std::string too_large =
        "invalid duration " + quoted(orig) + ": too large (the limit is about 292 years, 2562047h)";
    if (whole_overflow || whole > kMagnitudeLimit / unit) {
      set_error(error, too_large);
      return std::nullopt;
    }
    std::uint64_t term = whole * unit;
    if (frac != 0) {
      // frac < 1e18 and unit <= 3.6e12, so the product fits in 128 bits.
      const unsigned __int128 scaled = static_cast<unsigned __int128>(frac) * unit;
      std::uint64_t ns = static_cast<std::uint64_t>(scaled / frac_scale);
      const unsigned __int128 rem = scaled % frac_scale;
      if (rem * 2 >= frac_scale) ++ns;  // nearest ns, halves away from zero
      term += ns;
      if (term > kMagnitudeLimit) {
        set_error(error, too_large);
        return std::nullopt;
      }
    }
    total += term;
    if (total > kMagnitudeLimit) {
      set_error(error, too_large);
      return std::nullopt;
    }
  }
  if (negative) {
    // -(2^63) is representable; compute without signed overflow.
    return total == kMagnitudeLimit ? SimDuration::min()
                                    : SimDuration::from_ns(-static_cast<std::int64_t>(total));
  }
  if (total > kMagnitudeLimit - 1) {
    set_error(error, "invalid duration " + quoted(orig) +
                         ": too large (the limit is about 292 years, 2562047h)");
    return std::nullopt;
  }
  return SimDuration::from_ns(static_cast<std::int64_t>(total));
}

namespace {

// Writes v / 10^prec's fractional digits (without trailing zeros, with the point) into the
// tail of buf ending at w; returns the new start and v / 10^prec. Mirrors Go's fmtFrac.
std::size_t fmt_frac(char* buf, std::size_t w, std::uint64_t& v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    const std::uint64_t digit = v % 10;
    print = print || digit != 0;
    if (print) buf[--w] = static_cast<char>('0' + digit);
    v /= 10;
  }
  if (print) buf[--w] = '.';
  return w;
}

std::size_t fmt_int(char* buf, std::size_t w, std::uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
    return w;
  }
  while (v > 0) {
    buf[--w] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return w;
}

}  // namespace

std::string format_duration(SimDuration duration) {
  const std::int64_t d = duration.ns();
  // Go's Duration.String(), except that microseconds print as "us" rather than "µs": output
  // stays ASCII (terminals, SQLite, CSV) and parse_duration reads both.
  std::array<char, 40> buf{};
  std::size_t w = buf.size();
  const bool negative = d < 0;
  std::uint64_t u = negative ? (~static_cast<std::uint64_t>(d) + 1) : static_cast<std::uint64_t>(d);

  if (u < static_cast<std::uint64_t>(kSecond.ns())) {
    int prec = 0;
    buf[--w] = 's';
    if (u == 0) {
      buf[--w] = '0';
      return std::string(buf.data() + w, buf.size() - w);
    }
    if (u < static_cast<std::uint64_t>(kMicrosecond.ns())) {
      prec = 0;
      buf[--w] = 'n';
    } else if (u < static_cast<std::uint64_t>(kMillisecond.ns())) {
      prec = 3;
      buf[--w] = 'u';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    w = fmt_frac(buf.data(), w, u, prec);
    w = fmt_int(buf.data(), w, u);
  } else {
    buf[--w] = 's';
    w = fmt_frac(buf.data(), w, u, 9);
    w = fmt_int(buf.data(), w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = fmt_int(buf.data(), w, u % 60);
      u /= 60;
      // Hours are the largest unit: days vary in length.
      if (u > 0) {
        buf[--w] = 'h';
        w = fmt_int(buf.data(), w, u);
      }
    }
  }
  if (negative) buf[--w] = '-';
  return std::string(buf.data() + w, buf.size() - w);
}

namespace {

// Rounds a magnitude (ns) by the rule in time.h.
std::uint64_t round_for_people(std::uint64_t u) {
  if (u < static_cast<std::uint64_t>(kMicrosecond.ns())) return u;
  std::uint64_t step = 1;
  if (u >= static_cast<std::uint64_t>(kMinute.ns())) {
    step = kMillisecond.ns();
  } else {
    // 10^(digits - 3): keep the three leading digits.
    for (std::uint64_t v = u; v >= 1000; v /= 10) step *= 10;
  }
  const std::uint64_t rem = u % step;
  u -= rem;
  if (rem * 2 >= step) u += step;
  return u;
}

}  // namespace

std::string human_duration(SimDuration duration, bool signed_) {
  const std::int64_t d = duration.ns();
  const bool negative = d < 0;
  const std::uint64_t u = negative ? (~static_cast<std::uint64_t>(d) + 1) : static_cast<std::uint64_t>(d);
  const std::uint64_t r = round_for_people(u);
  std::string text =
      r >= kMagnitudeLimit ? std::string("2562047h47m16.855s") : format_duration(SimDuration::from_ns(static_cast<std::int64_t>(r)));
  // format_duration keeps output ASCII ("us"); people read Go's "µs".
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "us") == 0) text.replace(text.size() - 2, 2, "\u00b5s");
  if (negative && r != 0) return "-" + text;
  if (signed_ && r != 0) return "+" + text;
  return text;
}

std::string human_duration_ns(double ns, bool signed_) {
  if (std::isnan(ns)) return "-";
  if (std::isinf(ns)) return ns < 0 ? "-inf" : (signed_ ? "+inf" : "inf");
  if (std::fabs(ns) >= 9.2e18) return human_duration(ns < 0 ? SimDuration::min() + kNanosecond : SimDuration::max(), signed_);
  return human_duration(SimDuration::from_ns(std::llround(ns)), signed_);
}

SimDuration seconds_to_duration(double seconds) {
  return SimDuration::from_ns(std::llround(seconds * 1e9));
}

void PrintTo(SimDuration d, std::ostream* os) { *os << human_duration(d) << " (" << d.ns() << "ns)"; }
void PrintTo(SimTime t, std::ostream* os) { *os << "t=" << human_duration(t) << " (" << t.ns() << "ns)"; }

}  // namespace meshtwin::engine
