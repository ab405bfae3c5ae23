// model/proxy owns Envoy's runtime behaviour over a compiled proxy config: host selection,
// the retry decision and backoff, outlier detection, per-cluster runtime state. It uses engine/
// (RNG) and model/xds (the immutable config); it knows nothing of apps, clients, SQLite or the
// CLI.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rng.h"
#include "engine/time.h"
#include "model/registry/registry.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

using engine::SimDuration;
using engine::SimTime;

inline constexpr std::int32_t kNoHost = -1;

// ------------------------------------------------------------------ settings and hosts

// The Envoy load-balancer configuration of one cluster as Istio writes it (docs/semantics.md §7.4–7.6,
// §8.5). Build it with lb_settings_for() / lb_setup_for(); tests set fields directly.
struct LbSettings {
  xds::LbPolicy::Kind kind = xds::LbPolicy::Kind::LeastRequest;
  std::uint32_t choice_count = 2;    // LEAST_REQUEST N choices (Istio never changes it)
  double active_request_bias = 1.0;  // LEAST_REQUEST weighted: weight / (active + 1)^bias
  // Percent; a priority whose healthy share is below it uses all its hosts. Istio: the DR's
  // minHealthPercent when it has outlierDetection, else 0 (Istio >= 1.31) or Envoy's 50.
  std::uint32_t healthy_panic_threshold = 0;
  std::uint32_t overprovisioning_factor = 140;  // percent (Envoy default 1.4)
  bool locality_weighted = false;               // Envoy locality_weighted_lb_config
  std::uint64_t min_ring_size = 1024;
  std::uint64_t max_ring_size = 8'388'608;
  std::uint64_t maglev_table_size = 65537;  // must be prime
  // Slow start (§7.6): window 0 = off. Only ROUND_ROBIN and LEAST_REQUEST use it.
  SimDuration slow_start_window{};
  double slow_start_min_weight = 0.1;  // minimumPercent / 100
  double slow_start_aggression = 1.0;
};

// One endpoint of a cluster as the calling proxy's Envoy knows it. Hosts are addressed by their
// index in the vector given to set_hosts (the simulation keeps it equal to the cluster's
// endpoint index).
struct LbHost {
  std::string address;         // "ip:port": ring-hash/maglev key and identity across updates
  std::uint32_t weight = 1;    // load_balancing_weight (> 0)
  std::uint32_t priority = 0;  // Envoy priority (LocalityPlan::priority)
  std::uint32_t locality = 0;  // locality group id (LocalityPlan::group); lower ids come first
  bool healthy = true;         // EDS health (Istio >= 1.31 sends not-ready pods as UNHEALTHY)
  bool present = true;         // false: istiod left it out of this proxy's EDS (distribute)
};

// Istio's LB settings for a cluster without the locality part (locality_weighted comes from
// plan_localities): policy, ring/table sizes, slow start only for ROUND_ROBIN/LEAST_REQUEST,
// and the panic threshold: minHealthPercent with outlier detection, else 0 when istiod sends
// unhealthy endpoints (Istio >= 1.31, §13), else Envoy's 50.
LbSettings lb_settings_for(const xds::Cluster& cluster, bool sends_unhealthy_endpoints = true);

// Everything the simulation needs to set up a cluster's LB for one calling proxy.
struct LbSetup {
  LbSettings settings;
  std::vector<LbHost> hosts;                    // parallel to cluster.endpoints
  std::vector<std::uint32_t> locality_weights;  // by LbHost::locality
  std::uint32_t hosts_in_eds = 0;  // present hosts: OutlierDetector::set_monitored_host_count
};

// lb_settings_for + plan_localities over the cluster's endpoints: addresses "pod_ip:port",
// endpoint weights, the caller's locality and labels against each pod's (docs/semantics.md §7.5), the
// Service's trafficDistribution. `caller` may be nullptr (no locality, no labels).
// `mesh_locality`: meshConfig.localityLbSetting (nullptr: Istio's default, enabled).
LbSetup lb_setup_for(const xds::Cluster& cluster, const registry::Registry& registry,
                     const registry::Pod* caller, bool sends_unhealthy_endpoints = true,
                     const config::LocalityLbSetting* mesh_locality = nullptr);

