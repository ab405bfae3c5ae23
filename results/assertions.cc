#include "results/row_time.h"
#include "results/assertions.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "results/percentiles.h"
#include "results/text.h"

namespace meshtwin::results {
namespace {


// The `strings` dictionary (docs/results-schema.md, Storage). Scanning the compact tables and
// deciding each filter once per string id, instead of reading the views (one lookup per
// column per row), is what keeps a 100M-request run checkable.
class Strings {
 public:
  explicit Strings(const Reader& reader) {
    reader.query_each("SELECT id, value FROM strings", {}, [&](const Row& r) {
      if (const auto* s = std::get_if<std::string>(&r[1])) by_id_.emplace(as_int(r[0]), *s);
      return true;
    });
  }
  const std::string& get(std::int64_t id) const {
    static const std::string kUnknown = "unknown";
    auto it = by_id_.find(id);
    return it == by_id_.end() ? kUnknown : it->second;
  }
  std::optional<std::int64_t> id_of(const std::string& value) const {
    for (const auto& [id, s] : by_id_)
      if (s == value) return id;
    return std::nullopt;
  }

 private:
  std::unordered_map<std::int64_t, std::string> by_id_;
};

// A filter on a string column, decided once per string id.
class IdFilter {
 public:
  IdFilter() = default;
  explicit IdFilter(std::function<bool(const std::string&)> pred) : pred_(std::move(pred)) {}
  bool active() const { return static_cast<bool>(pred_); }
  bool operator()(std::int64_t id, const Strings& strings) {
    if (!pred_) return true;
    auto [it, inserted] = cache_.try_emplace(id, false);
    if (inserted) it->second = pred_(strings.get(id));
    return it->second;
  }

 private:
  std::function<bool(const std::string&)> pred_;
  std::unordered_map<std::int64_t, bool> cache_;
};

IdFilter equals(const std::string& wanted) {
  if (wanted.empty()) return {};
  return IdFilter([wanted](const std::string& s) { return s == wanted; });
}

// Flag bits of a flags string id, decided once per id.
class FlagBits {
 public:
  std::uint32_t operator()(std::int64_t id, const Strings& strings) {
    auto [it, inserted] = cache_.try_emplace(id, 0u);
    if (inserted) it->second = telemetry::parse_response_flags(strings.get(id)).value_or(0u);
    return it->second;
  }

