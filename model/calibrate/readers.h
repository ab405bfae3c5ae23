// Readers of what a mesh records (docs/calibrate.md "Inputs"). Each throws InputError
// (json_stream.h) with one `file:line:col: error: path: message` line on malformed input.
#pragma once

#include <string>
#include <vector>

#include "model/calibrate/observations.h"

namespace meshtwin::calibrate {

// Prometheus HTTP API `query_range` responses (JSON, as `curl .../api/v1/query_range`
// returns them) holding `istio_requests_total` and/or
// `istio_request_duration_milliseconds_bucket` series by source_workload,
// destination_workload, response_code (and le); other series are skipped. Several files (one
// per query) are read together. `text` overloads read from memory (`file` names it).
Observations read_prometheus(const std::vector<std::string>& files);
void read_prometheus_text(const std::string& file, const std::string& text, MetricsBuilder& builder,
                          Observations& range);

// Zipkin v2 JSON (a list of spans) or OTLP/JSON (ExportTraceServiceRequest), as Jaeger, Tempo
// or `meshtwin export --traces` write them; the format is recognised by the document's shape.
Observations read_traces(const std::vector<std::string>& files, const TraceOptions& options);
void read_traces_text(const std::string& file, const std::string& text, std::vector<TraceSpan>& spans);

}  // namespace meshtwin::calibrate
