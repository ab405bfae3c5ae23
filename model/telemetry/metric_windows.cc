#include "model/telemetry/metric_windows.h"

#include <algorithm>
#include <atomic>
#include <cassert>

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
  pending_count_ = 0;  // an earlier run's last records are dropped with its open windows
  out_ = out;
  interval_ = interval > SimDuration{} ? interval : engine::kSecond;
  lag_windows_ = lag_windows;
  newest_end_ = SimTime{};
  windows_.clear();
  newest_window_ = std::numeric_limits<std::int64_t>::min();
  cached_window_map_ = nullptr;
  series_.clear();
  labels_.clear();
  tuples_.assign(kTupleSlots, TupleSlot{});
  keyed_.assign(kTupleSlots, KeyedSlot{});
  keyed_used_ = 0;
  // A number no other run of any MetricWindows in the process has: series numbers restart with
  // each run, so a memo written by an earlier run (or by another instance) must not be trusted.
  static std::atomic<std::uint64_t> runs{0};
  memo_owner_ = ++runs;
  ids_.clear();
  texts_.clear();
  cache_.clear();
  unknown_ = id("unknown");
  mutual_tls_ = id("mutual_tls");
  none_ = id("none");
}

// Only a label set not seen before resolves its texts (a few lookups per series, not per
// record), so the view cache keeps its initial size: grown with the texts (thousands at 1,000
// services) it was megabytes of fresh memory touched during the run, dearer than the lookups it
// saved (docs/performance.md, "Page faults and the allocator").
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

// Twice the slots, every key moved (none dropped: a key looked up again would resolve its 13
// texts again, which at 1,000 services cost more than the lookups themselves).
void MetricWindows::grow_keyed() {
  std::vector<KeyedSlot> old(keyed_.size() * 2);
  old.swap(keyed_);
  const std::size_t mask = keyed_.size() - 1;
  for (const KeyedSlot& e : old) {
    if (e.hi == 0) continue;
    std::size_t at = (keyed_hash(e.hi, e.lo) >> 32) & mask;
    while (keyed_[at].hi != 0) at = (at + 1) & mask;
    keyed_[at] = e;
  }
}