 private:
  std::unordered_map<std::int64_t, std::uint32_t> cache_;
};

std::uint32_t flag_bit(const std::string& code) {
  return code.empty() ? 0u : telemetry::parse_response_flags(code).value_or(0u);
}

using telemetry::is_non5xx;
using telemetry::is_success;

// What one assertion's selection adds up to.
struct Tally {
  std::uint64_t share_base = 0;  // every filter but version: the denominator of share
  std::uint64_t n = 0;
  std::uint64_t success = 0;  // is_success: 200-399
  std::uint64_t non5xx = 0;   // is_non5xx: 1-499
  DurationDigest digest{1u << 22};  // Requests: exact percentiles up to 4M values
  BucketCounts buckets{};           // Hops
  std::vector<std::uint64_t> flag_counts;  // per condition (flags:<F> only)
  // Names seen in the window, for a hint when nothing matched.
  std::unordered_set<std::int64_t> seen_a, seen_b;
};

// Durations print rounded to what a person reads (engine/time.h).
std::string ms(double ns) { return engine::human_duration_ns(ns); }

std::string window_text(const Assertion& a) {
  return fmt::format("[{}, {})", human_ns(a.from),
                     a.to ? human_ns(*a.to) : std::string("end of run"));
}

std::string describe_selection(const Assertion& a, AssertionLevel level) {
  std::vector<std::string> parts;
  const auto& w = a.where;
  if (!w.client.empty()) parts.push_back("of client " + w.client);
  if (!w.source.empty()) parts.push_back("from " + w.source);
  if (!w.destination.empty()) parts.push_back("to " + w.destination);
  if (!w.version.empty()) parts.push_back("version " + w.version);
  if (!w.route.empty()) parts.push_back("route " + w.route);
  if (w.response_code) parts.push_back(fmt::format("code {}", *w.response_code));
  if (!w.flag.empty()) parts.push_back("flag " + w.flag);
  if (w.redirected) parts.push_back(*w.redirected ? "following a redirect" : "not following a redirect");
  std::string out = level == AssertionLevel::Requests ? "client requests" : "hops (metrics, source reporter)";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? " " : ", ") + parts[i];
  // Client requests carry their start time; metrics only the window their hop ended in.
  return out + (level == AssertionLevel::Requests ? ", start in " : ", metrics windows in ") + window_text(a);
}

bool compare(double observed, const std::string& op, double expected) {
  // Fractions come out of divisions: 0.2 written by a user and 2/10 observed must be equal.
  const bool equal = std::abs(observed - expected) <= 1e-9 * std::max(1.0, std::abs(expected));
  if (op == "==") return equal;
  if (op == "!=") return !equal;
  if (op == "<") return observed < expected && !equal;
  if (op == "<=") return observed < expected || equal;
  if (op == ">") return observed > expected && !equal;
  if (op == ">=") return observed > expected || equal;
  return false;
}

std::string expected_value_text(const Assertion::Condition& c) {
  // The user's own spelling reads best ("99%", "250ms"); fall back to the number.
  const std::string& t = c.text;
  if (!t.empty()) return t;
  return fmt::format("{} {:g}", c.op, c.value);
}

double quantile_of(const std::string& metric) {
  if (metric == "p50") return 0.50;
  if (metric == "p90") return 0.90;
  if (metric == "p99") return 0.99;
  return 1.0;  // max
}

ConditionResult measure(const Assertion::Condition& c, std::size_t index, const Tally& t, AssertionLevel level) {
  ConditionResult r;
  r.condition = c;
  r.expected_text = c.metric + " " + expected_value_text(c);
  const std::string& m = c.metric;
  if (m == "count" || m.rfind("flags:", 0) == 0) {
    const std::uint64_t count = m == "count" ? t.n : t.flag_counts[index];
    r.observed = static_cast<double>(count);
    r.observed_text = m == "count" ? fmt::format("{}", count) : fmt::format("{} (of {})", count, t.n);
  } else if (m == "share") {
    if (t.share_base > 0) {
      r.observed = static_cast<double>(t.n) / static_cast<double>(t.share_base);
      r.observed_text = fmt::format("{:.4f} ({} of {})", *r.observed, t.n, t.share_base);
    }
  } else if (t.n == 0) {
    // Nothing to measure: a rate or a latency of no requests is not a pass.
  } else if (m == "successRate" || m == "errorRate" || m == "non5xxRate") {
    // successRate counts 200-399, non5xxRate 1-499 (model/telemetry/outcome.h); errorRate is
    // 1 - successRate.
    const std::uint64_t part = m == "successRate" ? t.success : m == "non5xxRate" ? t.non5xx : t.n - t.success;
    r.observed = static_cast<double>(part) / static_cast<double>(t.n);
    r.observed_text = fmt::format("{:.4f} ({} of {})", *r.observed, part, t.n);
  } else {
    const double q = quantile_of(m);
    std::int64_t v = 0;
    if (level == AssertionLevel::Requests)
      v = m == "max" ? t.digest.max() : t.digest.percentile(q);
    else
      v = percentile_from_buckets(t.buckets, q);
    r.observed = static_cast<double>(v);
    r.observed_text = fmt::format("{} (n={})", ms(static_cast<double>(v)), t.n);
  }
  if (!r.observed) {
    r.observed_text = "nothing selected";
    r.pass = false;
  } else {
    r.pass = compare(*r.observed, c.op, c.value);
  }
  return r;
}

std::string names_of(const std::unordered_set<std::int64_t>& ids, const Strings& strings) {
  std::set<std::string> names;
  for (auto id : ids) names.insert(strings.get(id));
  std::string out;
  std::size_t shown = 0;
  for (const auto& n : names) {
    if (shown++ == 12) {
      out += ", ...";
      break;
    }
    out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "none" : out;
}

std::string run_end_text(const Reader& reader, std::int64_t run_id) {
  auto info = reader.run(run_id);
  if (!info) return "";
  return " (the run's arrivals stopped at " + human_ns(info->sim_duration) + ")";
}

void scan_requests(const Reader& reader, std::int64_t run_id, const Assertion& a, const Strings& strings,
                   Tally& t, std::string& problem) {
  const auto& w = a.where;
  IdFilter client = equals(w.client);
  IdFilter destination;
  if (!w.destination.empty())
    destination = IdFilter([d = w.destination](const std::string& s) { return service_matches(s, d); });
  IdFilter version = equals(w.version);
  IdFilter route = equals(w.route);
  FlagBits flags;
  const std::uint32_t where_flag = flag_bit(w.flag);
  std::vector<std::uint32_t> condition_flags;
  for (const auto& c : a.expect) condition_flags.push_back(c.metric.rfind("flags:", 0) == 0 ? flag_bit(c.metric.substr(6)) : 0u);
  const std::int64_t to = a.to.value_or(std::numeric_limits<std::int64_t>::max());
  std::string error;
  bool any_row = false;
  // redirect_of exists from schema 6 on; it is named only when the assertion selects by it.
  const char* redirected = !w.redirected ? "" : *w.redirected ? " AND redirect_of IS NOT NULL" : " AND redirect_of IS NULL";
  const bool ok = reader.query_each(
      std::string("SELECT client, destination_service, destination_version, route_name, response_code, response_flags, "
                  "duration_ns FROM request_rows WHERE run_id = ? AND start_ns >= ? AND start_ns < ?") + redirected,
      {Value{run_id}, Value{static_cast<std::int64_t>(a.from)}, Value{to}},
      [&](const Row& r) {
        any_row = true;
        const std::int64_t client_id = as_int(r[0]), dest_id = as_int(r[1]);
        t.seen_a.insert(client_id);
        t.seen_b.insert(dest_id);
        if (!client(client_id, strings) || !destination(dest_id, strings) || !route(as_int(r[3]), strings))
          return true;
        const std::int64_t code = as_int(r[4]);
        if (w.response_code && code != *w.response_code) return true;
        const std::uint32_t bits = flags(as_int(r[5]), strings);
        if (where_flag != 0 && (bits & where_flag) == 0) return true;
        ++t.share_base;
        if (!version(as_int(r[2]), strings)) return true;
        ++t.n;
        if (is_success(code)) ++t.success;
        if (is_non5xx(code)) ++t.non5xx;
        t.digest.add(as_int(r[6]));
        for (std::size_t i = 0; i < condition_flags.size(); ++i)
          if (condition_flags[i] != 0 && (bits & condition_flags[i]) != 0) ++t.flag_counts[i];
        return true;
      },
      &error);
  if (!ok) {
    problem = "cannot read the requests of run " + std::to_string(run_id) + ": " + error;
    return;
  }
  if (t.n > 0) return;
  if (!any_row) {
    auto rows = reader.query("SELECT 1 FROM request_rows WHERE run_id = ? LIMIT 1", {Value{run_id}});
    if (rows && rows->empty()) {
      problem = "run " + std::to_string(run_id) + " stored no request rows (record.requests: none); select hops with "
                "source/destination/version to read the metrics table instead";
    } else {
      problem = "no client request started in " + window_text(a) + run_end_text(reader, run_id);
    }
    return;
  }
  if (t.share_base == 0)
    problem = "no client request matched; in this window the clients were " + names_of(t.seen_a, strings) +
              " and the first-hop destinations " + names_of(t.seen_b, strings);
  else
    problem = fmt::format("{} requests matched, none of them reached version {}", t.share_base, a.where.version);
}

void scan_hops(const Reader& reader, std::int64_t run_id, const Assertion& a, const Strings& strings, Tally& t,
               std::string& problem) {
  const auto& w = a.where;
  const auto reporter = strings.id_of("source");
  if (!reporter) {
    problem = "the results file holds no source-reporter metrics";
    return;
  }
  IdFilter source = equals(w.source);
  IdFilter destination;
  if (!w.destination.empty())
    destination = IdFilter([d = w.destination](const std::string& s) { return service_matches(s, d); });
  IdFilter version = equals(w.version);
  FlagBits flags;
  const std::uint32_t where_flag = flag_bit(w.flag);
  std::vector<std::uint32_t> condition_flags;
  for (const auto& c : a.expect) condition_flags.push_back(c.metric.rfind("flags:", 0) == 0 ? flag_bit(c.metric.substr(6)) : 0u);
  std::string sql =
      "SELECT source_workload, destination_service, destination_version, response_code, response_flags, requests";
  for (auto col : kDurationBucketColumns) sql += fmt::format(", {}", col);
  sql += " FROM metric_rows WHERE run_id = ? AND reporter = ? AND window_start_ns >= ? AND window_start_ns < ?";
  const std::int64_t to = a.to.value_or(std::numeric_limits<std::int64_t>::max());
  std::string error;
  const bool ok = reader.query_each(
      sql, {Value{run_id}, Value{*reporter}, Value{static_cast<std::int64_t>(a.from)}, Value{to}},
      [&](const Row& r) {
        const std::int64_t source_id = as_int(r[0]), dest_id = as_int(r[1]);
        t.seen_a.insert(source_id);
        t.seen_b.insert(dest_id);
        if (!source(source_id, strings) || !destination(dest_id, strings)) return true;
        const std::int64_t code = as_int(r[3]);
        if (w.response_code && code != *w.response_code) return true;
        const std::uint32_t bits = flags(as_int(r[4]), strings);
        if (where_flag != 0 && (bits & where_flag) == 0) return true;
        const auto count = static_cast<std::uint64_t>(as_int(r[5]));
        t.share_base += count;
        if (!version(as_int(r[2]), strings)) return true;
        t.n += count;
        if (is_success(code)) t.success += count;
        if (is_non5xx(code)) t.non5xx += count;
        for (std::size_t b = 0; b < kDurationBuckets; ++b) t.buckets[b] += static_cast<std::uint64_t>(as_int(r[6 + b]));
        for (std::size_t i = 0; i < condition_flags.size(); ++i)
          if (condition_flags[i] != 0 && (bits & condition_flags[i]) != 0) t.flag_counts[i] += count;
        return true;
      },
      &error);
  if (!ok) {
    problem = "cannot read the metrics of run " + std::to_string(run_id) + ": " + error;
    return;
  }
  if (t.seen_a.empty())
    problem = "no hop ended in " + window_text(a) + run_end_text(reader, run_id);
  else if (t.share_base == 0)
    problem = "no hop matched; in this window the sources were " + names_of(t.seen_a, strings) +
              " and the destinations " + names_of(t.seen_b, strings);
  else if (t.n == 0)
    problem = fmt::format("{} hops matched, none of them reached version {}", t.share_base, a.where.version);
}

}  // namespace

// In attributes a newline must be a character reference or parsers fold it to a space.
std::string xml_escape(const std::string& s, bool attribute) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += attribute ? "&#10;" : "\n"; break;
      default:
        // Control characters are not allowed in XML 1.0; names come from user files.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') out += ' ';
        else out += c;
    }
  }
  return out;
}


