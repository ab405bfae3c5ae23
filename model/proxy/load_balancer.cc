#include "model/proxy/load_balancer.h"

#include <cmath>
#include <string>
#include <tuple>
#include <unordered_map>

#include "model/proxy/locality.h"
#include "model/proxy/xxhash.h"

namespace meshtwin::proxy {

using Kind = xds::LbPolicy::Kind;

// ------------------------------------------------------------------ construction and updates

namespace {
std::vector<std::uint64_t> draw_seeds(std::uint32_t workers, engine::RngStream& rng) {
  std::vector<std::uint64_t> seeds(std::max<std::uint32_t>(workers, 1));
  for (std::uint64_t& seed : seeds) seed = rng.next_u64();
  return seeds;
}
}  // namespace

LoadBalancer::LoadBalancer(const LbSettings& settings, std::uint32_t workers, engine::RngStream& rng)
    : LoadBalancer(settings, draw_seeds(workers, rng)) {}

LoadBalancer::LoadBalancer(const LbSettings& settings, std::span<const std::uint64_t> worker_seeds)
    : settings_(settings), workers_(std::max<std::size_t>(worker_seeds.size(), 1)) {
  // Each worker's LB instance has its own seed: RR starts at a random index per worker
  // (§8.1, §16.1 item 9), so workers and proxies do not march in lock step.
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i].seed = i < worker_seeds.size() ? worker_seeds[i] : 0;
    workers_[i].priorities.resize(1);
  }
  // An empty P0 until set_hosts: picks return kNoHost.
  priorities_.resize(1);
  priority_dirty_.assign(1, 1);
}

LoadBalancer::LoadBalancer(xds::LbPolicy::Kind kind, std::uint32_t workers, engine::RngStream& rng)
    : LoadBalancer(LbSettings{.kind = kind}, workers, rng) {}

bool LoadBalancer::hash_based() const {
  return settings_.kind == Kind::RingHash || settings_.kind == Kind::Maglev;
}

bool LoadBalancer::is_healthy(std::uint32_t host) const {
  const HostState& h = hosts_[host];
  return h.info.present && h.info.healthy && !h.ejected;
}

void LoadBalancer::mark_dirty(std::uint32_t priority) {
  fast_.mode = FastMode::Unknown;
  if (priority >= priorities_.size()) return;
  priority_dirty_[priority] = 1;
  shared_dirty_ = true;
  for (Worker& w : workers_) {
    w.priorities[priority].dirty = true;
    w.dirty = true;
  }
}

std::vector<std::int32_t> LoadBalancer::set_hosts(std::vector<LbHost> hosts,
                                                  std::vector<std::uint32_t> locality_weights,
                                                  SimTime now) {
  fast_.mode = FastMode::Unknown;  // the host lists it points into may be rebuilt
  if (!started_) {
    // Envoy starts latest_host_added_time_ at LB creation, so the first window counts as slow
    // start for every initial host.
    started_ = true;
    latest_host_added_ = now;
  }
  std::unordered_map<std::string_view, std::uint32_t> old_index;
  old_index.reserve(hosts_.size());
  for (std::uint32_t i = 0; i < hosts_.size(); ++i) old_index.emplace(hosts_[i].info.address, i);

  std::uint32_t priority_count = static_cast<std::uint32_t>(priorities_.size());
  for (const LbHost& h : hosts) {
    if (h.present) priority_count = std::max(priority_count, h.priority + 1);
  }
  priority_count = std::max<std::uint32_t>(priority_count, 1);
  std::vector<char> changed(priority_count, 0);
  const bool weights_changed = locality_weights != locality_weights_;

  std::vector<HostState> next(hosts.size());
  std::vector<std::int32_t> previous(hosts.size(), kNoHost);
  std::vector<char> kept(hosts_.size(), 0);
  for (std::uint32_t i = 0; i < hosts.size(); ++i) {
    HostState& n = next[i];
    n.info = std::move(hosts[i]);
    const auto it = old_index.find(n.info.address);
    if (it != old_index.end() && !kept[it->second]) {
      const HostState& o = hosts_[it->second];
      kept[it->second] = 1;
      previous[i] = static_cast<std::int32_t>(it->second);
      n.ejected = o.ejected;
      n.has_hc_pass = o.has_hc_pass;
      n.hc_pass = o.hc_pass;
      const bool same = o.info.present == n.info.present && o.info.priority == n.info.priority &&
                        o.info.weight == n.info.weight && o.info.locality == n.info.locality &&
                        o.info.healthy == n.info.healthy && it->second == i;
      if (!same) {
        if (o.info.present) changed[o.info.priority] = 1;
        if (n.info.present) changed[n.info.priority] = 1;
      }
    } else if (n.info.present) {
      changed[n.info.priority] = 1;
    }
  }
  for (std::uint32_t j = 0; j < hosts_.size(); ++j) {
    if (!kept[j] && hosts_[j].info.present) changed[hosts_[j].info.priority] = 1;
  }
  hosts_ = std::move(next);
  locality_weights_ = std::move(locality_weights);

  // Envoy never removes a priority's host set; an emptied priority stays, with no load.
  priorities_.resize(priority_count);
  priority_dirty_.resize(priority_count, 1);
  for (Worker& w : workers_) w.priorities.resize(priority_count);
  for (HostState& h : hosts_) note_healthy_for_slow_start(h, now);
  for (std::uint32_t p = 0; p < priority_count; ++p) {
    if (changed[p] || weights_changed || priority_dirty_[p]) mark_dirty(p);
  }
  return previous;
}

