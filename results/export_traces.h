// `meshtwin export --traces OUT.json --format otlp|zipkin` (docs/export.md): the run's stored
// spans as the traces Istio's proxies would have reported, one trace per client request.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace meshtwin::results {

enum class TraceFormat {
  Otlp,    // OTLP/JSON (ExportTraceServiceRequest in the protobuf JSON mapping)
  Zipkin,  // Zipkin v2 JSON: a list of spans
};

struct TraceExportOptions {
  // Share of client requests exported, chosen by a hash of the request id (the same requests
  // at any rate below it are a subset). 1: every request whose spans the file holds.
  double sample = 1.0;
  // Unix time (seconds) simulated time 0 maps to; nullopt: when the run was recorded.
  std::optional<double> epoch_seconds;
};

struct TraceExportStats {
  std::uint64_t traces = 0;
  std::uint64_t spans = 0;
};

// The trace id of a request: 128 bits, the request id in the low 64 (so a trace leads back to
// its `requests` row), a hash of it in the high 64.
std::string trace_id_hex(std::uint64_t request_id);
// Whether a request is in a sample of `fraction` (deterministic by request id).
bool trace_sampled(std::uint64_t request_id, double fraction);

bool export_traces(const std::string& path, std::int64_t run_id, TraceFormat format,
                   const TraceExportOptions& options, std::ostream& out, TraceExportStats* stats,
                   std::string* error);

}  // namespace meshtwin::results