bool service_matches(std::string_view host, std::string_view name) {
  if (name.empty()) return true;
  if (host == name) return true;
  return host.size() > name.size() && host.compare(0, name.size(), name) == 0 && host[name.size()] == '.';
}

AssertionLevel assertion_level(const Assertion::Where& w) {
  if (!w.client.empty() || !w.route.empty() || w.redirected) return AssertionLevel::Requests;
  if (!w.source.empty() || !w.destination.empty() || !w.version.empty()) return AssertionLevel::Hops;
  return AssertionLevel::Requests;
}

bool AssertionResult::pass() const {
  return std::all_of(conditions.begin(), conditions.end(), [](const ConditionResult& c) { return c.pass; });
}

std::vector<AssertionResult> evaluate_assertions(const Reader& reader, std::int64_t run_id,
                                                 const std::vector<Assertion>& assertions) {
  std::vector<AssertionResult> out;
  if (assertions.empty()) return out;
  const Strings strings(reader);
  // spec.warmup: what starts before it is not part of any assertion's window.
  const std::int64_t warmup = [&] {
    auto info = reader.run(run_id);
    return info ? info->warmup : std::int64_t{0};
  }();
  for (Assertion a : assertions) {
    a.from = std::max(a.from, warmup);
    AssertionResult res;
    res.name = a.name;
    res.level = assertion_level(a.where);
    res.selection = describe_selection(a, res.level);
    Tally t;
    t.flag_counts.assign(a.expect.size(), 0);
    if (res.level == AssertionLevel::Hops && !a.where.route.empty()) {
      res.problem = "route selects client requests and cannot be combined with source";
    } else if (res.level == AssertionLevel::Requests) {
      scan_requests(reader, run_id, a, strings, t, res.problem);
    } else {
      scan_hops(reader, run_id, a, strings, t, res.problem);
    }
    res.selected = t.n;
    for (std::size_t i = 0; i < a.expect.size(); ++i) res.conditions.push_back(measure(a.expect[i], i, t, res.level));
    out.push_back(std::move(res));
  }
  return out;
}