void LoadBalancer::set_ejected(std::uint32_t host, bool ejected) {
  HostState& h = hosts_[host];
  if (h.ejected == ejected) return;
  h.ejected = ejected;
  if (h.info.present) mark_dirty(h.info.priority);
}

void LoadBalancer::set_eds_healthy(std::uint32_t host, bool healthy, SimTime now) {
  HostState& h = hosts_[host];
  if (h.info.healthy == healthy) return;
  h.info.healthy = healthy;
  note_healthy_for_slow_start(h, now);
  if (h.info.present) mark_dirty(h.info.priority);
}

// ------------------------------------------------------------------ slow start

// Envoy's recalculateHostsInSlowStart for one host: a healthy host without a "last health
// check pass" gets one now (no active health checks in Istio, so that is when it was added or
// turned healthy), and the latest such time inside the window keeps the LB in slow start.
void LoadBalancer::note_healthy_for_slow_start(HostState& h, SimTime now) {
  if (!slow_start_enabled() || !h.info.present || !h.info.healthy || h.ejected) return;
  const SimTime since = h.has_hc_pass ? h.hc_pass : now;
  if (!h.has_hc_pass) {
    h.has_hc_pass = true;
    h.hc_pass = now;
  }
  const std::int64_t in_state_ms = (now - since) / engine::kMillisecond;
  if (since > latest_host_added_ &&
      in_state_ms <= settings_.slow_start_window / engine::kMillisecond) {
    latest_host_added_ = since;
  }
}

bool LoadBalancer::no_hosts_in_slow_start(SimTime now) const {
  if (!slow_start_enabled()) return true;
  // Envoy compares whole milliseconds (duration_cast truncates).
  return (now - latest_host_added_) / engine::kMillisecond >
         settings_.slow_start_window / engine::kMillisecond;
}

double LoadBalancer::slow_start_factor(std::uint32_t host, SimTime now) const {
  const HostState& h = hosts_[host];
  if (!slow_start_enabled() || !h.has_hc_pass || !is_healthy(host)) return 1.0;
  const std::int64_t in_state_ms = (now - h.hc_pass) / engine::kMillisecond;
  const std::int64_t window_ms = settings_.slow_start_window / engine::kMillisecond;
  if (in_state_ms >= window_ms || window_ms <= 0) return 1.0;
  double aggression = settings_.slow_start_aggression;
  if (!(aggression > 0.0)) aggression = 1.0;  // Envoy resets invalid (<= 0, NaN) values to 1
  const double time_factor =
      static_cast<double>(std::max<std::int64_t>(1, in_state_ms)) / static_cast<double>(window_ms);
  const double factor =
      aggression == 1.0 || time_factor == 1.0 ? time_factor : std::pow(time_factor, 1.0 / aggression);
  return std::max(factor, settings_.slow_start_min_weight);
}

