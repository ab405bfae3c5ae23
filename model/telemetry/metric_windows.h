// Istio's standard metrics aggregated per time window (docs/results-schema.md `metrics`): the
// counts every sink that shows metrics needs (the results writer, an exporter, a live view),
// computed once here from the records the simulation emits, so such a sink only writes rows.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/telemetry/duration_buckets.h"
#include "model/telemetry/records.h"
#include "model/telemetry/view_cache.h"

namespace meshtwin::telemetry {

// Istio's `reporter` label.
enum class Reporter : std::uint8_t { Source = 0, Destination = 1 };
std::string_view to_string(Reporter reporter);

// Istio's peer labels of a label set, in this order (results' kPeerColumns):
// source_workload_namespace, source_app, source_version, source_principal,
// destination_workload_namespace, destination_app, destination_principal, request_protocol,
// connection_security_policy.
inline constexpr std::size_t kPeerLabelCount = 9;

// Index into MetricWindows::text(): label texts interned once per run.
using LabelId = std::uint32_t;

// One label set of `metrics`. Labels that do not apply hold `unknown`, as in Istio's telemetry.
struct MetricLabels {
  LabelId source_workload = 0;
  LabelId destination_service = 0;
  LabelId destination_workload = 0;
  LabelId destination_version = 0;
  LabelId destination_pod = 0;
  std::uint32_t response_flags = 0;  // ResponseFlag bits
  std::int32_t response_code = 0;
  Reporter reporter = Reporter::Source;
  std::array<LabelId, kPeerLabelCount> peers{};
  bool operator==(const MetricLabels&) const = default;
};

// The counts of one label set (`series`) in one window: Istio's istio_requests_total increments
// and the istio_request_duration_milliseconds histogram (bucket counts, not cumulative), in 32
// bytes instead of 20 buckets' 160: at 1,000 services a window counts thousands of label sets
// with a request or two each (82 % of them fill one bucket, 17 % two, under 1 % more), and every
// line a window writes is a cache miss when it is counted and again when it is handed over. The
// buckets filled are inline while there are at most two (and their counts fit 32 bits); past
// that all twenty go to the window's `spread` (FinishedWindow::buckets reads either).
struct MetricCounts {
  static constexpr std::int16_t kSpread = -1;  // `bucket` when the counts are in spread[count]
  std::uint32_t series = 0;
  std::int16_t bucket = kSpread;  // the first bucket filled
  std::int16_t bucket2 = -1;      // the second, or -1
  std::uint64_t requests = 0;
  std::int64_t duration_sum = 0;
  std::uint32_t count = 0, count2 = 0;  // bucket's and bucket2's; spread's index when spread
  bool spread() const { return bucket == kSpread; }
  std::size_t spread_at() const { return count; }
};
static_assert(sizeof(MetricCounts) == 32);

// A finished window: its label sets' counts, first seen first. Valid during the call only (the
// storage is reused).
struct FinishedWindow {
  SimTime start{};
  SimDuration width{};
  std::span<const MetricCounts> rows;
  std::span<const BucketCounts> spread;  // the buckets of rows with more than two filled
  // Every bucket count of one of the rows.
  BucketCounts buckets(const MetricCounts& c) const {
    if (c.spread()) return spread[c.spread_at()];
    BucketCounts all{};
    all[static_cast<std::size_t>(c.bucket)] = c.count;
    if (c.bucket2 >= 0) all[static_cast<std::size_t>(c.bucket2)] = c.count2;
    return all;
  }
};

// Receives the finished windows, in time order, one call per window (label sets in a fixed
// order within it), so the same run gives the same rows. One call per window, not per row: at
// 1,000 services a window has thousands of label sets.
class MetricRowSink {
 public:
  virtual ~MetricRowSink() = default;
  virtual void on_metric_window(const FinishedWindow& window) = 0;
};

// Feeds on a Sink's records: every hop is one source-reporter request, every span that reached
// the server-side sidecar one destination-reporter request (with the flags and code that sidecar
// saw). A record counts in the window its request ended in. Records arrive nearly in end-time
// order; a window is finished (handed to the row sink and freed) once records are `lag_windows`
// windows past it, which keeps a 100M-request run's footprint at a couple of windows.
//
// Per record, the label set is found without looking its texts up: the record's label views
// (their addresses and lengths, stable for the run: records.h), code, flags and reporter key a
// direct-mapped cache of series ids, so a record costs one hash of a few words and one compare;
// only a tuple not in the cache resolves its 13 texts to label ids and the label set to its
// series. A record with a valid LabelKey (the model's) is looked up by those two words instead
// of its 13 views, in a hash table of its own that keeps every key of the run (at 1,000
// services a run has ~10,000, and an evicted key would resolve its texts again); before that
// table, in the SeriesMemo the key may point to (records.h), which remembers the key's series
// where the producer's hot data is (that table is a megabyte there, its slot a miss). A window
// counts per series id in a flat array of 32-byte MetricCounts, first seen first.
class MetricWindows {
 public:
  MetricWindows() = default;
  MetricWindows(const MetricWindows&) = delete;
  MetricWindows& operator=(const MetricWindows&) = delete;

