// A client's `rate` (docs/design.md §3.2, issue 5 part 3): the open-loop shapes (poisson, constant,
// ramp, steps, sine, bursts, replay of a CSV) and the closed loop. A replay CSV is read here,
// at load time, so its mistakes are reported like any other: at the CSV's own line and
// column, with the scenario field that named the file.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "model/config/input_file.h"
#include "model/scenario/scenario_values.h"

namespace meshtwin::scenario::detail {
namespace {

namespace fs = std::filesystem;
constexpr double kInf = std::numeric_limits<double>::infinity();

const char* const kShapes[] = {"poisson", "constant", "ramp", "closed", "steps", "sine", "bursts", "replay"};
constexpr const char* kForms =
    "{poisson: 200}, {constant: 50}, {ramp: {from: 10, to: 100, over: 60s}}, "
    "{steps: [{at: 0s, rate: 10}, {at: 60s, rate: 100}]}, {sine: {mean: 100, amplitude: 50, period: 24h}}, "
    "{bursts: {base: 10, rate: 500, every: 60s, length: 5s}}, {replay: {file: arrivals.csv}} or "
    "{closed: {connections: 2, thinkTime: 0s}}";

void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(config::Severity::Error, at.node(), config::yaml::join_path(at.path(), key), std::move(message));
}

bool read_steps(const Value& body, RateSpec& r) {
  auto items = body.as_list();
  if (!items) return false;
  if (items->empty()) {
    body.error("steps must list at least one {at, rate}, e.g. [{at: 0s, rate: 10}, {at: 60s, rate: 100}]");
    return false;
  }
  bool ok = true;
  bool any_positive = false;
  for (const Value& item : *items) {
    MapReader m(item);
    if (!m.ok()) {
      ok = false;
      continue;
    }
    auto at_value = m.require("at", "at is required: when this rate starts, e.g. 60s");
    std::optional<SimDuration> at;
    if (at_value) at = at_value->as_duration();
    auto rate = required_number(m, "rate", 0, kMaxRate, "requests per second from `at` on, e.g. 100");
    m.finish();
    if (!at || !rate) {
      ok = false;
      continue;
    }
    if (!r.steps.empty() && *at <= r.steps.back().first) {
      // Exact, not engine::human_duration: rounded, two different times could print the same.
      at_value->error("step times must increase: this step starts at " + engine::format_duration(*at) +
                      ", not after the previous step's " + engine::format_duration(r.steps.back().first));
      ok = false;
      continue;
    }
    any_positive = any_positive || *rate > 0;
    r.steps.emplace_back(*at, *rate);
  }
  if (ok && !any_positive) {
    body.error("every step has rate 0, so the client sends nothing; give at least one step a positive rate");
    ok = false;
  }
  return ok;
}

bool read_sine(const Value& body, RateSpec& r) {
  MapReader m(body);
  if (!m.ok()) return false;
  std::optional<double> mean;
  if (auto v = m.require("mean", "mean is required: the average rate per second, e.g. 100"))
    mean = positive_number(*v, "mean", kMaxRate);
  auto amplitude = required_number(m, "amplitude", 0, kMaxRate, "how far the rate swings above and below the mean, e.g. 50");
  auto period = required_duration(m, "period", engine::kMillisecond, "the length of one cycle, e.g. 24h");
  SimDuration phase{};
  const bool phase_ok = !m.has("phase") || m.read_duration("phase", phase);
  m.finish();
  if (!mean || !amplitude || !period || !phase_ok) return false;
  r.per_second = *mean;
  r.amplitude = *amplitude;
  r.period = *period;
  r.phase = phase;
  return true;
}

bool read_bursts(const Value& body, RateSpec& r) {
  MapReader m(body);
  if (!m.ok()) return false;
  double base = 0;
  const bool base_ok = !m.has("base") || m.read_number("base", base, 0, kMaxRate);
  std::optional<double> rate;
  if (auto v = m.require("rate", "rate is required: requests per second during a burst, e.g. 500"))
    rate = positive_number(*v, "rate", kMaxRate);
  auto every = required_duration(m, "every", engine::kNanosecond, "the time from one burst's start to the next, e.g. 60s");
  auto length = required_duration(m, "length", engine::kNanosecond, "how long each burst lasts, e.g. 5s");
  m.finish();
  if (!base_ok || !rate || !every || !length) return false;
  if (*length >= *every) {
    error_at(body, "length",
             // Exact, not engine::human_duration: rounded, two different times could print the same.
             "length (" + engine::format_duration(*length) + ") must be shorter than every (" +
                 engine::format_duration(*every) + "); a burst that never ends is {poisson: " +
                 body.node()["rate"].Scalar() + "}");
    return false;
  }
  r.per_second = base;
  r.burst_rate = *rate;
  r.burst_every = *every;
  r.burst_length = *length;
  return true;
}

// ------------------------------------------------------------------ replay CSV

struct Cell {
  std::string text;
  int column = 1;  // 1-based, where the cell starts in its line
};

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

std::vector<Cell> split_csv_line(const std::string& line) {
  std::vector<Cell> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    const std::string_view raw(line.data() + start, (comma == std::string::npos ? line.size() : comma) - start);
    std::string text = trim(raw);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    std::size_t lead = 0;
    while (lead < raw.size() && std::isspace(static_cast<unsigned char>(raw[lead]))) ++lead;
    out.push_back(Cell{std::move(text), static_cast<int>(start + lead) + 1});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<double> plain_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A point in time in the CSV: seconds as a plain number (`12.5`) or a duration (`12500ms`).
std::optional<SimTime> csv_time(const std::string& s) {
  if (auto x = plain_number(s)) {
    if (*x < 0 || *x > 9.2e9) return std::nullopt;
    return SimTime::from_ns(std::llround(*x * 1e9));
  }
  auto d = engine::parse_duration(s);
  if (!d || *d < SimDuration{}) return std::nullopt;
  return SimTime{} + *d;
}

class CsvReport {
 public:
  CsvReport(const Value& field, std::string file) : field_(field), file_(std::move(file)) {}
  bool error(int line, int column, const std::string& message) const {
    field_.reader().diags().error(config::SourceLocation{file_, line, column}, field_.path(), message);
    return false;
  }

 private:
  const Value& field_;
  std::string file_;
};

bool read_replay_csv(const std::string& path, const Value& file_field, RateSpec& r) {
  const CsvReport report(file_field, path);
  std::string read_error;
  auto text = config::read_input_file(path, read_error);
  if (!text) return report.error(0, 0, config::read_error_message("the replay file", read_error));
  std::istringstream in(std::move(*text));
  std::string line;
  int line_no = 0;
  std::vector<std::string> header;
  int time_col = -1, second_col = -1, rate_col = -1;
  std::map<std::int64_t, int> seen_seconds;  // second -> line, for duplicate messages
  std::vector<double> rates;
  bool any = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM from spreadsheets
    const std::string t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    auto cells = split_csv_line(line);
    if (header.empty()) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        header.push_back(lower_case(cells[i].text));
        if (header.back() == "time") time_col = static_cast<int>(i);
        if (header.back() == "second") second_col = static_cast<int>(i);
        if (header.back() == "rate") rate_col = static_cast<int>(i);
      }
      if (time_col < 0 && (second_col < 0 || rate_col < 0)) {
        return report.error(line_no, 1,
                            "the replay CSV's first line must be a header naming a `time` column (one arrival "
                            "per row, in seconds such as 12.5 or a duration such as 12500ms) or `second` and "
                            "`rate` columns (requests per second); got \"" + t + "\"");
      }
      continue;
    }
    if (cells.size() != header.size()) {
      return report.error(line_no, 1,
                          "this row has " + std::to_string(cells.size()) + " cells but the header has " +
                              std::to_string(header.size()) + "; every row needs one value per column");
    }
    any = true;
    if (time_col >= 0) {
      const Cell& c = cells[static_cast<std::size_t>(time_col)];
      auto at = csv_time(c.text);
      if (!at) {
        return report.error(line_no, c.column,
                            "time \"" + c.text + "\" is not a point in time; write seconds (12.5) or a duration "
                            "with a unit (12500ms), not negative");
      }
      r.replay_arrivals.push_back(*at);
      continue;
    }
    const Cell& sc = cells[static_cast<std::size_t>(second_col)];
    const Cell& rc = cells[static_cast<std::size_t>(rate_col)];
    auto second = plain_number(sc.text);
    if (!second || *second < 0 || *second != std::floor(*second) || *second > 1e7) {
      return report.error(line_no, sc.column,
                          "second \"" + sc.text + "\" must be a whole number of seconds from the start (0, 1, 2, ..., at most 10000000)");
    }
    auto rate = plain_number(rc.text);
    if (!rate || *rate < 0 || !(*rate <= kMaxRate)) {
      return report.error(line_no, rc.column,
                          "rate \"" + rc.text + "\" must be a number of requests per second, 0 to 1000000");
    }
    const auto s = static_cast<std::int64_t>(*second);
    if (auto [it, inserted] = seen_seconds.emplace(s, line_no); !inserted) {
      return report.error(line_no, sc.column,
                          "second " + std::to_string(s) + " already has a rate on line " +
                              std::to_string(it->second) + "; give each second one row");
    }
    if (rates.size() <= static_cast<std::size_t>(s)) rates.resize(static_cast<std::size_t>(s) + 1, 0.0);
    rates[static_cast<std::size_t>(s)] = *rate;
  }
  if (header.empty() || !any) {
    return report.error(std::max(line_no, 1), 1,
                        "the replay CSV has no data rows; add a header and at least one row, e.g. \"time\" then "
                        "\"0.5\"");
  }
  if (time_col >= 0) {
    // Logs merged from several sources are rarely in order; order does not change their meaning.
    std::sort(r.replay_arrivals.begin(), r.replay_arrivals.end());
  } else {
    if (std::none_of(rates.begin(), rates.end(), [](double x) { return x > 0; }))
      return report.error(1, 1, "every rate in the replay CSV is 0, so the client sends nothing");
    r.replay_rates = std::move(rates);
  }
  return true;
}