double LoadBalancer::host_weight(std::uint32_t host, const Pick& pick, bool slow_start_active) const {
  const double configured = hosts_[host].info.weight;
  double w = configured;
  if (settings_.kind == Kind::LeastRequest) {
    // weight / (rq_active + 1)^bias, bias 1 by default (§8.2).
    const double active =
        host < pick.active_requests.size() ? static_cast<double>(pick.active_requests[host]) : 0.0;
    if (settings_.active_request_bias == 1.0) {
      w = configured / (active + 1.0);
    } else if (settings_.active_request_bias != 0.0) {
      w = configured / std::pow(active + 1.0, settings_.active_request_bias);
    }
  }
  if (slow_start_active) w *= slow_start_factor(host, pick.now);
  return w;
}

// ------------------------------------------------------------------ shared rebuild

void LoadBalancer::rebuild_priority_lists(std::uint32_t p) {
  PriorityState& ps = priorities_[p];
  ps.all.hosts.clear();
  ps.healthy.hosts.clear();
  ps.locality_ids.clear();
  for (std::uint32_t h = 0; h < hosts_.size(); ++h) {
    const HostState& hs = hosts_[h];
    if (!hs.info.present || hs.info.priority != p) continue;
    ps.all.hosts.push_back(h);
    if (is_healthy(h)) ps.healthy.hosts.push_back(h);
    ps.locality_ids.push_back(hs.info.locality);
  }
  std::sort(ps.locality_ids.begin(), ps.locality_ids.end());
  ps.locality_ids.erase(std::unique(ps.locality_ids.begin(), ps.locality_ids.end()),
                        ps.locality_ids.end());
  ps.all_by_locality.assign(ps.locality_ids.size(), Source{});
  ps.healthy_by_locality.assign(ps.locality_ids.size(), Source{});
  for (std::uint32_t h : ps.all.hosts) {
    const auto slot = static_cast<std::size_t>(
        std::lower_bound(ps.locality_ids.begin(), ps.locality_ids.end(), hosts_[h].info.locality) -
        ps.locality_ids.begin());
    ps.all_by_locality[slot].hosts.push_back(h);
    if (is_healthy(h)) ps.healthy_by_locality[slot].hosts.push_back(h);
  }
  auto equal = [&](Source& s) {
    s.equal_weights = true;
    for (std::uint32_t h : s.hosts) {
      if (hosts_[h].info.weight != hosts_[s.hosts[0]].info.weight) s.equal_weights = false;
    }
  };
  equal(ps.all);
  equal(ps.healthy);
  for (Source& s : ps.healthy_by_locality) equal(s);
  for (Source& s : ps.all_by_locality) equal(s);

  ps.total = static_cast<std::uint32_t>(ps.all.hosts.size());
  ps.health = ps.total == 0
                  ? 0
                  : static_cast<std::uint32_t>(std::min<std::uint64_t>(
                        100, std::uint64_t{settings_.overprovisioning_factor} *
                                 ps.healthy.hosts.size() / ps.total));
  // §8.6: locality_weight × min(1, factor × healthy / hosts) per locality.
  ps.locality_effective.assign(ps.locality_ids.size(), 0.0);
  for (std::size_t k = 0; k < ps.locality_ids.size(); ++k) {
    const std::uint32_t id = ps.locality_ids[k];
    const double weight = id < locality_weights_.size() ? locality_weights_[id] : 0.0;
    const auto total = ps.all_by_locality[k].hosts.size();
    if (total == 0) continue;
    const double ratio = static_cast<double>(ps.healthy_by_locality[k].hosts.size()) / total;
    ps.locality_effective[k] =
        weight * std::min(1.0, settings_.overprovisioning_factor / 100.0 * ratio);
  }
}

