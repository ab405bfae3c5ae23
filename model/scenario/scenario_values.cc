#include "model/scenario/scenario_values.h"

#include <cmath>
#include <limits>

namespace meshtwin::scenario::detail {

std::optional<SimDuration> required_duration(MapReader& m, std::string_view key, SimDuration min, const std::string& what) {
  auto v = m.require(key, std::string(key) + " is required: " + what);
  if (!v) return std::nullopt;
  return v->as_duration(min);
}

std::optional<double> required_number(MapReader& m, std::string_view key, double min, double max,
                                      const std::string& what) {
  auto v = m.require(key, std::string(key) + " is required: " + what);
  if (!v) return std::nullopt;
  return v->as_number(min, max);
}

// A number that must be strictly positive; `rate must be positive` reads better than a range.
std::optional<double> positive_number(const Value& v, const std::string& what, double max) {
  auto d = v.as_number(-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
  if (!d) return std::nullopt;
  if (*d <= 0) {
    v.error(what + " must be positive, got " + v.describe());
    return std::nullopt;
  }
  if (*d > max) {
    v.error(what + " must be at most " + config::yaml::number_text(max) + ", got " + v.describe());
    return std::nullopt;
  }
  return d;
}

std::optional<int> read_workers(const Value& v) {
  if (v.is_scalar() && !v.quoted() && v.node().Scalar() == "unlimited") return 0;
  if (v.is_scalar() && !v.quoted() && v.node().Scalar() == "0") {
    v.error("workers must be between 1 and 1000000, got 0; to leave the app without a limit write "
            "`unlimited` or leave workers out");
    return std::nullopt;
  }
  auto n = v.as_int(1, 1'000'000);
  if (!n) return std::nullopt;
  return static_cast<int>(*n);
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr const char* kKinds = "constant, uniform, exponential, normal, lognormal, pareto or empirical";

void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(config::Severity::Error, at.node(), config::yaml::join_path(at.path(), key), std::move(message));
}

std::optional<engine::Distribution> read_empirical(const Value& v) {
  auto items = v.as_list();
  if (!items) return std::nullopt;
  if (items->empty()) {
    v.error("empirical needs at least one point [value, cumulative probability], e.g. [[1ms, 0.5], [5ms, 1.0]]");
    return std::nullopt;
  }
  std::vector<std::pair<double, double>> points;
  for (const Value& item : *items) {
    if (!item.is_seq() || item.node().size() != 2) {
      item.error(item.name() + " must be a pair [value, cumulative probability] such as [5ms, 0.9], got " +
                 item.describe());
      return std::nullopt;
    }
    auto value = item.at(0).as_duration();
    if (!value) return std::nullopt;
    auto p = item.at(1).as_number(0, 1);
    if (!p) return std::nullopt;
    if (!points.empty()) {
      if (static_cast<double>(value->ns()) <= points.back().first) {
        item.at(0).error("empirical values must increase from point to point");
        return std::nullopt;
      }
      if (*p < points.back().second) {
        item.at(1).error("empirical cumulative probabilities must not decrease");
        return std::nullopt;
      }
    }
    points.emplace_back(static_cast<double>(value->ns()), *p);
  }
  if (std::abs(points.back().second - 1.0) > 1e-9) {
    items->back().at(1).error("the last empirical point must have cumulative probability 1, got " +
                              items->back().at(1).node().Scalar());
    return std::nullopt;
  }
  points.back().second = 1.0;
  return engine::Distribution::empirical(std::move(points));
}

std::optional<engine::Distribution> read_kind(const std::string& kind, const Value& body) {
  using engine::Distribution;
  if (kind == "constant") {
    auto d = body.as_duration();
    if (!d) return std::nullopt;
    return Distribution::constant(static_cast<double>(d->ns()));
  }
  if (kind == "empirical") return read_empirical(body);

  MapReader m(body);
  if (!m.ok()) return std::nullopt;
  std::optional<Distribution> out;
  if (kind == "uniform") {
    auto lo = required_duration(m, "min", SimDuration{}, "the smallest value, e.g. 1ms");
    auto hi = required_duration(m, "max", SimDuration{}, "the largest value, e.g. 3ms");
    if (lo && hi) {
      if (*hi < *lo)
        error_at(body, "max", "max must not be less than min");
      else
        out = Distribution::uniform(static_cast<double>(lo->ns()), static_cast<double>(hi->ns()));
    }
  } else if (kind == "exponential") {
    if (auto mean = required_duration(m, "mean", engine::kNanosecond, "the mean, e.g. 5ms"))
      out = Distribution::exponential(static_cast<double>(mean->ns()));
  } else if (kind == "normal") {
    auto mean = required_duration(m, "mean", SimDuration{}, "the mean, e.g. 5ms");
    auto sd = required_duration(m, "stddev", SimDuration{}, "the standard deviation, e.g. 1ms");
    if (mean && sd) out = Distribution::normal(static_cast<double>(mean->ns()), static_cast<double>(sd->ns()));
  } else if (kind == "lognormal") {
    const bool by_quantiles = m.has("p50") || m.has("p99");
    const bool by_params = m.has("mu") || m.has("sigma");
    if (by_quantiles && by_params) {
      body.error("lognormal takes either p50 and p99, or mu and sigma, not both");
    } else if (by_params) {
      // mu and sigma describe ln(value in seconds), the unit people quote latencies in;
      // converted to nanoseconds by shifting mu by ln(1e9).
      auto mu = required_number(m, "mu", -kInf, kInf, "the mean of ln(value in seconds)");
      auto sigma = required_number(m, "sigma", 0, kInf, "the standard deviation of ln(value in seconds)");
      if (mu && sigma) out = Distribution::lognormal_mu_sigma(*mu + std::log(1e9), *sigma);
    } else {
      auto p50 = required_duration(m, "p50", engine::kNanosecond, "the median, e.g. 4ms");
      auto p99 = required_duration(m, "p99", engine::kNanosecond, "the 99th percentile, e.g. 30ms");
      if (p50 && p99) {
        if (*p99 < *p50)
          error_at(body, "p99", "p99 must be at least p50");
        else
          out = Distribution::lognormal_p50_p99(static_cast<double>(p50->ns()), static_cast<double>(p99->ns()));
      }
    }
  } else if (kind == "pareto") {
    auto scale = required_duration(m, "scale", engine::kNanosecond, "the minimum value, e.g. 1ms");
    std::optional<double> shape;
    if (auto v = m.require("shape", "shape is required: the tail index, e.g. 1.5")) shape = positive_number(*v, "shape");
    if (scale && shape) out = Distribution::pareto(static_cast<double>(scale->ns()), *shape);
  } else {
    return std::nullopt;  // reported by the caller
  }
  m.finish();
  return out;
}

}  // namespace

std::optional<engine::Distribution> read_duration_distribution(const Value& v) {
  if (v.is_scalar()) {
    auto d = v.as_duration();
    if (!d) return std::nullopt;
    return engine::Distribution::constant(static_cast<double>(d->ns()));
  }
  if (!v.is_map()) {
    v.error(v.name() + " must be a duration such as \"5ms\" or a distribution such as {lognormal: {p50: 4ms, p99: 30ms}}, got " +
            v.describe());
    return std::nullopt;
  }
  MapReader m(v);
  if (!m.ok()) return std::nullopt;
  auto entries = m.entries();
  if (entries.size() != 1) {
    v.error(v.name() + " must have exactly one distribution kind (" + kKinds + "), got " +
            std::to_string(entries.size()));
    return std::nullopt;
  }
  const auto& [kind, body] = entries[0];
  static const char* const kKnown[] = {"constant", "uniform", "exponential", "normal", "lognormal", "pareto", "empirical"};
  bool known = false;
  std::string hint;
  for (const char* k : kKnown) {
    if (kind == k) known = true;
    if (config::yaml::edit_distance(kind, k) <= 2) hint = "; did you mean \"" + std::string(k) + "\"?";
  }
  if (!known) {
    body.reader().report(config::Severity::Error, body.node(), body.path(),
                         "unknown distribution \"" + kind + "\"; use one of " + kKinds + hint);
    return std::nullopt;
  }
  if (body.is_null()) {
    body.error(kind + " needs its parameters");
    return std::nullopt;
  }
  return read_kind(kind, body);
}

// ---------------------------------------------------------------- --set

namespace {

struct Segment {
  bool is_index = false;
  std::string key;
  std::size_t index = 0;
};

std::optional<std::vector<Segment>> parse_set_path(const std::string& path, std::string* error) {
  std::vector<Segment> out;
  std::size_t i = 0;
  auto fail = [&](std::string m) -> std::optional<std::vector<Segment>> {
    *error = std::move(m);
    return std::nullopt;
  };
  while (i < path.size()) {
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string::npos) return fail("unclosed '['");
      std::string inner = path.substr(i + 1, close - i - 1);
      Segment s;
      if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"') {
        s.key = inner.substr(1, inner.size() - 2);
      } else {
        if (inner.empty() || inner.find_first_not_of("0123456789") != std::string::npos)
          return fail("\"[" + inner + "]\" is not a list index; write [0], [1], ...");
        s.is_index = true;
        s.index = std::stoul(inner);
      }
      out.push_back(std::move(s));
      i = close + 1;
      if (i < path.size() && path[i] == '.') {
        ++i;
        if (i == path.size()) return fail("it ends with '.'");
      }
      continue;
    }
    const auto end = path.find_first_of(".[", i);
    std::string key = path.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (key.empty()) return fail("it has an empty field name");
    out.push_back(Segment{false, key, 0});
    if (end == std::string::npos) break;
    i = end;
    if (path[i] == '.') {
      ++i;
      if (i == path.size()) return fail("it ends with '.'");
    }
  }
  if (out.empty()) return fail("the path is empty");
  return out;
}