  // Starts a run: drops any state of an earlier one (windows, label texts).
  void begin_run(SimDuration interval, int lag_windows, MetricRowSink* out);
  void on_span(const SpanRecord& s);
  // Returns the hop's label set (ids of this run): a sink that keeps per-destination
  // aggregates of its own (the results writer's summaries) keys them by these ids instead of
  // looking the texts up a second time.
  // The reference is valid until the next record. `series`, when given, receives the label
  // set's index (dense from 0, first seen first, for the run), which such a sink can index by
  // instead of hashing the labels per hop.
  const MetricLabels& on_hop(const HopRecord& h, std::uint32_t* series = nullptr);
  // Finishes every open window (the end of a run).
  void flush();
  // Stops handing rows over (a sink that failed): later records are only counted.
  void detach() {
    count_pending();  // counted as they came (they finish no window either way)
    out_ = nullptr;
  }

  std::string_view text(LabelId id) const { return *texts_[id]; }
  // The label set of a series number (MetricCounts::series, on_hop's `series`); series are
  // numbered from 0 in the order first seen, for the run.
  const MetricLabels& labels(std::uint32_t series) const { return labels_[series]; }
  std::size_t series_count() const { return labels_.size(); }
  // The stored text itself: it stays at this address, unchanged, until the next begin_run, so
  // a row handed to another thread may carry the pointer (texts_ itself grows and must not be
  // read there).
  const std::string* stored_text(LabelId id) const { return texts_[id]; }
  // Label ids are numbered from 0 in the order their texts were first seen, for the run.
  std::size_t label_count() const { return texts_.size(); }
  SimDuration interval() const { return interval_; }
  // The latest end of a request counted so far (0 before any).
  SimTime newest_end() const { return newest_end_; }

 private:
  struct LabelsHash {
    std::size_t operator()(const MetricLabels& k) const;
  };
  using SeriesId = std::uint32_t;
  // One window's counts: per series in first-seen order, and where each series is in it.
  struct Window {
    std::vector<MetricCounts> rows;
    std::vector<BucketCounts> spread;  // rows' with more than two buckets filled
    std::vector<std::int32_t> slot;    // by series id; -1: not in this window
  };
  // The cache key of a record's label set: its 13 label views (address | length << 48), the
  // code and flags, and the reporter with the peers' `secure`.
  static constexpr std::size_t kViewWords = 5 + kPeerLabelCount - 1;
  struct TupleKey {
    std::array<std::uint64_t, kViewWords> views{};
    std::uint64_t code_flags = 0;
    std::uint64_t reporter_secure = ~std::uint64_t{0};  // never a real key: an empty slot
    bool operator==(const TupleKey&) const = default;
  };
  struct TupleSlot {
    TupleKey key;
    SeriesId series = 0;
  };
  // Initial slots (a power of two); the table grows with the series so that it stays at most
  // half full: at 1,000 services a run has thousands of series.
  static constexpr std::size_t kTupleSlots = 1024;
  // A record with a LabelKey: the key with code and flags (hi == 0: an empty slot) and the series
  // of each reporter (kNoSeries until a record of it comes). A stream's hop and span are the two
  // reporters of one key and usually one code: one 32-byte slot, aligned, so one line serves both
  // (at 1,000 services the table is a megabyte and each line a miss).
  static constexpr SeriesId kNoSeries = ~SeriesId{0};
  struct alignas(32) KeyedSlot {
    std::uint64_t hi = 0, lo = 0, code_flags = 0;
    std::array<SeriesId, 2> series{kNoSeries, kNoSeries};  // by Reporter
  };
  static std::uint64_t keyed_hash(std::uint64_t hi, std::uint64_t lo);
  void grow_keyed();