// Envoy's recalculatePerPriorityState (load part) and recalculatePerPriorityPanic.
void LoadBalancer::recalculate_loads() {
  const std::size_t n = priorities_.size();
  load_.assign(n, 0);
  std::uint32_t sum = 0;
  for (const PriorityState& ps : priorities_) sum += ps.health;
  const std::uint32_t availability = std::min<std::uint32_t>(100, sum);
  const std::uint32_t threshold = std::min<std::uint32_t>(100, settings_.healthy_panic_threshold);
  if (availability == 0 && threshold == 0) {
    // Nothing healthy and panic disabled: all load nominally on P0, where no host will be
    // found (503 UH).
    load_[0] = 100;
    for (PriorityState& ps : priorities_) ps.panic = false;
    return;
  }
  if (availability > 0) {
    std::uint32_t remaining = 100;
    std::int32_t first = -1;
    for (std::size_t p = 0; p < n; ++p) {
      const std::uint32_t health = priorities_[p].health;
      if (first < 0 && health > 0) first = static_cast<std::int32_t>(p);
      load_[p] = std::min(remaining, health * 100 / availability);
      remaining -= load_[p];
    }
    // Rounding leftovers go to the first priority with healthy hosts.
    if (remaining > 0 && first >= 0) load_[first] += remaining;
  }
  bool total_panic = true;
  for (PriorityState& ps : priorities_) {
    if (availability == 100) {
      ps.panic = false;  // enough healthy capacity overall: never panic
    } else {
      const double healthy_percent =
          ps.total == 0 ? 0.0 : 100.0 * static_cast<double>(ps.healthy.hosts.size()) / ps.total;
      ps.panic = healthy_percent < threshold;
    }
    total_panic = total_panic && ps.panic;
  }
  if (total_panic) {
    // Every priority in panic: spread by raw host counts, healthy or not.
    std::uint32_t hosts = 0;
    for (const PriorityState& ps : priorities_) hosts += ps.total;
    load_.assign(n, 0);
    if (hosts == 0) {
      load_[0] = 100;
      return;
    }
    std::uint32_t remaining = 100;
    std::int32_t first = -1;
    for (std::size_t p = 0; p < n; ++p) {
      if (first < 0 && priorities_[p].total > 0) first = static_cast<std::int32_t>(p);
      load_[p] = 100 * priorities_[p].total / hosts;
      remaining -= load_[p];
    }
    load_[first] += remaining;
  }
}

void LoadBalancer::rebuild_table(std::uint32_t p) {
  PriorityState& ps = priorities_[p];
  ps.table_panic = ps.panic;
  ps.ring.clear();
  ps.maglev.clear();

  // Envoy's normalizeWeights (E-TA): weights normalised to sum 1, per locality when
  // locality-weighted (with the raw locality weights), healthy hosts unless in panic.
  std::vector<std::pair<std::uint32_t, double>> normalized;
  double min_w = 1.0;
  double max_w = 0.0;
  auto add_hosts = [&](const std::vector<std::uint32_t>& list, double locality_weight) {
    std::uint64_t sum = 0;
    for (std::uint32_t h : list) sum += hosts_[h].info.weight;
    for (std::uint32_t h : list) {
      const double w = hosts_[h].info.weight * locality_weight / static_cast<double>(sum);
      normalized.emplace_back(h, w);
      min_w = std::min(min_w, w);
      max_w = std::max(max_w, w);
    }
  };
  if (!settings_.locality_weighted || locality_weights_.empty()) {
    add_hosts(ps.panic ? ps.all.hosts : ps.healthy.hosts, 1.0);
  } else {
    std::uint64_t sum = 0;
    for (std::uint32_t id : ps.locality_ids) sum += id < locality_weights_.size() ? locality_weights_[id] : 0;
    if (sum > 0) {
      for (std::size_t k = 0; k < ps.locality_ids.size(); ++k) {
        const std::uint32_t id = ps.locality_ids[k];
        const std::uint32_t weight = id < locality_weights_.size() ? locality_weights_[id] : 0;
        if (weight == 0) continue;
        add_hosts(ps.panic ? ps.all_by_locality[k].hosts : ps.healthy_by_locality[k].hosts,
                  static_cast<double>(weight) / static_cast<double>(sum));
      }
    }
  }
  if (normalized.empty()) return;

  if (settings_.kind == Kind::RingHash) {
    // E-RH: the lightest host gets a whole number of entries, the ring at least min_ring_size
    // and at most max_ring_size entries; running sums spread fractional shares.
    const double scale =
        std::min(std::ceil(min_w * static_cast<double>(settings_.min_ring_size)) / min_w,
                 static_cast<double>(settings_.max_ring_size));
    ps.ring.reserve(static_cast<std::size_t>(std::ceil(scale)));
    double current = 0.0;
    double target = 0.0;
    std::string key;
    for (const auto& [host, weight] : normalized) {
      key = hosts_[host].info.address;
      key.push_back('_');
      const std::size_t stem = key.size();
      target += scale * weight;
      for (std::uint64_t i = 0; current < target; ++i, current += 1.0) {
        key.resize(stem);
        key.append(std::to_string(i));
        ps.ring.push_back({xxhash64(key), host});
      }
    }
    std::sort(ps.ring.begin(), ps.ring.end(),
              [](const RingEntry& a, const RingEntry& b) { return a.hash < b.hash; });
    return;
  }

  // Maglev (E-MAG): hosts sorted by key so the table does not depend on EDS order; each takes
  // turns claiming its next free preferred slot, a host of weight max_w every round, lighter
  // hosts proportionally less often.
  const std::uint64_t m = settings_.maglev_table_size;
  struct Build {
    std::string_view key;
    std::uint32_t host;
    double weight;
    std::uint64_t offset = 0, skip = 0, next = 0;
    double target = 0;
  };
  std::vector<Build> build;
  build.reserve(normalized.size());
  for (const auto& [host, weight] : normalized) build.push_back({hosts_[host].info.address, host, weight});
  std::sort(build.begin(), build.end(), [](const Build& a, const Build& b) {
    return std::tie(a.key, a.host, a.weight) < std::tie(b.key, b.host, b.weight);
  });
  for (Build& b : build) {
    b.offset = xxhash64(b.key) % m;
    b.skip = xxhash64(b.key, 1) % (m - 1) + 1;
  }
  ps.maglev.assign(m, kNoHost);
  std::uint64_t filled = 0;
  for (std::uint32_t iteration = 1; filled < m; ++iteration) {
    for (std::size_t i = 0; i < build.size() && filled < m; ++i) {
      Build& b = build[i];
      if (iteration * b.weight < b.target) continue;
      b.target += max_w;
      std::uint64_t c = (b.offset + b.skip * b.next) % m;
      while (ps.maglev[c] != kNoHost) {
        ++b.next;
        c = (b.offset + b.skip * b.next) % m;
      }
      ps.maglev[c] = static_cast<std::int32_t>(b.host);
      ++b.next;
      ++filled;
    }
  }
}