// ------------------------------------------------------------------ request hash keys

// The 64-bit key Envoy's hash policy computes for a request (docs/semantics.md §7.4; E-TA): xxHash64 of
// the header value, cookie value, query-parameter value or downstream source IP (address
// only, no port). When the request lacks the key, pass no hash: the LB then draws a random one.
std::uint64_t hash_request_key(std::string_view value);
// A header present several times: values sorted, then hashed in a chain (HashUtil::xxHash64 over
// a span), so the order of the values does not matter.
std::uint64_t hash_header_values(std::span<const std::string_view> values);
// The cookie value Envoy generates when the hash cookie is missing and a ttl is configured:
// 16 lower-case hex digits of xxHash64(remote_address + local_address) of the downstream
// connection ("ip:port" each). The request's hash is then hash_request_key(that value), and the
// response carries Set-Cookie with it.
std::string generated_cookie_value(std::string_view downstream_remote,
                                   std::string_view downstream_local);

// The hash of one request under a DestinationRule consistentHash policy, as Envoy's route hash
// policy computes it (docs/semantics.md §7.4): httpHeaderName (every value of the header, sorted),
// httpCookie (first cookie of that name, surrounding quotes stripped), useSourceIp (the
// downstream IP, no port), httpQueryParameterName (first value, %-decoded). No hash when the
// request lacks the key, except for a cookie policy with a ttl: Envoy then generates the cookie
// from the downstream connection's addresses ("ip:port" each), hashes that value and asks for
// Set-Cookie on the response (`set_cookie` holds the generated value).
// Cost: O(headers + path length); allocates only for several header values or a generated
// cookie.
struct RequestHash {
  std::optional<std::uint64_t> hash;
  std::string set_cookie;  // non-empty: the generated cookie value to set on the response
};
RequestHash request_hash(const config::ConsistentHashLB& policy,
                         const xds::RequestAttributes& request, std::string_view source_ip,
                         std::string_view downstream_remote = {},
                         std::string_view downstream_local = {});

// ------------------------------------------------------------------ EDF scheduler

// Envoy's EdfScheduler (E-EDF) over item ids: each pick takes the entry with the earliest
// deadline (ties: lower insertion order), advances the scheduler time to it and re-inserts the
// item at time + 1/weight with its weight re-read then. build() is createWithPicks: the state
// after `picks mod 429496729` picks, computed in O(n log n) instead of by picking.
// Complexity: pick O(log n), no allocation; build O(n log n). Memory: 24 bytes per entry.
class EdfScheduler {
 public:
  template <class WeightFn>
  void build(std::span<const std::uint32_t> items, WeightFn&& weight, std::uint32_t picks);

  template <class WeightFn>
  std::uint32_t pick_and_add(WeightFn&& weight) {
    const std::uint32_t item = heap_[0].item;
    current_ = heap_[0].deadline;
    // Pop and re-insert in one pass: the re-inserted entry replaces the top and sinks. The
    // (deadline, order) keys are unique, so the pick sequence is the same as Envoy's pop+push.
    replace_top({current_ + 1.0 / weight(item), order_++, item});
    return item;
  }

  void add(double weight, std::uint32_t item) {
    heap_.push_back({current_ + 1.0 / weight, order_++, item});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  void clear() {
    heap_.clear();
    current_ = 0;
    order_ = 0;
  }

 private:
  struct Entry {
    double deadline;
    std::uint64_t order;
    std::uint32_t item;
  };
  // Heap comparator for a min-heap on (deadline, order).
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.deadline > b.deadline || (a.deadline == b.deadline && a.order > b.order);
    }
  };
  void replace_top(const Entry& e) {
    const std::size_t n = heap_.size();
    std::size_t i = 0;
    for (std::size_t c = 1; c < n; c = 2 * i + 1) {
      if (c + 1 < n && Later{}(heap_[c], heap_[c + 1])) ++c;  // the earlier child
      if (!Later{}(e, heap_[c])) break;
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = e;
  }

  std::vector<Entry> heap_;
  double current_ = 0;
  std::uint64_t order_ = 0;
};

// ------------------------------------------------------------------ the load balancer