// Every key bit is mixed in (the keys hold pointers, so which ones collide changes with the
// addresses of a run). The slot follows the key alone, not the code: a key's codes probe from
// the same line.
std::uint64_t MetricWindows::keyed_hash(std::uint64_t hi, std::uint64_t lo) {
  std::uint64_t h = hi * 0x9E3779B97F4A7C15ull + lo;
  h = (h ^ (h >> 32)) * 0xff51afd7ed558ccdull;
  return (h ^ (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
}

MetricWindows::SeriesId MetricWindows::series_id(const MetricLabels& labels) {
  auto [it, inserted] = series_.try_emplace(labels, static_cast<SeriesId>(labels_.size()));
  if (inserted) labels_.push_back(labels);
  return it->second;
}

// The label set's series through the tuple cache. A view's address and length stand for its
// text because the model's names are interned for the run (records.h); two views of the same
// text at different addresses are two cache entries of one series (labels come from the texts).
// A view too long to pack (>= 64 KiB) bypasses the cache.
template <class Record>
MetricWindows::SeriesId MetricWindows::series_of(const Record& r, std::uint32_t flags, Reporter reporter) {
  const std::uint64_t code_flags = (static_cast<std::uint64_t>(static_cast<std::uint32_t>(r.response_code)) << 32) | flags;
  if (r.label_key.valid()) {
    // The producer's promise (records.h LabelKey): equal keys carry equal label views, so the key
    // with code, flags and reporter decides the series; 3 words compared instead of 15.
    const std::uint64_t hi = r.label_key.hi, lo = r.label_key.lo;
    const auto rep = static_cast<std::size_t>(reporter);
    // The producer's memo first (records.h SeriesMemo): trusted only as this run wrote it.
    SeriesMemo* memo = r.label_key.memo;
    const bool memo_holds_key = memo && memo->owner == memo_owner_ &&
                                ((memo->hi ^ hi) | (memo->lo ^ lo) | (memo->code_flags ^ code_flags)) == 0;
    if (memo_holds_key && memo->series[rep] != kNoSeries) {
      assert(labels_[memo->series[rep]] == labels_of(r, flags, reporter));
      return memo->series[rep];
    }
    const SeriesId series = keyed_series(r, flags, reporter, hi, lo, code_flags);
    if (memo) {
      if (!memo_holds_key) *memo = SeriesMemo{hi, lo, code_flags, memo_owner_};
      memo->series[rep] = series;
    }
    return series;
  }
  return tuple_series(r, flags, reporter, code_flags);
}

// The series of a record with a LabelKey, by the table of every key of the run.
template <class Record>
MetricWindows::SeriesId MetricWindows::keyed_series(const Record& r, std::uint32_t flags, Reporter reporter,
                                                    std::uint64_t hi, std::uint64_t lo, std::uint64_t code_flags) {
  const auto rep = static_cast<std::size_t>(reporter);
  const std::size_t mask = keyed_.size() - 1;
  std::size_t at = (keyed_hash(hi, lo) >> 32) & mask;
  for (;; at = (at + 1) & mask) {
    KeyedSlot& e = keyed_[at];
    if (((e.hi ^ hi) | (e.lo ^ lo) | (e.code_flags ^ code_flags)) == 0) {
      if (e.series[rep] == kNoSeries) e.series[rep] = series_id(labels_of(r, flags, reporter));
      assert(labels_[e.series[rep]] == labels_of(r, flags, reporter));
      return e.series[rep];
    }
    if (e.hi == 0) break;  // not in the table
  }
  const SeriesId series = series_id(labels_of(r, flags, reporter));
  KeyedSlot& e = keyed_[at];
  e = KeyedSlot{hi, lo, code_flags};
  e.series[rep] = series;
  if (++keyed_used_ * 2 > keyed_.size()) grow_keyed();
  return series;
}

// The series of a record without a LabelKey, by the direct-mapped cache of its label views.
template <class Record>
MetricWindows::SeriesId MetricWindows::tuple_series(const Record& r, std::uint32_t flags, Reporter reporter,
                                                    std::uint64_t code_flags) {
  TupleKey key;
  bool packable = true;
  std::size_t i = 0;
  auto pack = [&](std::string_view v) {
    packable = packable && v.size() < (std::size_t{1} << 16);
    key.views[i++] = reinterpret_cast<std::uintptr_t>(v.data()) ^ (static_cast<std::uint64_t>(v.size()) << 48);
  };
  pack(r.source_workload);
  pack(r.destination_service);
  pack(r.destination_workload);
  pack(r.destination_version);
  pack(r.destination_pod);
  const PeerLabels& p = r.peers;
  for (std::string_view v : {p.source_namespace, p.source_app, p.source_version, p.source_principal,
                             p.destination_namespace, p.destination_app, p.destination_principal,
                             p.request_protocol}) {
    pack(v);
  }
  key.code_flags = code_flags;
  key.reporter_secure = (static_cast<std::uint64_t>(reporter) << 1) | (p.secure ? 1u : 0u);
  if (!packable) return series_id(labels_of(r, flags, reporter));
  std::uint64_t h = key.code_flags * 0x9E3779B97F4A7C15ull ^ key.reporter_secure;
  for (std::uint64_t v : key.views) h = (h ^ v) * 0x100000001b3ull;
  const std::size_t index = (h ^ (h >> 29)) & (tuples_.size() - 1);
  if (tuples_[index].key == key) {
    // The texts behind a cached tuple are the ones its labels were made from (assertions on).
    assert(labels_[tuples_[index].series] == labels_of(r, flags, reporter));
    return tuples_[index].series;
  }
  const SeriesId series = series_id(labels_of(r, flags, reporter));
  if (labels_.size() * 2 > tuples_.size()) {
    // Grown and emptied: the other tuples come back on their next record.
    tuples_.assign(tuples_.size() * 4, TupleSlot{});
    tuples_[(h ^ (h >> 29)) & (tuples_.size() - 1)] = TupleSlot{key, series};
  } else {
    tuples_[index] = TupleSlot{key, series};
  }
  return series;
}

void MetricWindows::on_span(const SpanRecord& s) {
  if (!s.reached_upstream) return;
  // The server-side sidecar's view: its own flags, the code it answered.
  add(series_of(s, s.upstream_flags, Reporter::Destination), s.start, s.duration);
}

const MetricLabels& MetricWindows::on_hop(const HopRecord& h, std::uint32_t* series_out) {
  const SeriesId series = series_of(h, h.response_flags, Reporter::Source);
  add(series, h.start, h.duration);
  if (series_out) *series_out = series;
  return labels_[series];
}

void MetricWindows::add(SeriesId series, SimTime start, SimDuration duration) {
  const SimTime end = start + duration;
  newest_end_ = std::max(newest_end_, end);
  // A record for another window than the cached one may finish windows (count): the batch goes
  // first and the record at once, so a window is handed over when the first record past it
  // comes, as if every record were counted on arrival.
  if (cached_window_map_ == nullptr || end.ns() < cached_from_ns_ || end.ns() >= cached_to_ns_) {
    count_pending();
    count(series, end, duration);
    return;
  }
  pending_[pending_count_++] = PendingRecord{series, end, duration};
  if (pending_count_ == kPendingBatch) count_pending();
}

// The batch in arrival order, each record's window slot fetched first and its row a few records
// ahead of its turn (the window a record lands in is nearly always the cached, newest one).
void MetricWindows::count_pending() {
  constexpr std::size_t kRowsAhead = 4;
  const std::size_t n = pending_count_;
  pending_count_ = 0;
  auto in_cached_window = [this](const PendingRecord& p) {
    return cached_window_map_ != nullptr && p.end.ns() >= cached_from_ns_ && p.end.ns() < cached_to_ns_ &&
           p.series < cached_window_map_->slot.size();
  };
  for (std::size_t i = 0; i < n; ++i)
    if (in_cached_window(pending_[i])) __builtin_prefetch(&cached_window_map_->slot[pending_[i].series]);
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kRowsAhead < n && in_cached_window(pending_[i + kRowsAhead])) {
      const std::int32_t at = cached_window_map_->slot[pending_[i + kRowsAhead].series];
      if (at >= 0 && static_cast<std::size_t>(at) < cached_window_map_->rows.size())
        __builtin_prefetch(&cached_window_map_->rows[static_cast<std::size_t>(at)]);
    }
    count(pending_[i].series, pending_[i].end, pending_[i].duration);
  }
}

