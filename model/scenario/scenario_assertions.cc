// `assertions:` (docs/design.md §3.2, issue 5 part 4): what a run must show. Only the file is read
// here; results/assertions.h evaluates them against a results file. An assertion that
// selects the wrong thing passes or fails silently, so this reader is stricter than the rest
// of the scenario: an unknown key under `where` or `expect` is an error, not a warning.
#include <algorithm>
#include <cmath>
#include <set>

#include "model/scenario/scenario_values.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin::scenario::detail {
namespace {

using config::Severity;
using Expectation = AssertionSpec::Expectation;

constexpr const char* kWhereKeys[] = {"client", "source", "destination", "version", "route", "code", "flag", "redirected"};
constexpr const char* kMetrics[] = {"successRate", "non5xxRate", "errorRate", "p50", "p90", "p99", "max", "count", "share"};

enum class MetricKind { Fraction, Duration, Count };

std::optional<MetricKind> metric_kind(const std::string& metric) {
  if (metric == "successRate" || metric == "non5xxRate" || metric == "errorRate" || metric == "share")
    return MetricKind::Fraction;
  if (metric == "p50" || metric == "p90" || metric == "p99" || metric == "max") return MetricKind::Duration;
  if (metric == "count" || metric.rfind("flags:", 0) == 0) return MetricKind::Count;
  return std::nullopt;
}

void report(const Value& at, std::string message) {
  at.reader().report(Severity::Error, at.node(), at.path(), std::move(message));
}

std::string hint_for(const std::string& key, const char* const* begin, const char* const* end) {
  std::string hint;
  std::size_t best = 3;
  for (auto it = begin; it != end; ++it) {
    const std::size_t d = config::yaml::edit_distance(key, *it);
    if (d < best) {
      best = d;
      hint = "; did you mean \"" + std::string(*it) + "\"?";
    }
  }
  return hint;
}

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) --b;
  return std::string(s.substr(a, b - a));
}

bool single_flag(const std::string& code) {
  if (code.empty() || code == "-" || code.find(',') != std::string::npos) return false;
  return telemetry::parse_response_flags(code).has_value();
}

// The value after the operator, in the metric's unit: fractions as 0.99 or 99%, durations
// with a unit, counts as whole numbers. nullopt and `why` when it does not fit.
std::optional<double> parse_value(MetricKind kind, const std::string& metric, const std::string& text,
                                  std::string& why) {
  switch (kind) {
    case MetricKind::Fraction: {
      std::string t = text;
      double scale = 1;
      if (!t.empty() && t.back() == '%') {
        t = trim(t.substr(0, t.size() - 1));
        scale = 0.01;
      }
      char* end = nullptr;
      const double x = t.empty() ? NAN : std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(x)) {
        why = metric + " is a fraction: write a number between 0 and 1 (0.99) or a percentage (99%), got \"" +
              text + "\"";
        return std::nullopt;
      }
      const double v = x * scale;
      if (v < 0 || v > 1) {
        why = metric + " is a fraction between 0 and 1 (or 0% to 100%), got \"" + text + "\"";
        return std::nullopt;
      }
      return v;
    }
    case MetricKind::Duration: {
      auto d = engine::parse_duration(text);
      if (!d || *d < SimDuration{}) {
        why = metric + " is a latency: write a duration with a unit such as 250ms or 1.5s, got \"" + text + "\"";
        return std::nullopt;
      }
      return static_cast<double>(d->ns());
    }
    case MetricKind::Count: {
      char* end = nullptr;
      const double x = text.empty() ? NAN : std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !(x >= 0) || x != std::floor(x)) {
        why = metric + " counts requests: write a whole number such as 0 or 100, got \"" + text + "\"";
        return std::nullopt;
      }
      return x;
    }
  }
  return std::nullopt;
}