bool read_replay(const Value& body, const std::string& base_dir, RateSpec& r) {
  MapReader m(body);
  if (!m.ok()) return false;
  auto file = m.require("file", "file is required: a CSV of arrival times (column `time`) or of rates per second "
                                "(columns `second`, `rate`), relative to the scenario file");
  m.finish();
  if (!file) return false;
  auto s = file->as_string();
  if (!s) return false;
  if (s->empty()) {
    file->error("file must name a CSV file, e.g. arrivals.csv");
    return false;
  }
  fs::path p(*s);
  if (p.is_relative()) p = fs::path(base_dir) / p;
  p = p.lexically_normal();
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) {
    file->error("replay file \"" + *s + "\" not found (looked for " + p.string() +
                "); paths are relative to the scenario file's folder");
    return false;
  }
  r.replay_file = p.string();
  return read_replay_csv(r.replay_file, *file, r);
}

}  // namespace

std::optional<RateSpec> read_rate(const Value& v, const std::string& base_dir) {
  if (!v.is_map()) {
    v.error("rate must be one of " + std::string(kForms) + ", got " + v.describe());
    return std::nullopt;
  }
  MapReader m(v);
  if (!m.ok()) return std::nullopt;
  std::optional<Value> arrivals;
  std::vector<std::pair<std::string, Value>> shapes;
  for (auto& [key, body] : m.entries()) {
    if (key == "arrivals") {
      arrivals = body;
      continue;
    }
    if (std::find(std::begin(kShapes), std::end(kShapes), key) == std::end(kShapes)) {
      std::string hint;
      for (const char* k : kShapes)
        if (config::yaml::edit_distance(key, k) <= 2) hint = "; did you mean \"" + std::string(k) + "\"?";
      body.reader().report(config::Severity::Error, body.node(), body.path(),
                           "unknown rate \"" + key + "\"; use " + kForms + hint);
      return std::nullopt;
    }
    shapes.emplace_back(key, body);
  }
  if (shapes.size() != 1) {
    v.error("rate must have exactly one shape (poisson, constant, ramp, steps, sine, bursts, replay or closed), got " +
            std::to_string(shapes.size()));
    return std::nullopt;
  }
  const auto& [kind, body] = shapes[0];
  RateSpec r;
  if (arrivals) {
    if (kind != "steps" && kind != "sine" && kind != "bursts") {
      arrivals->error("arrivals applies to the steps, sine and bursts shapes only (" + kind +
                      " fixes its own arrival process)");
      return std::nullopt;
    }
    auto s = arrivals->as_string();
    if (!s) return std::nullopt;
    if (*s != "poisson" && *s != "even") {
      arrivals->error("arrivals must be poisson (exponential gaps, the default) or even (evenly spaced), got " +
                      arrivals->describe());
      return std::nullopt;
    }
    r.poisson = *s == "poisson";
  }
  if (body.is_null()) {
    body.error(kind + " needs its parameters, e.g. " + kForms);
    return std::nullopt;
  }
  if (kind == "poisson" || kind == "constant") {
    r.kind = kind == "poisson" ? RateSpec::Kind::Poisson : RateSpec::Kind::Constant;
    auto n = positive_number(body, "rate", kMaxRate);
    if (!n) return std::nullopt;
    r.per_second = *n;
    return r;
  }
  if (kind == "ramp") {
    r.kind = RateSpec::Kind::Ramp;
    MapReader b(body);
    if (!b.ok()) return std::nullopt;
    auto from = required_number(b, "from", 0, kMaxRate, "the rate at the start, per second");
    auto to = required_number(b, "to", 0, kMaxRate, "the rate at the end, per second");
    auto over = required_duration(b, "over", engine::kNanosecond, "how long the ramp takes, e.g. 60s");
    b.finish();
    if (!from || !to || !over) return std::nullopt;
    if (*from == 0 && *to == 0) {
      body.error("a ramp from 0 to 0 sends nothing; give from or to a positive rate");
      return std::nullopt;
    }
    r.per_second = *from;
    r.ramp_to = *to;
    r.ramp_over = *over;
    return r;
  }
  if (kind == "closed") {
    r.kind = RateSpec::Kind::Closed;
    MapReader b(body);
    if (!b.ok()) return std::nullopt;
    bool ok = true;
    if (auto c = b.get("connections")) {
      if (auto n = c->as_int(1, 1'000'000))
        r.connections = static_cast<int>(*n);
      else
        ok = false;
    }
    if (auto t = b.get("thinkTime")) {
      if (auto d = read_duration_distribution(*t))
        r.think_time = *d;
      else
        ok = false;
    }
    b.finish();
    if (!ok) return std::nullopt;
    return r;
  }
  if (kind == "steps") {
    r.kind = RateSpec::Kind::Steps;
    if (!read_steps(body, r)) return std::nullopt;
    return r;
  }
  if (kind == "sine") {
    r.kind = RateSpec::Kind::Sine;
    if (!read_sine(body, r)) return std::nullopt;
    return r;
  }
  if (kind == "bursts") {
    r.kind = RateSpec::Kind::Bursts;
    if (!read_bursts(body, r)) return std::nullopt;
    return r;
  }
  r.kind = RateSpec::Kind::Replay;
  if (!read_replay(body, base_dir, r)) return std::nullopt;
  return r;
}

}  // namespace meshtwin::scenario::detail
