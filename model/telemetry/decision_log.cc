#include "model/telemetry/decision_log.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include "model/telemetry/response_flags.h"
#include "model/text/i18n.h"

namespace meshtwin::telemetry {
namespace {

constexpr std::string_view kComponentNames[kLogComponents] = {"client", "router", "fault", "lb",
                                                              "pool",   "retry",  "outlier", "app"};
constexpr std::string_view kLevelNames[] = {"off", "info", "debug", "trace"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string field_text(const LogField& f) {
  switch (f.type) {
    case LogField::Type::Int: return std::to_string(f.number);
    case LogField::Type::Text: return std::string(f.text);
    case LogField::Type::Duration: return engine::human_duration(engine::SimDuration::from_ns(f.number));
    case LogField::Type::Flags: return format_response_flags(static_cast<std::uint32_t>(f.number));
    case LogField::Type::Message: return text::tr(f.text.data());
  }
  return "";
}

}  // namespace

std::string_view to_string(LogComponent c) { return kComponentNames[static_cast<std::size_t>(c)]; }
std::string_view to_string(LogLevel l) { return kLevelNames[static_cast<std::size_t>(l)]; }

const LogField* LogRecord::field(std::string_view name) const {
  for (std::uint8_t i = 0; i < field_count; ++i)
    if (name == fields[i].name) return &fields[i];
  return nullptr;
}

void DecisionLog::set_level(LogComponent c, LogLevel level) {
  levels_[static_cast<std::size_t>(c)] = level;
  update_any();
}

void DecisionLog::set_all(LogLevel level) {
  levels_.fill(level);
  update_any();
}

void DecisionLog::set_sink(LogSink* sink) {
  sink_ = sink;
  update_any();
}

void DecisionLog::update_any() {
  any_ = false;
  if (sink_ == nullptr) return;
  for (LogLevel l : levels_) any_ = any_ || l != LogLevel::Off;
}

void DecisionLog::emit(LogEvent e, SimTime time, std::uint64_t request_id, std::uint16_t depth,
                       std::initializer_list<LogField> fields) {
  LogRecord r;
  r.event = e;
  r.time = time;
  r.request_id = request_id;
  r.depth = depth;
  for (const LogField& f : fields) {
    if (r.field_count == kMaxLogFields) break;
    r.fields[r.field_count++] = f;
  }
  sink_->on_log(r);
}

bool parse_log_spec(std::string_view spec, DecisionLog& log, std::string* error) {
  if (trim(spec).empty()) {
    *error = "--log: give COMPONENT=LEVEL[,...], e.g. router=debug,pool=trace";
    return false;
  }
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const auto eq = item.find('=');
    const std::string_view name = trim(item.substr(0, eq));
    const std::string_view level_name = eq == std::string_view::npos ? "debug" : trim(item.substr(eq + 1));
    std::size_t level = 0;
    while (level < std::size(kLevelNames) && kLevelNames[level] != level_name) ++level;
    if (level == std::size(kLevelNames)) {
      *error = fmt::format("--log {}: unknown level \"{}\"; one of off, info, debug, trace", item, level_name);
      return false;
    }
    if (name == "all") {
      log.set_all(static_cast<LogLevel>(level));
      continue;
    }
    std::size_t c = 0;
    while (c < kLogComponents && kComponentNames[c] != name) ++c;
    if (c == kLogComponents) {
      *error = fmt::format(
          "--log {}: unknown component \"{}\"; one of client, router, fault, lb, pool, retry, outlier, app, all",
          item, name);
      return false;
    }
    log.set_level(static_cast<LogComponent>(c), static_cast<LogLevel>(level));
  }
  return true;
}

std::string describe(const LogRecord& r) {
  fmt::dynamic_format_arg_store<fmt::format_context> args;
  for (std::uint8_t i = 0; i < r.field_count; ++i)
    args.push_back(fmt::arg(r.fields[i].name, field_text(r.fields[i])));
  return fmt::vformat(text::tr(info(r.event).message), args);
}

std::string format_log_line(const LogRecord& r) {
  return fmt::format("[{:>12.6f}s] {} {} request {} depth {}: {}", engine::to_seconds(r.time), to_string(r.component()),
                     to_string(r.level()), r.request_id, r.depth, describe(r));
}

}  // namespace meshtwin::telemetry
