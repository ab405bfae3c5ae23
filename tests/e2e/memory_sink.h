#pragma once

// A telemetry Sink that keeps copies of every record, for end-to-end assertions.

#include <map>
#include <string>
#include <vector>

#include "model/telemetry/records.h"

namespace meshtwin::testing {

struct StoredRequest {
  std::uint64_t request_id;
  std::string client;
  int code;
  std::uint32_t flags;
  int attempts;
  std::string destination_service, destination_version, vs_rule;
  telemetry::SimTime start;
  telemetry::SimDuration duration;
  int degraded;
  // Schema 6: a redirect's Location and the previous hop of a followed redirect.
  std::string location, method, authority, path;
  std::uint64_t redirect_of;
};

struct StoredSpan {
  std::uint64_t request_id, span_id, parent_span_id;
  telemetry::SpanKind kind;
  std::string source_workload, destination_service, destination_version, destination_pod, cluster;
  int code;
  std::uint32_t flags;
  int attempt, app_attempt;
  std::string source_pod;
  telemetry::SimTime start;
  telemetry::SimDuration duration;
  std::uint64_t config_version;
  // Schema 6: what the upstream received ("" when not recorded) and a redirect's Location.
  std::string received_path, received_authority, received_headers, location;
};

class MemorySink : public telemetry::Sink {
 public:
  void begin_run(const telemetry::RunInfo& info) override { info_ = info; }
  void on_request(const telemetry::RequestRecord& r) override {
    requests.push_back({r.request_id, std::string(r.client), r.response_code, r.response_flags,
                        r.attempts, std::string(r.destination_service),
                        std::string(r.destination_version), std::string(r.vs_rule), r.start,
                        r.duration, r.degraded_calls, std::string(r.location), std::string(r.method),
                        std::string(r.authority), std::string(r.path), r.redirect_of});
  }
  void on_span(const telemetry::SpanRecord& s) override {
    spans.push_back({s.request_id, s.span_id, s.parent_span_id, s.kind,
                     std::string(s.source_workload), std::string(s.destination_service),
                     std::string(s.destination_version), std::string(s.destination_pod),
                     std::string(s.cluster), s.response_code, s.response_flags, s.attempt,
                     s.app_attempt, std::string(s.source_pod), s.start, s.duration,
                     s.config_version});
    StoredSpan& stored = spans.back();
    stored.received_path = s.received_path;
    stored.received_authority = s.received_authority;
    stored.received_headers = s.received_headers;
    stored.location = s.location;
  }
  void on_hop(const telemetry::HopRecord& h) override { ++hops; }
  void on_event(const telemetry::EventRecord& e) override { events.push_back(e); }
  void end_run(const telemetry::RunEnd& end) override { ended = true; }

  // Share of each destination version among spans from `source` to `service` (a prefix of
  // the FQDN is enough, e.g. "reviews.").
  std::map<std::string, double> version_shares(const std::string& source,
                                               const std::string& service_prefix) const {
    std::map<std::string, double> count;
    double total = 0;
    for (const auto& s : spans) {
      if (s.kind != telemetry::SpanKind::Attempt || s.source_workload != source) continue;
      if (s.destination_service.rfind(service_prefix, 0) != 0) continue;
      count[s.destination_version] += 1;
      total += 1;
    }
    for (auto& [v, c] : count) c /= total;
    return count;
  }

  telemetry::RunInfo info_;
  std::vector<StoredRequest> requests;
  std::vector<StoredSpan> spans;
  std::vector<telemetry::EventRecord> events;
  std::uint64_t hops = 0;
  bool ended = false;
};

}  // namespace meshtwin::testing
