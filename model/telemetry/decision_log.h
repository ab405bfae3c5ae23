// The decision log (issue 14 §7): one structured record per decision the simulation takes for a
// request (route, fault, load-balancer pick, pool wait, attempt, timeout, retry, app work), per
// component with a level, like Envoy's component log levels and ns-3's log components.
// `meshtwin run --log router=debug,pool=trace` prints them as lines; `meshtwin trace` collects
// those of one request and renders them, in English or (tr(), model/text) another language.
//
// Zero cost when off: a call site is MESHTWIN_DLOG(log, Event, ...), which tests one flag
// (DecisionLog::on) before anything is built; the component and level of an event are
// compile-time constants of its kind (kEvents in decision_log.cc), so nothing is looked up.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "engine/time.h"

namespace meshtwin::telemetry {

using engine::SimDuration;
using engine::SimTime;

enum class LogComponent : std::uint8_t { Client, Router, Fault, Lb, Pool, Retry, Outlier, App };
inline constexpr std::size_t kLogComponents = 8;

// Off < Info (outcomes: a timeout fired, a request finished) < Debug (each decision) < Trace
// (everything, including steps that decide nothing).
enum class LogLevel : std::uint8_t { Off, Info, Debug, Trace };

std::string_view to_string(LogComponent c);  // "router", "pool", ...
std::string_view to_string(LogLevel l);      // "off", "info", "debug", "trace"

// What a record says; each kind has one component, one level and one message template.
enum class LogEvent : std::uint8_t {
#define MESHTWIN_LOG_EVENT(kind, component, level, message) kind,
#include "model/telemetry/decision_log_events.inc"
#undef MESHTWIN_LOG_EVENT
};
inline constexpr std::size_t kLogEvents = 0
#define MESHTWIN_LOG_EVENT(kind, component, level, message) +1
#include "model/telemetry/decision_log_events.inc"
#undef MESHTWIN_LOG_EVENT
    ;

struct LogEventInfo {
  LogComponent component;
  LogLevel level;
  const char* message;  // a message id (model/text/i18n.h) with the record's fields by name
};
// Constant-folded at every call site (the kind is a literal there).
constexpr LogEventInfo kLogEventInfo[kLogEvents] = {
#define MESHTWIN_LOG_EVENT(kind, component, level, message) {LogComponent::component, LogLevel::level, message},
#include "model/telemetry/decision_log_events.inc"
#undef MESHTWIN_LOG_EVENT
};
constexpr const LogEventInfo& info(LogEvent e) { return kLogEventInfo[static_cast<std::size_t>(e)]; }

// One named value of a record. Text is a view into strings that live for the run (interned
// names); Message is a message id, translated when the record is rendered.
struct LogField {
  enum class Type : std::uint8_t { Int, Text, Duration, Flags, Message };
  const char* name = "";
  Type type = Type::Int;
  std::int64_t number = 0;
  std::string_view text;

  static LogField i(const char* name, std::int64_t v) { return {name, Type::Int, v, {}}; }
  static LogField t(const char* name, std::string_view v) { return {name, Type::Text, 0, v}; }
  static LogField d(const char* name, SimDuration v) { return {name, Type::Duration, v.ns(), {}}; }
  static LogField f(const char* name, std::uint32_t flags) { return {name, Type::Flags, flags, {}}; }
  static LogField m(const char* name, const char* msgid) { return {name, Type::Message, 0, msgid}; }
};

inline constexpr std::size_t kMaxLogFields = 8;

struct LogRecord {
  LogEvent event = LogEvent::ClientSend;
  SimTime time{};
  std::uint64_t request_id = 0;  // the client request whose tree this belongs to
  std::uint16_t depth = 0;       // app-call depth: 0 at the client and its sidecar, 1 at the first server, ...
  std::array<LogField, kMaxLogFields> fields{};
  std::uint8_t field_count = 0;

  LogComponent component() const { return info(event).component; }
  LogLevel level() const { return info(event).level; }
  const LogField* field(std::string_view name) const;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Views in `r` are valid during the call only as long as the run's strings are: copy to keep.
  virtual void on_log(const LogRecord& r) = 0;
};

class DecisionLog {
 public:
  void set_level(LogComponent c, LogLevel level);
  void set_all(LogLevel level);
  LogLevel level(LogComponent c) const { return levels_[static_cast<std::size_t>(c)]; }
  // Only records of this client request (0: all requests).
  void set_request(std::uint64_t request_id) { request_ = request_id; }
  void set_sink(LogSink* sink);

  // The one test a call site makes while logging is off: `any_` is false. Always inlined, so
  // that the event's component and level fold to constants at the call site.
  [[gnu::always_inline]] bool on(LogEvent e, std::uint64_t request_id) const {
    return any_ && levels_[static_cast<std::size_t>(info(e).component)] >= info(e).level &&
           (request_ == 0 || request_ == request_id);
  }
  void emit(LogEvent e, SimTime time, std::uint64_t request_id, std::uint16_t depth,
            std::initializer_list<LogField> fields);

 private:
  void update_any();
  bool any_ = false;
  std::array<LogLevel, kLogComponents> levels_{};
  std::uint64_t request_ = 0;
  LogSink* sink_ = nullptr;
};

// `--log SPEC`: comma-separated COMPONENT=LEVEL, where COMPONENT is one of client, router,
// fault, lb, pool, retry, outlier, app or `all`; a bare COMPONENT means debug. false and a
// sentence in *error for anything else.
bool parse_log_spec(std::string_view spec, DecisionLog& log, std::string* error);

// The record's sentence in the current language (tr()): its template with the fields filled in
// (durations as people read them, flags as Envoy writes them).
std::string describe(const LogRecord& r);
// `--log`'s line: "[  1.234567s] router debug request 17 depth 0: attempt 2 to reviews-v1-0 ...".
std::string format_log_line(const LogRecord& r);

}  // namespace meshtwin::telemetry

// A call site: MESHTWIN_DLOG(log_, AttemptStart, now, request_id, depth, LogField::i(...), ...).
// Nothing after the event is evaluated unless the event's component is on at its level. The
// record is built in a cold, out-of-line lambda, so the hot function keeps only the flag test
// and a call: its code stays as small as without the log (bookinfo_bench, docs/performance.md).
#define MESHTWIN_DLOG(log, kind, time, request_id, depth, ...) \
  MESHTWIN_DLOG_IF(log, true, kind, time, request_id, depth, __VA_ARGS__)
// The same when `condition` also holds; the condition is evaluated only while the log is on.
#define MESHTWIN_DLOG_IF(log, condition, kind, time, request_id, depth, ...)                                \
  do {                                                                                                      \
    if ((log).on(::meshtwin::telemetry::LogEvent::kind, (request_id)) && (condition)) [[unlikely]]         \
      [&]() __attribute__((noinline, cold)) {                                                               \
        (log).emit(::meshtwin::telemetry::LogEvent::kind, (time), (request_id), (depth), {__VA_ARGS__});    \
      }();                                                                                                  \
  } while (0)
