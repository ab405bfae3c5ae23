// One client request's rows as the `requests` and `spans` views show them, from the stored file
// or from records a re-simulation emits, and the first difference between the two: how
// `meshtwin trace` proves that the run it re-simulated is the run in the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/telemetry/records.h"
#include "results/reader.h"

namespace meshtwin::results {

// The columns compared, in the views' order (run_id left out). Those of schema 6 come last:
// a file of an older version is compared on the columns its views have (a prefix).
const std::vector<std::string_view>& request_columns();
const std::vector<std::string_view>& span_columns();
// How many of the leading columns a file of `schema_version` has.
std::size_t request_column_count(std::int64_t schema_version);
std::size_t span_column_count(std::int64_t schema_version);

// The values the writer stores for a record (results/writer.cc: empty labels read "unknown",
// empty route names "-", flags as Envoy's string, no parent span and no sim_outcome NULL), so
// that they compare equal to the view's row of the same record. Spans the writer would not
// store (not sampled) are the caller's to skip.
Row request_row(const telemetry::RequestRecord& r);
Row span_row(const telemetry::SpanRecord& s);

struct RequestRows {
  std::optional<Row> request;  // none: not stored (sampled out) or no such request
  std::vector<Row> spans;      // in span_id order
};

// The stored rows of `request_id` in run `run_id`.
RequestRows read_request_rows(const Reader& reader, std::int64_t run_id, std::uint64_t request_id);

// nullopt when `stored` and `resimulated` hold the same rows; otherwise a sentence naming the
// first row and column that differ, with both values.
std::optional<std::string> first_difference(const RequestRows& stored, const RequestRows& resimulated);

}  // namespace meshtwin::results