// `">= 0.99"`, or several conditions joined by `and` (`">= 0.15 and <= 0.25"`), each one
// Expectation for the same metric.
bool parse_conditions(const Value& v, const std::string& metric, MetricKind kind, std::vector<Expectation>& out) {
  if (!v.is_scalar()) {
    report(v, metric + " must be a condition such as \">= 0.99\" (an operator and a value, in quotes), got " +
                  v.describe());
    return false;
  }
  const std::string& all = v.node().Scalar();
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = all.find(" and ", start);
    parts.push_back(trim(std::string_view(all).substr(start, pos == std::string::npos ? std::string::npos : pos - start)));
    if (pos == std::string::npos) break;
    start = pos + 5;
  }
  static const char* const kOps[] = {"<=", ">=", "==", "!=", "<", ">"};
  for (const std::string& part : parts) {
    std::string op;
    for (const char* o : kOps) {
      if (part.rfind(o, 0) == 0) {
        op = o;
        break;
      }
    }
    if (op.empty()) {
      const std::string example = kind == MetricKind::Fraction   ? ">= 0.99"
                                  : kind == MetricKind::Duration ? "< 250ms"
                                                                 : "== 0";
      report(v, part.rfind('=', 0) == 0
                    ? metric + ": write == for equality, got \"" + part + "\""
                    : metric + " needs an operator (<, <=, >, >=, == or !=) before the value, e.g. \"" + example +
                          "\" (in quotes); got \"" + part + "\"");
      return false;
    }
    const std::string value_text = trim(std::string_view(part).substr(op.size()));
    std::string why;
    auto value = parse_value(kind, metric, value_text, why);
    if (!value) {
      report(v, why);
      return false;
    }
    out.push_back(Expectation{metric, op, *value, op + " " + value_text});
  }
  return true;
}

bool read_where(const Value& v, const ScenarioSpec& spec, AssertionSpec::Where& w) {
  MapReader m(v);
  if (!m.ok()) return false;
  bool ok = true;
  std::optional<Value> source_value;
  for (auto& [key, value] : m.entries()) {
    if (std::find(std::begin(kWhereKeys), std::end(kWhereKeys), key) == std::end(kWhereKeys)) {
      report(value, "unknown selector \"" + key + "\" (it would widen what the assertion selects); use client, "
                    "source, destination, version, route, code, flag or redirected" +
                        hint_for(key, std::begin(kWhereKeys), std::end(kWhereKeys)));
      ok = false;
      continue;
    }
    if (value.is_null()) continue;
    if (key == "code") {
      if (auto n = value.as_int(0, 599))
        w.response_code = static_cast<int>(*n);
      else
        ok = false;
      continue;
    }
    if (key == "redirected") {
      if (auto b = value.as_bool())
        w.redirected = *b;
      else
        ok = false;
      continue;
    }
    auto s = value.as_string();
    if (!s) {
      ok = false;
      continue;
    }
    if (s->empty()) {
      report(value, key + " must not be empty; leave it out to select every " + key);
      ok = false;
      continue;
    }
    if (key == "client") {
      const bool known = std::any_of(spec.clients.begin(), spec.clients.end(),
                                     [&](const ClientSpec& c) { return c.name == *s; });
      if (!known) {
        std::string names;
        for (const auto& c : spec.clients) names += (names.empty() ? "" : ", ") + c.name;
        report(value, "no client is named \"" + *s + "\"; spec.clients has " + (names.empty() ? "none" : names));
        ok = false;
      }
      w.client = *s;
    } else if (key == "source") {
      source_value = value;
      if (!object_name(*s)) {
        report(value, "source is the calling workload's name (e.g. productpage-v1), got \"" + *s + "\"");
        ok = false;
      }
      w.source = *s;
    } else if (key == "destination") {
      if (!object_name(*s)) {
        report(value, "destination is a service: its short name (reviews) or host (reviews.default.svc.cluster.local), "
                      "got \"" + *s + "\"");
        ok = false;
      }
      w.destination = *s;
    } else if (key == "version") {
      w.version = *s;
    } else if (key == "route") {
      w.route = *s;
    } else if (key == "flag") {
      if (!single_flag(*s)) {
        report(value, "flag must be one Envoy response flag such as UH, UO, UT, URX, DC or NR, got \"" + *s + "\"");
        ok = false;
      }
      w.flag = *s;
    }
  }
  // Client requests (the `requests` table) know the route but not a source; hops (the
  // `metrics` table) know the source but not the route. Mixing them would select nothing.
  if (source_value && (!w.client.empty() || !w.route.empty() || w.redirected)) {
    report(*source_value, std::string("source selects hops (the metrics table) and cannot be combined with ") +
                              (!w.client.empty() ? "client" : !w.route.empty() ? "route" : "redirected") +
                              ", which selects client requests (the requests table); write two assertions");
    ok = false;
  }
  return ok;
}