// Host selection for one Envoy cluster in one calling proxy (docs/semantics.md §8): priorities with
// 1.4 overprovisioning and panic (§8.5), locality-weighted choice (§8.6), ROUND_ROBIN (RR with
// a random start, EDF for unequal weights or slow start, §8.1), LEAST_REQUEST (P2C or EDF on
// weight/(active+1)^bias, §8.2), RANDOM (§8.3), RING_HASH and MAGLEV (§8.4), slow start (§7.6)
// and the previous-hosts retry predicate (§5.5).
//
// State split as in Envoy (§8.0): priority loads, panic flags, host lists and hash tables are
// shared by the proxy's workers; round-robin indices, EDF schedulers and locality schedulers
// are per worker; rq_active is owned by the caller and passed per pick. Envoy rebuilds on every
// membership or health change; we mark the changed priorities and rebuild at the next pick that
// needs them (shared part first, then that worker's part), so a burst of changes costs one
// rebuild. Observable difference: LEAST_REQUEST's EDF start weights and slow-start factors are
// read at that pick rather than at the change.
//
// Complexity per pick: O(1) for RR/RANDOM/P2C, O(log n) for EDF, ring hash and the locality
// scheduler, O(1) for maglev; no allocation. Rebuild of a priority: O(n log n) per worker;
// ring O(R log R) with R ≈ max(1024, ...) entries; maglev O(M) with M = 65537.
class LoadBalancer {
 public:
  // Draws one seed per worker from `rng` (each Envoy worker builds its own LB instance).
  LoadBalancer(const LbSettings& settings, std::uint32_t workers, engine::RngStream& rng);
  // The same with the workers' seeds given, one per worker (the draws above would make).
  LoadBalancer(const LbSettings& settings, std::span<const std::uint64_t> worker_seeds);
  // Old interface: default settings of `kind` (kept for call sites not yet moved over).
  LoadBalancer(xds::LbPolicy::Kind kind, std::uint32_t workers, engine::RngStream& rng);

  // Replaces the host set (EDS update). A host keeps its ejection flag and slow-start clock
  // across updates when its address stays. Priorities whose hosts did not change keep their
  // schedulers, as in Envoy. `locality_weights[g]` is the load_balancing_weight of locality
  // group g (empty: no locality weights, so no locality-weighted choice). Returns, per new
  // host, the index it had before or kNoHost (feed it to OutlierDetector::update_hosts).
  std::vector<std::int32_t> set_hosts(std::vector<LbHost> hosts,
                                      std::vector<std::uint32_t> locality_weights, SimTime now);

  // Outlier ejection (FAILED_OUTLIER_CHECK): an ejected host leaves the healthy set.
  void set_ejected(std::uint32_t host, bool ejected);
  // EDS health change of one host (a pod turning ready / not ready without a membership
  // change). Becoming healthy starts its slow-start window if it never had one.
  void set_eds_healthy(std::uint32_t host, bool healthy, SimTime now);

  struct Pick {
    std::uint32_t worker = 0;  // the Envoy worker thread handling the request
    SimTime now{};           // for slow start
    // rq_active per host (requests attached to a connection), shared by the workers.
    std::span<const std::uint32_t> active_requests;
    // Consistent-hash key of the request (hash_request_key...); nullopt: absent -> random.
    std::optional<std::uint64_t> hash;
    // Previous-hosts retry predicate (§5.5): hosts tried by earlier attempts of this request
    // and host_selection_retry_max_attempts (Istio: 5). Empty on first attempts and without
    // the predicate: one selection.
    std::span<const std::int32_t> avoid;
    std::uint32_t max_selection_retries = 0;
  };

  // Picks a host or returns kNoHost (no healthy host and no panic: 503 UH). With `avoid`, up
  // to 1 + max_selection_retries selections are made, each consuming LB state as in Envoy
  // (hash LBs shift their lookup instead, §8.4); if all hit tried hosts, the last one is used.
  std::int32_t choose(const Pick& pick, engine::RngStream& rng);