  LabelId id(std::string_view text);  // empty text: `unknown`
  std::array<LabelId, kPeerLabelCount> peer_ids(const PeerLabels& p, Reporter reporter);
  template <class Record>
  MetricLabels labels_of(const Record& r, std::uint32_t flags, Reporter reporter);
  template <class Record>
  SeriesId series_of(const Record& r, std::uint32_t flags, Reporter reporter);
  template <class Record>
  SeriesId keyed_series(const Record& r, std::uint32_t flags, Reporter reporter, std::uint64_t hi, std::uint64_t lo,
                        std::uint64_t code_flags);
  template <class Record>
  SeriesId tuple_series(const Record& r, std::uint32_t flags, Reporter reporter, std::uint64_t code_flags);
  SeriesId series_id(const MetricLabels& labels);
  void add(SeriesId series, SimTime start, SimDuration duration);
  void count_pending();
  void count(SeriesId series, SimTime end, SimDuration duration);
  static void count_bucket(Window& win, MetricCounts& c, std::int16_t bucket);
  void finish_windows_before(std::int64_t limit);

  MetricRowSink* out_ = nullptr;
  SimDuration interval_ = engine::kSecond;
  int lag_windows_ = 1;
  SimTime newest_end_{};

  // Label texts: id -> text, text -> id, and the view cache in front.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, LabelId, TextHash, std::equal_to<>> ids_;
  std::vector<const std::string*> texts_;
  ViewCache cache_;
  LabelId unknown_ = 0, mutual_tls_ = 0, none_ = 0;

  // Label set <-> series id, for the run.
  std::unordered_map<MetricLabels, SeriesId, LabelsHash> series_;
  std::vector<MetricLabels> labels_;
  std::vector<TupleSlot> tuples_ = std::vector<TupleSlot>(kTupleSlots);
  // Every LabelKey and code seen in the run (open addressing, at most half full), never evicted.
  std::vector<KeyedSlot> keyed_ = std::vector<KeyedSlot>(kTupleSlots);
  std::size_t keyed_used_ = 0;
  std::uint64_t memo_owner_ = 0;  // this run's number in the SeriesMemos it writes (begin_run)

  // Window index -> its counts; finished windows' storage is reused.
  std::map<std::int64_t, Window> windows_;
  std::vector<Window> spare_;
  std::int64_t newest_window_ = std::numeric_limits<std::int64_t>::min();
  std::int64_t cached_window_ = 0;
  std::int64_t cached_from_ns_ = 0, cached_to_ns_ = 0;  // the cached window's [from, to)
  Window* cached_window_map_ = nullptr;

  // Records are counted kPendingBatch at a time, in arrival order: at 1,000 services a window's
  // slot of a series and its row were a cache miss each on most records, and a batch lets the
  // slots and rows of the records ahead be fetched while one is counted (count_pending). The
  // rows, their order and when windows are handed over stay as if each were counted at once:
  // only records for the cached window wait (they finish no window), and the batch is counted
  // before any other record, a flush or a detach (a new run drops it).
  struct PendingRecord {
    SeriesId series;
    SimTime end;
    SimDuration duration;
  };
  static constexpr std::size_t kPendingBatch = 32;
  std::array<PendingRecord, kPendingBatch> pending_{};
  std::size_t pending_count_ = 0;
};

}  // namespace meshtwin::telemetry
