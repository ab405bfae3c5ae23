#include "model/telemetry/metric_windows.h"

#include <algorithm>

namespace meshtwin::telemetry {
namespace {

// The index of the window of length b that holds a (floor division: windows before the start
// have negative indices).
std::int64_t floor_div(SimTime t, SimDuration d) {
  const std::int64_t a = t.ns(), b = d.ns();
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

std::string_view to_string(Reporter reporter) {
  return reporter == Reporter::Source ? "source" : "destination";
}

std::size_t MetricWindows::LabelsHash::operator()(const MetricLabels& k) const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint64_t v) { h = (h ^ v) * 0x100000001b3ull; h ^= h >> 29; };
  mix((static_cast<std::uint64_t>(k.source_workload) << 32) | k.destination_service);
  mix((static_cast<std::uint64_t>(k.destination_workload) << 32) | k.destination_version);
  mix((static_cast<std::uint64_t>(k.destination_pod) << 32) | static_cast<std::uint8_t>(k.reporter));
  mix((static_cast<std::uint64_t>(k.response_flags) << 32) ^ static_cast<std::uint32_t>(k.response_code));
  for (std::size_t i = 0; i < kPeerLabelCount; i += 2) {
    mix((static_cast<std::uint64_t>(k.peers[i]) << 32) | (i + 1 < kPeerLabelCount ? k.peers[i + 1] : 0));
  }
  return static_cast<std::size_t>(h);
}

void MetricWindows::begin_run(SimDuration interval, int lag_windows, MetricRowSink* out) {
  out_ = out;
  interval_ = interval > SimDuration{} ? interval : engine::kSecond;
  lag_windows_ = lag_windows;
  newest_end_ = SimTime{};
  windows_.clear();
  newest_window_ = std::numeric_limits<std::int64_t>::min();
  cached_window_map_ = nullptr;
  sequence_ = 0;
  ids_.clear();
  texts_.clear();
  cache_.clear();
  unknown_ = id("unknown");
  mutual_tls_ = id("mutual_tls");
  none_ = id("none");
}

LabelId MetricWindows::id(std::string_view text) {
  if (text.empty()) return unknown_;
  return static_cast<LabelId>(cache_.get(text, [this](std::string_view t) {
    auto it = ids_.find(t);
    if (it == ids_.end()) {
      it = ids_.emplace(std::string(t), static_cast<LabelId>(texts_.size())).first;
      texts_.push_back(&it->first);  // node-based map: the key's address is stable
    }
    return std::pair<std::int64_t, const std::string*>(it->second, &it->first);
  }));
}

// Istio's source reporter cannot know the server's security policy, so it reports `unknown`
// there (Istio's standard metrics: connection_security_policy); the destination reporter says
// mutual_tls or none.
std::array<LabelId, kPeerLabelCount> MetricWindows::peer_ids(const PeerLabels& p, Reporter reporter) {
  return {id(p.source_namespace),
          id(p.source_app),
          id(p.source_version),
          id(p.source_principal),
          id(p.destination_namespace),
          id(p.destination_app),
          id(p.destination_principal),
          id(p.request_protocol),
          reporter == Reporter::Source ? unknown_ : p.secure ? mutual_tls_ : none_};
}

// Hops and spans name a request's labels alike; `flags` is what the reporting proxy saw.
template <class Record>
MetricLabels MetricWindows::labels_of(const Record& r, std::uint32_t flags, Reporter reporter) {
  MetricLabels k;
  k.source_workload = id(r.source_workload);
  k.destination_service = id(r.destination_service);
  k.destination_workload = id(r.destination_workload);
  k.destination_version = id(r.destination_version);
  k.destination_pod = id(r.destination_pod);
  k.response_flags = flags;
  k.response_code = r.response_code;
  k.reporter = reporter;
  k.peers = peer_ids(r.peers, reporter);
  return k;
}

void MetricWindows::on_span(const SpanRecord& s) {
  if (!s.reached_upstream) return;
  // The server-side sidecar's view: its own flags, the code it answered.
  add(labels_of(s, s.upstream_flags, Reporter::Destination), s.start, s.duration);
}

MetricLabels MetricWindows::on_hop(const HopRecord& h) {
  const MetricLabels labels = labels_of(h, h.response_flags, Reporter::Source);
  add(labels, h.start, h.duration);
  return labels;
}

void MetricWindows::add(const MetricLabels& labels, SimTime start, SimDuration duration) {
  const SimTime end = start + duration;
  newest_end_ = std::max(newest_end_, end);
  const std::int64_t w = floor_div(end, interval_);
  // Nearly every record lands in the newest window: skip the map walk for it.
  if (w != cached_window_ || cached_window_map_ == nullptr) {
    cached_window_ = w;
    cached_window_map_ = &windows_[w];
  }
  auto [it, inserted] = cached_window_map_->try_emplace(labels);
  if (inserted) it->second.first = sequence_++;
  MetricCounts& c = it->second.second;
  ++c.requests;
  c.duration_sum += duration.ns();
  ++c.buckets[duration_bucket(duration)];
  if (w > newest_window_) {
    newest_window_ = w;
    finish_windows_before(w - lag_windows_);
  }
}

void MetricWindows::flush() { finish_windows_before(std::numeric_limits<std::int64_t>::max()); }

void MetricWindows::finish_windows_before(std::int64_t limit) {
  while (!windows_.empty() && windows_.begin()->first < limit) {
    auto node = windows_.extract(windows_.begin());
    if (node.key() == cached_window_) cached_window_map_ = nullptr;
    if (out_ != nullptr) {
      std::vector<const Window::value_type*> rows;
      rows.reserve(node.mapped().size());
      for (const auto& e : node.mapped()) rows.push_back(&e);
      std::sort(rows.begin(), rows.end(),
                [](auto* a, auto* b) { return a->second.first < b->second.first; });
      for (auto* e : rows) {
        if (out_ == nullptr) break;  // the sink detached itself (a write failed)
        out_->on_metric_row(SimTime{} + node.key() * interval_, interval_, e->first, e->second.second);
      }
    }
  }
}

}  // namespace meshtwin::telemetry