  // Old interface (equal weights, caller-built healthy list), kept for call sites not yet
  // moved over: hosts 0..max(eligible) with those in `eligible` healthy, one priority, no
  // locality. It compares `eligible` with the last list on every call (O(n) per pick) and
  // rebuilds on a difference; use set_hosts/set_ejected and choose(Pick) instead.
  std::int32_t choose(std::uint32_t worker, std::span<const std::uint32_t> eligible,
                      std::span<const std::uint32_t> active_requests, engine::RngStream& rng);
  std::int32_t choose_avoiding(std::uint32_t worker, std::span<const std::uint32_t> eligible,
                               std::span<const std::uint32_t> active_requests,
                               std::span<const std::int32_t> tried,
                               std::uint32_t max_selection_retries, engine::RngStream& rng);

  // The fast path for the common pick (see FastPath) is on by default; tests switch it off to
  // compare its picks and draws with the general path's.
  void set_fast_path(bool on) {
    fast_allowed_ = on;
    fast_.mode = FastMode::Unknown;
  }

  // ---- introspection (tests, explain output)
  xds::LbPolicy::Kind kind() const { return settings_.kind; }
  const LbSettings& settings() const { return settings_; }
  std::uint32_t host_count() const { return static_cast<std::uint32_t>(hosts_.size()); }
  bool is_healthy(std::uint32_t host) const;
  // Healthy load percentage of each priority (sums to 100) and panic flags, after bringing the
  // shared state up to date.
  std::vector<std::uint32_t> priority_loads();
  std::vector<bool> priority_panic();
  // The slow-start factor of a host at `now` (1 when not in slow start).
  double slow_start_factor(std::uint32_t host, SimTime now) const;
  // Ring hash / maglev: the host the table gives for `hash` in `priority` (attempt 0).
  std::int32_t hash_lookup(std::uint32_t priority, std::uint64_t hash, std::uint32_t attempt = 0);
  std::size_t ring_size(std::uint32_t priority);

 private:
  struct HostState {
    LbHost info;
    bool ejected = false;
    bool has_hc_pass = false;  // Envoy's lastHcPassTime is set
    SimTime hc_pass{};
  };
  struct Source {
    std::vector<std::uint32_t> hosts;
    bool equal_weights = true;
  };
  struct RingEntry {
    std::uint64_t hash;
    std::uint32_t host;
  };
  struct PriorityState {
    std::uint32_t total = 0;  // present hosts
    Source all, healthy;
    std::vector<std::uint32_t> locality_ids;    // distinct locality groups, ascending
    std::vector<Source> healthy_by_locality;    // parallel to locality_ids
    std::vector<Source> all_by_locality;        // parallel to locality_ids
    std::vector<double> locality_effective;     // §8.6 effective weight per locality slot
    std::uint32_t health = 0;                   // min(100, factor × healthy / total)
    bool panic = false;
    bool table_panic = false;  // panic flag the hash table was built with
    std::vector<RingEntry> ring;
    std::vector<std::int32_t> maglev;
  };
  struct SourceState {
    std::uint64_t rr = 0;
    EdfScheduler edf;  // empty: unweighted pick
  };
  struct WorkerPriority {
    std::vector<SourceState> sources;  // 0 all, 1 healthy, 2 + k healthy in locality slot k
    EdfScheduler locality_edf;         // over locality slots; empty: no locality choice
    bool dirty = true;
  };
  struct Worker {
    std::uint64_t seed = 0;  // Envoy's seed_ of this worker's LB: RR start and EDF pre-picks
    std::vector<WorkerPriority> priorities;
    bool dirty = true;
  };

  bool hash_based() const;
  bool slow_start_enabled() const { return settings_.slow_start_window > SimDuration{}; }
  bool no_hosts_in_slow_start(SimTime now) const;
  void note_healthy_for_slow_start(HostState& h, SimTime now);
  double host_weight(std::uint32_t host, const Pick& pick, bool slow_start_active) const;
  void mark_dirty(std::uint32_t priority);
  void rebuild_shared();
  void rebuild_priority_lists(std::uint32_t p);
  void recalculate_loads();
  void rebuild_table(std::uint32_t p);
  void rebuild_worker(Worker& w, const Pick& pick, engine::RngStream& rng);
  std::uint32_t choose_priority(std::uint64_t hash) const;
  std::int32_t choose_once(const Pick& pick, Worker& w, bool slow_start, engine::RngStream& rng);
  std::int32_t choose_hash(const Pick& pick, engine::RngStream& rng);
  std::int32_t table_lookup(const PriorityState& ps, std::uint64_t hash,
                            std::uint32_t attempt) const;
  void sync_legacy(std::span<const std::uint32_t> eligible);
  void prepare_fast(const Pick& pick, engine::RngStream& rng);
  std::int32_t choose_fast_once(const Pick& pick, engine::RngStream& rng);
  static std::int32_t power_of_choices(const std::uint32_t* hosts, std::size_t n,
                                       std::uint32_t choices, const Pick& pick,
                                       engine::RngStream& rng);