void MetricWindows::count(SeriesId series, SimTime end, SimDuration duration) {
  // Nearly every record lands in the newest window: skip the division (a 64-bit idiv, tens of
  // cycles twice per hop attempt) and the map walk for it.
  std::int64_t w = cached_window_;
  if (cached_window_map_ == nullptr || end.ns() < cached_from_ns_ || end.ns() >= cached_to_ns_) {
    w = floor_div(end, interval_);
    cached_window_ = w;
    auto [it, inserted] = windows_.try_emplace(w);
    if (inserted && !spare_.empty()) {
      it->second = std::move(spare_.back());
      spare_.pop_back();
    }
    cached_window_map_ = &it->second;
    // The window's [from, to) in ns; `to` saturates for the last window before the end of time.
    cached_from_ns_ = w * interval_.ns();
    cached_to_ns_ = cached_from_ns_ > std::numeric_limits<std::int64_t>::max() - interval_.ns()
                        ? std::numeric_limits<std::int64_t>::max()
                        : cached_from_ns_ + interval_.ns();
  }
  Window& win = *cached_window_map_;
  if (series >= win.slot.size()) win.slot.resize(labels_.size(), -1);
  std::int32_t& at = win.slot[series];
  const auto bucket = static_cast<std::int16_t>(duration_bucket(duration));
  if (at < 0) {
    at = static_cast<std::int32_t>(win.rows.size());
    win.rows.push_back(MetricCounts{series, bucket, -1, 1, duration.ns(), 1, 0});
  } else {
    MetricCounts& c = win.rows[static_cast<std::size_t>(at)];
    ++c.requests;
    c.duration_sum += duration.ns();
    count_bucket(win, c, bucket);
  }
  if (w > newest_window_) {
    newest_window_ = w;
    finish_windows_before(w - lag_windows_);
  }
}

// One more request in `bucket`: inline while at most two buckets are filled and their counts fit,
// else in the window's spread. A label set with many requests a window (Bookinfo's) is spread
// after its first few: that case is tested first.
void MetricWindows::count_bucket(Window& win, MetricCounts& c, std::int16_t bucket) {
  constexpr std::uint32_t kFull = std::numeric_limits<std::uint32_t>::max();
  if (!c.spread()) {
    if (c.bucket == bucket && c.count != kFull) {
      ++c.count;
      return;
    }
    if (c.bucket != bucket) {
      if (c.bucket2 < 0) {
        c.bucket2 = bucket;
        c.count2 = 1;
        return;
      }
      if (c.bucket2 == bucket && c.count2 != kFull) {
        ++c.count2;
        return;
      }
    }
    BucketCounts& all = win.spread.emplace_back();
    all[static_cast<std::size_t>(c.bucket)] = c.count;
    if (c.bucket2 >= 0) all[static_cast<std::size_t>(c.bucket2)] = c.count2;
    c.bucket = MetricCounts::kSpread;
    c.bucket2 = -1;
    c.count = static_cast<std::uint32_t>(win.spread.size() - 1);
    c.count2 = 0;
  }
  ++win.spread[c.spread_at()][static_cast<std::size_t>(bucket)];
}

void MetricWindows::flush() {
  count_pending();
  finish_windows_before(std::numeric_limits<std::int64_t>::max());
}

void MetricWindows::finish_windows_before(std::int64_t limit) {
  while (!windows_.empty() && windows_.begin()->first < limit) {
    auto node = windows_.extract(windows_.begin());
    if (node.key() == cached_window_) cached_window_map_ = nullptr;
    Window& win = node.mapped();
    // None, or the sink detached itself (a write failed).
    if (out_ != nullptr && !win.rows.empty())
      out_->on_metric_window({SimTime{} + node.key() * interval_, interval_, win.rows, win.spread});
    // Emptied for reuse: only the slots this window used are reset.
    for (const MetricCounts& c : win.rows) win.slot[c.series] = -1;
    win.rows.clear();
    win.spread.clear();
    spare_.push_back(std::move(win));
  }
}

}  // namespace meshtwin::telemetry