bool read_during(const Value& v, AssertionSpec& a, const ScenarioSpec& spec) {
  if (!v.is_seq() || v.node().size() < 1 || v.node().size() > 2) {
    v.error("during must be [from] or [from, to] in run time, e.g. [120s, 600s], got " + v.describe());
    return false;
  }
  auto from = v.at(0).as_duration();
  if (!from) return false;
  a.from = SimTime{} + *from;
  if (v.node().size() == 2) {
    auto to = v.at(1).as_duration();
    if (!to) return false;
    if (*to <= *from) {
      // Exact, not engine::human_duration: rounded, two different times could print the same.
      v.at(1).error("during's end (" + engine::format_duration(*to) + ") must come after its start (" +
                    engine::format_duration(*from) + ")");
      return false;
    }
    a.to = SimTime{} + *to;
  }
  if (a.from >= SimTime{} + spec.duration)
    v.at(0).warning("during starts at " + engine::human_duration(a.from) + ", not before spec.duration (" +
                    engine::human_duration(spec.duration) + "): only requests that start while draining count");
  return true;
}

bool read_expect(const Value& v, AssertionSpec& a) {
  MapReader m(v);
  if (!m.ok()) return false;
  auto entries = m.entries();
  if (entries.empty()) {
    v.error("expect must hold at least one condition, e.g. {successRate: \">= 0.99\", p99: \"< 250ms\"}");
    return false;
  }
  bool ok = true;
  for (auto& [metric, value] : entries) {
    auto kind = metric_kind(metric);
    if (!kind) {
      report(value, "unknown metric \"" + metric + "\"; use successRate, non5xxRate, errorRate, p50, p90, p99, max, count, "
                    "share or flags:<FLAG> (e.g. flags:UO)" +
                        hint_for(metric, std::begin(kMetrics), std::end(kMetrics)));
      ok = false;
      continue;
    }
    if (metric.rfind("flags:", 0) == 0 && !single_flag(metric.substr(6))) {
      report(value, "flags:" + metric.substr(6) + " must name one Envoy response flag, e.g. flags:UO or flags:URX");
      ok = false;
      continue;
    }
    if (metric == "share" && a.where.version.empty()) {
      report(value, "share is the fraction of the selected requests that reached where.version; add a version, "
                    "e.g. where: {destination: reviews, version: v3}");
      ok = false;
      continue;
    }
    ok = parse_conditions(value, metric, *kind, a.expect) && ok;
  }
  return ok;
}

}  // namespace

void read_assertions(const Value& v, ScenarioSpec& spec) {
  auto items = v.as_list();
  if (!items) return;
  std::set<std::string> names;
  for (const Value& item : *items) {
    MapReader m(item);
    if (!m.ok()) continue;
    AssertionSpec a;
    a.location = item.location();
    bool ok = true;
    if (auto name = m.require("name", "name is required: it names the assertion in the table and the JUnit file")) {
      if (auto s = name->as_string()) {
        a.name = *s;
        if (a.name.empty()) {
          name->error("name must not be empty");
          ok = false;
        } else if (!names.insert(a.name).second) {
          name->error("another assertion is already named \"" + a.name + "\"; names must be unique");
          ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto where = m.get("where")) ok = read_where(*where, spec, a.where) && ok;
    if (auto during = m.get("during")) ok = read_during(*during, a, spec) && ok;
    // `where` is read first: share needs to know whether a version is selected.
    if (auto expect = m.require("expect", "expect is required: conditions such as {successRate: \">= 0.99\"}"))
      ok = read_expect(*expect, a) && ok;
    else
      ok = false;
    m.finish();
    // Kept even when invalid (the load fails anyway), so a rollout naming it in `analysis`
    // does not get a second, misleading "no assertion is named" error.
    if (ok || !a.name.empty()) spec.assertions.push_back(std::move(a));
  }
}

}  // namespace meshtwin::scenario::detail