void LoadBalancer::rebuild_shared() {
  for (std::uint32_t p = 0; p < priorities_.size(); ++p) {
    if (priority_dirty_[p]) rebuild_priority_lists(p);
  }
  recalculate_loads();
  if (hash_based()) {
    // Envoy rebuilds every table on any change (E-TA refresh); the build is deterministic, so
    // rebuilding only the priorities whose inputs changed gives the same tables.
    for (std::uint32_t p = 0; p < priorities_.size(); ++p) {
      PriorityState& ps = priorities_[p];
      if (priority_dirty_[p] || ps.panic != ps.table_panic) rebuild_table(p);
    }
  }
  std::fill(priority_dirty_.begin(), priority_dirty_.end(), 0);
  shared_dirty_ = false;
}

// ------------------------------------------------------------------ per-worker rebuild

void LoadBalancer::rebuild_worker(Worker& w, const Pick& pick, engine::RngStream& rng) {
  const bool edf_kind = settings_.kind == Kind::RoundRobin || settings_.kind == Kind::LeastRequest;
  const bool slow = !no_hosts_in_slow_start(pick.now);
  const auto picks = static_cast<std::uint32_t>(w.seed);  // Envoy passes seed_ as uint32 picks
  for (std::uint32_t p = 0; p < w.priorities.size(); ++p) {
    WorkerPriority& wp = w.priorities[p];
    if (!wp.dirty) continue;
    const PriorityState& ps = priorities_[p];
    // RR indices persist per source and are never reset (Envoy inserts the seed only for a
    // source it has not seen).
    while (wp.sources.size() < 2 + ps.locality_ids.size()) wp.sources.push_back({w.seed, {}});
    auto build = [&](SourceState& st, const Source& src) {
      st.edf.clear();
      // EDF only for unequal weights or slow start, and never for 0 or 1 host (E-LBBASE
      // refresh).
      if (!edf_kind || (src.equal_weights && !slow) || src.hosts.size() <= 1) return;
      st.edf.build(src.hosts, [&](std::uint32_t h) { return host_weight(h, pick, slow); }, picks);
    };
    build(wp.sources[0], ps.all);
    build(wp.sources[1], ps.healthy);
    for (std::size_t k = 0; k < ps.healthy_by_locality.size(); ++k) {
      build(wp.sources[2 + k], ps.healthy_by_locality[k]);
    }
    wp.locality_edf.clear();
    if (settings_.locality_weighted && !locality_weights_.empty() && !ps.healthy.hosts.empty()) {
      std::vector<std::uint32_t> slots;
      for (std::uint32_t k = 0; k < ps.locality_effective.size(); ++k) {
        if (ps.locality_effective[k] > 0) slots.push_back(k);
      }
      // Envoy rebuilds the locality scheduler with a fresh random pre-advance each time.
      const auto locality_picks = static_cast<std::uint32_t>(rng.next_u64());
      wp.locality_edf.build(slots, [&](std::uint32_t k) { return ps.locality_effective[k]; },
                            locality_picks);
    }
    wp.dirty = false;
  }
  w.dirty = false;
}