CheckSummary summarize(const std::vector<AssertionResult>& results) {
  CheckSummary s;
  for (const auto& r : results) {
    s.conditions += r.conditions.size();
    for (const auto& c : r.conditions) s.failed += c.pass ? 0 : 1;
  }
  return s;
}

std::string format_assertion_table(const std::vector<AssertionResult>& results) {
  std::vector<std::array<std::string, 4>> rows;
  rows.push_back({"ASSERTION", "EXPECTED", "OBSERVED", "RESULT"});
  for (const auto& r : results)
    for (const auto& c : r.conditions) rows.push_back({r.name, c.expected_text, c.observed_text, c.pass ? "PASS" : "FAIL"});
  std::array<std::size_t, 4> width{};
  for (const auto& row : rows)
    for (std::size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], display_columns(row[i]));
  std::string out;
  for (const auto& row : rows)
    out += pad_columns(row[0], width[0]) + "  " + pad_columns(row[1], width[1]) + "  " + pad_columns(row[2], width[2]) +
           "  " + row[3] + "\n";
  const CheckSummary s = summarize(results);
  out += "\n";
  // Problems explain a FAIL that has no number (nothing selected): say why under the table.
  for (const auto& r : results)
    if (!r.problem.empty() && !r.pass()) out += fmt::format("{}: {} ({})\n", r.name, r.problem, r.selection);
  if (s.failed == 0) {
    out += fmt::format("all {} conditions of {} assertions passed\n", s.conditions, results.size());
  } else {
    std::string failed;
    for (const auto& r : results)
      if (!r.pass()) failed += (failed.empty() ? "" : ", ") + ("\"" + r.name + "\"");
    out += fmt::format("{} of {} conditions failed; failed assertions: {}\n", s.failed, s.conditions, failed);
  }
  return out;
}

