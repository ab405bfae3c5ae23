#include "results/request_rows.h"

#include <fmt/format.h>

#include "model/telemetry/response_flags.h"
#include "results/writer.h"

namespace meshtwin::results {
namespace {

std::string joined(const std::vector<std::string_view>& columns, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < columns.size(); ++i) out += (out.empty() ? "" : ", ") + std::string(columns[i]);
  return out;
}

// The columns schema 6 added at the end of each list.
constexpr std::size_t kReceivedRequestColumns = 2;
constexpr std::size_t kReceivedSpanColumns = 4;

Value text(std::string_view s) { return std::string(s); }
Value label(std::string_view s) { return std::string(s.empty() ? "unknown" : s); }
Value dash_if_empty(std::string_view s) { return std::string(s.empty() ? "-" : s); }
Value flags(std::uint32_t f) { return telemetry::format_response_flags(f); }
Value integer(std::int64_t v) { return v; }
// The twin's outcomes and schema 6's columns: NULL when empty.
Value outcome(std::string_view s) { return s.empty() ? Value{} : Value{std::string(s)}; }

std::string show(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return "\"" + std::get<std::string>(v) + "\"";
}

// The first column where two rows differ, or "".
std::string differing_column(const Row& a, const Row& b, const std::vector<std::string_view>& columns) {
  for (std::size_t i = 0; i < columns.size() && i < a.size() && i < b.size(); ++i)
    if (a[i] != b[i])
      return fmt::format("{}: stored {}, re-simulated {}", columns[i], show(a[i]), show(b[i]));
  return "";
}

}  // namespace

const std::vector<std::string_view>& request_columns() {
  static const std::vector<std::string_view> kColumns{
      "request_id", "client", "start_ns", "duration_ns", "method", "authority", "path", "response_code",
      "response_flags", "attempts", "route_name", "vs_rule", "destination_service", "destination_version",
      "destination_workload", "degraded_calls", "sim_outcome", "location", "redirect_of"};
  return kColumns;
}

const std::vector<std::string_view>& span_columns() {
  static const std::vector<std::string_view> kColumns{
      "request_id", "span_id", "parent_span_id", "kind", "source_workload", "source_pod", "destination_service",
      "destination_version", "destination_workload", "destination_pod", "cluster", "route_name", "attempt",
      "app_attempt", "config_version", "start_ns", "duration_ns", "response_code", "response_flags",
      "upstream_flags", "sim_outcome", "received_path", "received_authority", "received_headers", "location"};
  return kColumns;
}

std::size_t request_column_count(std::int64_t schema_version) {
  const std::size_t all = request_columns().size();
  return schema_version >= kReceivedSchemaVersion ? all : all - kReceivedRequestColumns;
}

std::size_t span_column_count(std::int64_t schema_version) {
  const std::size_t all = span_columns().size();
  return schema_version >= kReceivedSchemaVersion ? all : all - kReceivedSpanColumns;
}

Row request_row(const telemetry::RequestRecord& r) {
  return {integer(static_cast<std::int64_t>(r.request_id)), text(r.client), integer(r.start.ns()), integer(r.duration.ns()),
          text(r.method), text(r.authority), text(r.path), integer(r.response_code), flags(r.response_flags),
          integer(r.attempts), dash_if_empty(r.route_name), dash_if_empty(r.vs_rule), label(r.destination_service),
          label(r.destination_version), label(r.destination_workload), integer(r.degraded_calls),
          outcome(r.sim_outcome), outcome(r.location),
          r.redirect_of == 0 ? Value{} : integer(static_cast<std::int64_t>(r.redirect_of))};
}

Row span_row(const telemetry::SpanRecord& s) {
  return {integer(static_cast<std::int64_t>(s.request_id)),
          integer(static_cast<std::int64_t>(s.span_id)),
          s.parent_span_id == 0 ? Value{} : integer(static_cast<std::int64_t>(s.parent_span_id)),
          text(telemetry::to_string(s.kind)),
          label(s.source_workload),
          label(s.source_pod),
          label(s.destination_service),
          label(s.destination_version),
          label(s.destination_workload),
          label(s.destination_pod),
          label(s.cluster),
          dash_if_empty(s.route_name),
          integer(s.attempt),
          integer(s.app_attempt),
          integer(static_cast<std::int64_t>(s.config_version)),
          integer(s.start.ns()),
          integer(s.duration.ns()),
          integer(s.response_code),
          flags(s.response_flags),
          flags(s.upstream_flags),
          outcome(s.sim_outcome),
          outcome(s.received_path),
          outcome(s.received_authority),
          outcome(s.received_headers),
          outcome(s.location)};
}

RequestRows read_request_rows(const Reader& reader, std::int64_t run_id, std::uint64_t request_id) {
  RequestRows out;
  const Value id = static_cast<std::int64_t>(request_id);
  const std::int64_t version = reader.schema_version();
  if (auto rows = reader.query("SELECT " + joined(request_columns(), request_column_count(version)) +
                                   " FROM requests WHERE run_id = ? AND request_id = ?",
                               {run_id, id});
      rows && !rows->empty())
    out.request = std::move(rows->front());
  if (auto rows = reader.query("SELECT " + joined(span_columns(), span_column_count(version)) +
                                   " FROM spans WHERE run_id = ? AND request_id = ? ORDER BY span_id",
                               {run_id, id}))
    out.spans = std::move(*rows);
  return out;
}

std::optional<std::string> first_difference(const RequestRows& stored, const RequestRows& resimulated) {
  if (stored.request.has_value() != resimulated.request.has_value())
    return std::string(stored.request ? "the requests row: the re-simulation did not finish the request"
                                      : "the requests row: the file holds none, the re-simulation made one");
  if (stored.request) {
    if (auto d = differing_column(*stored.request, *resimulated.request, request_columns()); !d.empty())
      return "the requests row, " + d;
  }
  // Spans pair up by span_id (both lists are in span_id order).
  std::size_t i = 0;
  for (; i < stored.spans.size() && i < resimulated.spans.size(); ++i) {
    const Row& a = stored.spans[i];
    const Row& b = resimulated.spans[i];
    if (a[1] != b[1])
      return fmt::format("the spans rows: stored span_id {} where the re-simulation has span_id {}", show(a[1]), show(b[1]));
    if (auto d = differing_column(a, b, span_columns()); !d.empty())
      return fmt::format("the spans row of span_id {}, {}", show(a[1]), d);
  }
  if (i < stored.spans.size())
    return fmt::format("the spans row of span_id {}: the re-simulation has no such span", show(stored.spans[i][1]));
  if (i < resimulated.spans.size())
    return fmt::format("the spans rows: the re-simulation has span_id {}, which the file does not hold",
                       show(resimulated.spans[i][1]));
  return std::nullopt;
}

}  // namespace meshtwin::results