// ------------------------------------------------------------------ picks

std::uint32_t LoadBalancer::choose_priority(std::uint64_t hash) const {
  const std::uint64_t x = hash % 100 + 1;  // 1..100
  std::uint64_t cumulative = 0;
  for (std::uint32_t p = 0; p < load_.size(); ++p) {
    cumulative += load_[p];
    if (x <= cumulative) return p;
  }
  return 0;
}

// LEAST_REQUEST over n > 1 equally weighted hosts: power of N choices with replacement; a later
// draw wins only with strictly fewer active requests (§8.2).
std::int32_t LoadBalancer::power_of_choices(const std::uint32_t* hosts, std::size_t n,
                                            std::uint32_t choices, const Pick& pick,
                                            engine::RngStream& rng) {
  auto active = [&](std::uint32_t h) {
    return h < pick.active_requests.size() ? pick.active_requests[h] : 0u;
  };
  std::uint32_t candidate = hosts[rng.next_u64() % n];
  for (std::uint32_t c = 1; c < choices; ++c) {
    const std::uint32_t sampled = hosts[rng.next_u64() % n];
    if (active(sampled) < active(candidate)) candidate = sampled;
  }
  return static_cast<std::int32_t>(candidate);
}

std::int32_t LoadBalancer::choose_once(const Pick& pick, Worker& w, bool slow_start,
                                       engine::RngStream& rng) {
  // One random value picks the priority (and, for RANDOM, also the host, as Envoy does). With a
  // single priority the draw cannot matter, so it is skipped except for RANDOM.
  std::uint64_t r = 0;
  std::uint32_t p = 0;
  if (priorities_.size() > 1 || settings_.kind == Kind::Random) {
    r = rng.next_u64();
    p = choose_priority(r);
  }
  const PriorityState& ps = priorities_[p];
  WorkerPriority& wp = w.priorities[p];
  std::size_t source = 1;  // healthy hosts
  if (ps.panic) {
    source = 0;  // all hosts of the priority, ejected and unhealthy included
  } else if (!wp.locality_edf.empty()) {
    source = 2 + wp.locality_edf.pick_and_add(
                     [&](std::uint32_t k) { return ps.locality_effective[k]; });
  }
  const Source& src =
      source == 0 ? ps.all : source == 1 ? ps.healthy : ps.healthy_by_locality[source - 2];
  SourceState& st = wp.sources[source];
  if (!st.edf.empty()) {
    return static_cast<std::int32_t>(
        st.edf.pick_and_add([&](std::uint32_t h) { return host_weight(h, pick, slow_start); }));
  }
  const std::size_t n = src.hosts.size();
  if (n == 0) return kNoHost;
  switch (settings_.kind) {
    case Kind::RoundRobin:
      return static_cast<std::int32_t>(src.hosts[st.rr++ % n]);
    case Kind::Random:
      return static_cast<std::int32_t>(src.hosts[r % n]);
    default: {
      if (n == 1) return static_cast<std::int32_t>(src.hosts[0]);
      return power_of_choices(src.hosts.data(), n, settings_.choice_count, pick, rng);
    }
  }
}