// A copy without file positions, so diagnostics about it say "--set" rather than pointing at
// a line of the scenario file that does not hold this value.
YAML::Node unplaced_copy(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      YAML::Node out(n.Scalar());
      out.SetTag(n.Tag());
      return out;
    }
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : n) out.push_back(unplaced_copy(item));
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      for (auto it = n.begin(); it != n.end(); ++it) out[unplaced_copy(it->first)] = unplaced_copy(it->second);
      return out;
    }
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

}  // namespace

bool apply_overrides(YAML::Node root, const std::vector<std::string>& overrides,
                     std::vector<std::pair<std::string, std::string>>& strict_paths, config::Diagnostics& diags) {
  using config::yaml::index_path;
  using config::yaml::join_path;
  bool ok = true;
  for (const std::string& text : overrides) {
    const config::SourceLocation where{"--set", 0, 0};
    const auto eq = text.find('=');
    if (eq == std::string::npos) {
      diags.error(where, "", "--set expects PATH=VALUE (e.g. spec.seed=7), got \"" + text + "\"");
      ok = false;
      continue;
    }
    const std::string path_text = text.substr(0, eq);
    const std::string value_text = text.substr(eq + 1);
    std::string error;
    auto segments = parse_set_path(path_text, &error);
    if (!segments) {
      diags.error(where, path_text, "--set " + text + ": not a field path (" + error + "); write e.g. spec.clients[0].rate.poisson");
      ok = false;
      continue;
    }
    YAML::Node value;
    try {
      value = unplaced_copy(YAML::Load(value_text));
    } catch (const YAML::Exception& e) {
      diags.error(where, path_text, "--set " + text + ": the value is not valid YAML: " + e.msg);
      ok = false;
      continue;
    }

    std::string canonical;
    YAML::Node cur;
    cur.reset(root);
    bool failed = false;
    for (std::size_t i = 0; i < segments->size() && !failed; ++i) {
      const Segment& s = (*segments)[i];
      const bool last = i + 1 == segments->size();
      const std::string parent = canonical.empty() ? "the scenario" : canonical;
      if (s.is_index) {
        canonical = index_path(canonical, s.index);
        if (!cur.IsSequence()) {
          diags.error(where, canonical, "--set " + text + ": " + parent + " is not a list, so it has no [" +
                                            std::to_string(s.index) + "]");
          failed = true;
          break;
        }
        if (s.index >= cur.size()) {
          diags.error(where, canonical,
                      "--set " + text + ": " + parent + " has " + std::to_string(cur.size()) + " entries, so [" +
                          std::to_string(s.index) + "] does not exist");
          failed = true;
          break;
        }
        if (last) {
          cur[s.index] = value;
        } else {
          YAML::Node next = cur[s.index];
          cur.reset(next);
        }
      } else {
        canonical = join_path(canonical, s.key);
        if (!cur.IsMap() && !cur.IsNull()) {
          diags.error(where, canonical,
                      "--set " + text + ": " + parent + " is " + (cur.IsSequence() ? "a list; use an index such as " +
                                                                                          parent + "[0]"
                                                                                    : "a single value, not a map"));
          failed = true;
          break;
        }
        if (cur.IsNull()) cur = YAML::Node(YAML::NodeType::Map);
        if (last) {
          cur[s.key] = value;
        } else {
          YAML::Node next = cur[s.key];
          if (!next.IsDefined() || next.IsNull()) next = YAML::Node(YAML::NodeType::Map);
          cur.reset(next);
        }
      }
    }
    if (failed) {
      ok = false;
      continue;
    }
    strict_paths.emplace_back(canonical, text);
  }
  return ok;
}

}  // namespace meshtwin::scenario::detail