std::string format_junit(const JUnitSuite& suite, const std::vector<AssertionResult>& results) {
  const CheckSummary s = summarize(results);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"meshtwin check\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                     s.conditions, s.failed, suite.wall_seconds);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\">\n",
                     xml_escape(suite.name), s.conditions, s.failed, suite.wall_seconds);
  if (!suite.properties.empty()) {
    out += "    <properties>\n";
    for (const auto& [k, v] : suite.properties)
      out += fmt::format("      <property name=\"{}\" value=\"{}\"/>\n", xml_escape(k), xml_escape(v));
    out += "    </properties>\n";
  }
  for (const auto& r : results) {
    for (const auto& c : r.conditions) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\"", xml_escape(suite.name),
                         xml_escape(r.name + ": " + c.expected_text));
      if (c.pass) {
        out += "/>\n";
        continue;
      }
      const std::string message = fmt::format("assertion \"{}\" failed: expected {}, observed {}", r.name,
                                              c.expected_text, c.observed_text);
      std::string detail = "selection: " + r.selection + "\n";
      if (!r.problem.empty()) detail += "problem: " + r.problem + "\n";
      out += fmt::format(">\n      <failure message=\"{}\" type=\"AssertionFailed\">{}</failure>\n    </testcase>\n",
                         xml_escape(message), xml_escape(detail, false));
    }
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace meshtwin::results