std::int32_t LoadBalancer::table_lookup(const PriorityState& ps, std::uint64_t hash,
                                        std::uint32_t attempt) const {
  if (settings_.kind == Kind::Maglev) {
    if (ps.maglev.empty()) return kNoHost;
    // A retry flips most bits of the hash so that it lands far away in the table.
    if (attempt > 0) hash ^= ~0ULL - attempt + 1;
    return ps.maglev[hash % ps.maglev.size()];
  }
  if (ps.ring.empty()) return kNoHost;
  // Ketama's search as Envoy ports it (ketama_get_server): first entry with hash >= h,
  // wrapping to 0. Signed indices on purpose.
  const auto size = static_cast<std::int64_t>(ps.ring.size());
  std::int64_t low = 0;
  std::int64_t high = size;
  std::int64_t mid = 0;
  while (true) {
    mid = (low + high) / 2;
    if (mid == size) {
      mid = 0;
      break;
    }
    const std::uint64_t midval = ps.ring[mid].hash;
    const std::uint64_t midval1 = mid == 0 ? 0 : ps.ring[mid - 1].hash;
    if (hash <= midval && hash > midval1) break;
    if (midval < hash) {
      low = mid + 1;
    } else {
      high = mid - 1;
    }
    if (low > high) {
      mid = 0;
      break;
    }
  }
  // A retry behaves as if the chosen entry were not on the ring: step `attempt` entries on.
  if (attempt > 0) mid = (mid + attempt) % size;
  return static_cast<std::int32_t>(ps.ring[mid].host);
}

namespace {
bool contains(std::span<const std::int32_t> list, std::int32_t host) {
  return std::find(list.begin(), list.end(), host) != list.end();
}
}  // namespace

std::int32_t LoadBalancer::choose_hash(const Pick& pick, engine::RngStream& rng) {
  // No key in the request: a random value, which makes this a random LB (E-TA chooseHost).
  const std::uint64_t h = pick.hash ? *pick.hash : rng.next_u64();
  const PriorityState& ps = priorities_[choose_priority(h)];
  const std::uint32_t attempts = pick.avoid.empty() ? 1 : 1 + pick.max_selection_retries;
  std::int32_t host = kNoHost;
  for (std::uint32_t i = 0; i < attempts; ++i) {
    host = table_lookup(ps, h, i);
    if (host == kNoHost || !contains(pick.avoid, host)) return host;
  }
  return host;
}

// Decides whether picks can take the fast path until the next change. The rebuilds it does
// are those the slow path would do at this pick; the other workers' rebuilds it does early are
// the same as at their own first pick, because under the fast path's conditions a worker's
// rebuild reads neither the pick (no slow start, no EDF weights) nor the stream (no locality
// scheduler).
void LoadBalancer::prepare_fast(const Pick& pick, engine::RngStream& rng) {
  if (shared_dirty_) rebuild_shared();
  fast_.mode = FastMode::Off;
  const bool kind_ok = settings_.kind == Kind::RoundRobin || settings_.kind == Kind::LeastRequest;
  const bool locality = settings_.locality_weighted && !locality_weights_.empty();
  if (!fast_allowed_ || !kind_ok || priorities_.size() != 1 || slow_start_enabled() || locality) return;
  const PriorityState& ps = priorities_[0];
  const Source& src = ps.panic ? ps.all : ps.healthy;
  if (!src.equal_weights && src.hosts.size() > 1) return;  // EDF picks
  fast_.rr.clear();
  for (Worker& w : workers_) {
    if (w.dirty) rebuild_worker(w, pick, rng);
    fast_.rr.push_back(&w.priorities[0].sources[ps.panic ? 0 : 1].rr);
  }
  fast_.n = static_cast<std::uint32_t>(src.hosts.size());
  fast_.hosts = src.hosts.data();
  fast_.first = fast_.n > 0 ? src.hosts[0] : 0;
  fast_.choice_count = settings_.choice_count;
  fast_.mode = settings_.kind == Kind::RoundRobin ? FastMode::RoundRobin : FastMode::LeastRequest;
}

// choose_once under the fast path's conditions: source 1 (0 in panic) of priority 0, no EDF.
std::int32_t LoadBalancer::choose_fast_once(const Pick& pick, engine::RngStream& rng) {
  const std::uint32_t n = fast_.n;
  if (n == 0) return kNoHost;
  if (fast_.mode == FastMode::RoundRobin) {
    std::uint64_t& rr = *fast_.rr[pick.worker % fast_.rr.size()];
    return static_cast<std::int32_t>(n == 1 ? (rr++, fast_.first) : fast_.hosts[rr++ % n]);
  }
  if (n == 1) return static_cast<std::int32_t>(fast_.first);
  return power_of_choices(fast_.hosts, n, fast_.choice_count, pick, rng);
}