  // The pick as most clusters need it, readable from this object's first cache line: one
  // priority, no locality-weighted choice, no slow start, no EDF (equal weights or <= 1 host),
  // ROUND_ROBIN or LEAST_REQUEST. Its picks and draws are exactly those of choose_once; it only
  // skips the walk through workers_ → priorities → sources → priorities_ → hosts (five
  // dependent heap lines per pick, the LB's cache misses at 1,000 services,
  // docs/performance.md). Decided after each rebuild (mark_dirty resets it to Unknown).
  enum class FastMode : std::uint8_t { Unknown, Off, RoundRobin, LeastRequest };
  struct FastPath {
    FastMode mode = FastMode::Unknown;
    std::uint32_t n = 0;                  // hosts of the source the picks use
    std::uint32_t first = 0;              // hosts[0] (the single host of most clusters)
    std::uint32_t choice_count = 2;
    const std::uint32_t* hosts = nullptr; // into priorities_[0].healthy or .all
    std::vector<std::uint64_t*> rr;       // ROUND_ROBIN: each worker's rr of the source
    // It points into this LoadBalancer's own vectors: a copy (or move) decides afresh.
    FastPath() = default;
    FastPath(const FastPath&) {}
    FastPath& operator=(const FastPath&) {
      mode = FastMode::Unknown;
      return *this;
    }
  };
  FastPath fast_;
  bool shared_dirty_ = true;
  bool fast_allowed_ = true;

  LbSettings settings_;
  std::vector<HostState> hosts_;
  std::vector<std::uint32_t> locality_weights_;
  bool started_ = false;
  SimTime latest_host_added_{};  // slow start: latest healthy-since time in the window

  std::vector<PriorityState> priorities_;
  std::vector<std::uint32_t> load_;  // healthy load percent per priority
  std::vector<char> priority_dirty_;
  std::vector<Worker> workers_;

  std::vector<std::uint32_t> legacy_eligible_;  // the old interface's last host list
};

// ------------------------------------------------------------------ EdfScheduler::build

template <class WeightFn>
void EdfScheduler::build(std::span<const std::uint32_t> items, WeightFn&& weight,
                         std::uint32_t picks) {
  clear();
  picks %= 429496729u;  // Envoy: UINT32_MAX / 10, "over 400M picks should be sufficient"
  if (items.empty()) return;
  // Envoy adds 1e-13 to every weight while emulating, so that weights that are multiples of
  // each other do not produce deadlines a rounding error apart (envoy PR 31592).
  auto aug = [&](std::uint32_t item) { return weight(item) + 1e-13; };
  double sum = 0;
  for (std::uint32_t item : items) sum += aug(item);
  std::uint32_t picks_so_far = 0;
  double max_pick_time = 0;
  heap_.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const double w = aug(items[i]);
    // p'_i = floor(P w_i / W) picks of this entry happened before time p'_i / w_i.
    auto floor_picks = static_cast<std::uint32_t>(w * picks / sum);
    if (floor_picks > 0 && floor_picks / w >= picks / sum) --floor_picks;
    max_pick_time = std::max(max_pick_time, floor_picks / w);
    heap_.push_back({(floor_picks + 1) / w, static_cast<std::uint64_t>(i), items[i]});
    picks_so_far += floor_picks;
  }
  std::make_heap(heap_.begin(), heap_.end(), Later{});
  current_ = max_pick_time;
  order_ = items.size();
  // The remaining fewer-than-n picks one by one, with the real (unaugmented) weights.
  for (; picks_so_far < picks; ++picks_so_far) pick_and_add(weight);
}

}  // namespace meshtwin::proxy