std::int32_t LoadBalancer::choose(const Pick& pick, engine::RngStream& rng) {
  if (fast_.mode == FastMode::Unknown) prepare_fast(pick, rng);
  if (fast_.mode != FastMode::Off) {
    const std::uint32_t attempts = pick.avoid.empty() ? 1 : 1 + pick.max_selection_retries;
    std::int32_t host = kNoHost;
    for (std::uint32_t i = 0; i < attempts; ++i) {
      host = choose_fast_once(pick, rng);
      if (host == kNoHost || !contains(pick.avoid, host)) return host;
    }
    return host;
  }
  if (shared_dirty_) rebuild_shared();
  if (hash_based()) return choose_hash(pick, rng);
  Worker& w = workers_[pick.worker % workers_.size()];
  if (w.dirty) rebuild_worker(w, pick, rng);
  const bool slow = !no_hosts_in_slow_start(pick.now);
  const std::uint32_t attempts = pick.avoid.empty() ? 1 : 1 + pick.max_selection_retries;
  std::int32_t host = kNoHost;
  for (std::uint32_t i = 0; i < attempts; ++i) {
    host = choose_once(pick, w, slow, rng);
    if (host == kNoHost || !contains(pick.avoid, host)) return host;
  }
  return host;  // every selection hit a tried host: use the last one (§5.5)
}

// ------------------------------------------------------------------ old interface

void LoadBalancer::sync_legacy(std::span<const std::uint32_t> eligible) {
  if (started_ && std::equal(eligible.begin(), eligible.end(), legacy_eligible_.begin(),
                             legacy_eligible_.end())) {
    return;
  }
  legacy_eligible_.assign(eligible.begin(), eligible.end());
  std::uint32_t n = 0;
  for (std::uint32_t h : eligible) n = std::max(n, h + 1);
  std::vector<LbHost> hosts(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    hosts[i].address = "#" + std::to_string(i);
    hosts[i].healthy = false;
  }
  for (std::uint32_t h : eligible) hosts[h].healthy = true;
  set_hosts(std::move(hosts), {}, SimTime{});
}

std::int32_t LoadBalancer::choose(std::uint32_t worker, std::span<const std::uint32_t> eligible,
                                  std::span<const std::uint32_t> active_requests,
                                  engine::RngStream& rng) {
  sync_legacy(eligible);
  Pick pick;
  pick.worker = worker;
  pick.active_requests = active_requests;
  return choose(pick, rng);
}

std::int32_t LoadBalancer::choose_avoiding(std::uint32_t worker,
                                           std::span<const std::uint32_t> eligible,
                                           std::span<const std::uint32_t> active_requests,
                                           std::span<const std::int32_t> tried,
                                           std::uint32_t max_selection_retries,
                                           engine::RngStream& rng) {
  sync_legacy(eligible);
  Pick pick;
  pick.worker = worker;
  pick.active_requests = active_requests;
  pick.avoid = tried;
  pick.max_selection_retries = max_selection_retries;
  return choose(pick, rng);
}

// ------------------------------------------------------------------ introspection

std::vector<std::uint32_t> LoadBalancer::priority_loads() {
  if (shared_dirty_) rebuild_shared();
  return load_;
}

std::vector<bool> LoadBalancer::priority_panic() {
  if (shared_dirty_) rebuild_shared();
  std::vector<bool> out;
  for (const PriorityState& ps : priorities_) out.push_back(ps.panic);
  return out;
}

std::int32_t LoadBalancer::hash_lookup(std::uint32_t priority, std::uint64_t hash,
                                       std::uint32_t attempt) {
  if (shared_dirty_) rebuild_shared();
  if (priority >= priorities_.size()) return kNoHost;
  return table_lookup(priorities_[priority], hash, attempt);
}

std::size_t LoadBalancer::ring_size(std::uint32_t priority) {
  if (shared_dirty_) rebuild_shared();
  if (priority >= priorities_.size()) return 0;
  const PriorityState& ps = priorities_[priority];
  return settings_.kind == Kind::Maglev ? ps.maglev.size() : ps.ring.size();
}

}  // namespace meshtwin::proxy
