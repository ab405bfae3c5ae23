#pragma once

// A proxy's clusters at run time (ClusterRt) and the table that finds them (ClusterTable).
// Private to model/scenario (mesh_impl.h includes it).
//
// Laid out for a mesh of thousands of proxies, where the state of the proxy and cluster a hop
// goes through is rarely still in the 2 MB L2 (docs/performance.md "Per hop attempt at size"):
// what a hop reads sits in few cache lines, and the lookup from a cluster index to its state
// reads one line of the proxy instead of a hash bucket, a node and the object.

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "model/proxy/circuit_breaker.h"
#include "model/proxy/conn_pool.h"
#include "model/proxy/load_balancer.h"
#include "model/proxy/outlier_detector.h"
#include "model/scenario/ids.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::scenario {

class MeshImpl;

// Per endpoint of a cluster (by host index): rq_active and the pod, rq_active first (the span
// the load balancer reads). A cluster with one host (most of them) keeps both in the object
// itself (where the block's pointer would be), in its ClusterRt's first cache line; more hosts
// share one heap block. 16 bytes.
class ClusterHosts {
 public:
  ClusterHosts() { one_[0] = one_[1] = 0; }
  ClusterHosts(const ClusterHosts&) = delete;
  ClusterHosts& operator=(const ClusterHosts&) = delete;
  ~ClusterHosts() {
    if (cap_ > 0) delete[] heap_;
  }

  std::uint32_t size() const { return n_; }
  std::span<const std::uint32_t> active() const { return {data(), n_}; }
  std::uint32_t& active(std::uint32_t host) { return data()[host]; }
  PodId pod(std::uint32_t host) const { return PodId{data()[stride() + host]}; }
  // A host with no request in flight; returns its index.
  std::uint32_t add(PodId pod) {
    if (n_ == 0 && cap_ == 0) {
      one_[0] = 0;
      one_[1] = pod.value();
      return n_++;
    }
    if (n_ >= cap_) {
      // Grow: [active × cap | pods × cap] into a block twice the size.
      const std::uint32_t cap = std::max<std::uint32_t>(4, 2 * cap_);
      auto* block = new std::uint32_t[2 * static_cast<std::size_t>(cap)];
      for (std::uint32_t h = 0; h < n_; ++h) {
        block[h] = data()[h];
        block[cap + h] = data()[stride() + h];
      }
      if (cap_ > 0) delete[] heap_;
      heap_ = block;
      cap_ = cap;
    }
    heap_[n_] = 0;
    heap_[cap_ + n_] = pod.value();
    return n_++;
  }

 private:
  std::uint32_t stride() const { return cap_ > 0 ? cap_ : 1; }
  std::uint32_t* data() { return cap_ > 0 ? heap_ : one_; }
  const std::uint32_t* data() const { return cap_ > 0 ? heap_ : one_; }

  union {
    std::uint32_t* heap_;     // cap_ > 0: [active × cap_ | pods × cap_]
    std::uint32_t one_[2];    // cap_ == 0: one host's active count and pod
  };
  std::uint32_t n_ = 0;
  std::uint32_t cap_ = 0;
};

// One cluster of one proxy at run time: its load balancer, endpoints, connection pools and
// outlier detector. It answers its pools' callbacks by handing them to the mesh. Cache-line
// aligned, the fields a hop reads first (the LB's fast path starts the LoadBalancer).
struct alignas(64) ClusterRt final : proxy::ConnPool::Callbacks {
  bool retired = false;       // a push replaced it (its endpoints changed); retries move on
  bool original_dst = false;  // cluster->type == ORIGINAL_DST (set_cluster)
  bool overflowing = false;   // between overflow_began and overflow_ended events
  // The target port every endpoint shares (set_cluster), 0 when they differ: what a request
  // arrives on without reading the compiled cluster's endpoint list.
  std::uint32_t port = 0;
  const config::ConsistentHashLB* hash = nullptr;  // cluster->lb.hash (set_cluster)
  ClusterHosts hosts;
  // Only when the resolved DestinationRule policy has outlierDetection (§10.1). Hosts are
  // endpoint indices; its interval timer ticks through MeshImpl::on_outlier_tick. Every attempt
  // asks whether there is one.
  std::unique_ptr<proxy::OutlierDetector> outlier;
  proxy::LoadBalancer lb;  // its fast path's single host still in the first line
  ProxyId proxy;           // owning proxy (for events)
  proxy::ConnPool pools;  // endpoints × workers, with the cluster's limits and counters
  const xds::Cluster* cluster = nullptr;  // in the snapshot it was built from (set_cluster)
  std::string_view name;
  std::string_view service;  // destination_service label (FQDN), "unknown" for passthrough
  std::uint32_t healthy_in_eds = 0;  // for telling an EDS change on a config push
  MeshImpl* mesh;
  // `lb_seeds`: one per worker (proxy::LoadBalancer).
  ClusterRt(const proxy::LbSettings& settings, std::uint32_t workers, std::span<const std::uint64_t> lb_seeds,
            const proxy::CircuitBreakerThresholds& limits, std::uint32_t hosts, MeshImpl& owner,
            std::uint64_t* connection_serials)
      : lb(settings, lb_seeds), pools(limits, hosts, workers, *this, connection_serials), mesh(&owner) {}
  const proxy::CircuitBreakerThresholds& limits() const { return pools.limits(); }
  proxy::CircuitBreakerCounters& counters() { return pools.counters(); }
  // Points at `c` (a push's snapshot) and copies what every attempt asks of it.
  void set_cluster(const xds::Cluster& c) {
    cluster = &c;
    original_dst = c.type == xds::Cluster::Type::OriginalDst;
    hash = c.lb.hash ? &*c.lb.hash : nullptr;
    port = c.endpoints.empty() ? 0 : c.endpoints[0].port;
    for (const xds::ClusterEndpoint& e : c.endpoints)
      if (e.port != port) port = 0;
  }
  // The pod port a request to `host` arrives on (the endpoint's target port).
  std::uint32_t endpoint_port(std::uint32_t host) const {
    return port != 0 ? port : cluster->endpoints[host].port;
  }

  // proxy::ConnPool::Callbacks (mesh_upstream.cc)
  void open_connection(proxy::HostPoolId pool) override;
  bool claim(const proxy::PoolRequest& request) override;
  void attached(const proxy::PoolRequest& request, proxy::ConnectionId conn) override;
  void overflowed(const proxy::PoolRequest& request) override;
  void closed(std::uint64_t serial) override;
};

// A proxy's runtime clusters (T = ClusterRt) by index into its config's clusters, made on first
// use: a proxy pays only for the clusters it sends to (a mesh of N services has ~3N clusters per
// proxy; a dense table per proxy would grow as services × proxies). The first kInline entries are found
// in the table itself (most proxies send to a few clusters), the rest in an open-addressing
// table. Lookup O(1); an entry's object never moves.
template <class T>
class IndexTable {
 public:
  T* find(std::int32_t index) const {
    for (std::size_t i = 0; i < kInline; ++i)
      if (keys_[i] == index) return inline_[i];
    if (spill_.empty()) return nullptr;
    for (std::size_t i = slot_of(index);; i = (i + 1) & (spill_.size() - 1)) {
      if (spill_[i].index == index) return spill_[i].rt;
      if (spill_[i].index == kEmpty) return nullptr;
    }
  }
  // Sets (or replaces) the entry of `index`; returns the object.
  T& insert(std::int32_t index, std::unique_ptr<T> rt) {
    T* raw = rt.get();
    owned_.push_back({index, std::move(rt)});
    for (std::size_t i = 0; i < kInline; ++i)
      if (keys_[i] == index || keys_[i] == kEmpty) {
        keys_[i] = index;
        inline_[i] = raw;
        return *raw;
      }
    if ((spilled_ + 1) * 2 > spill_.size()) grow();
    put(index, raw);
    return *raw;
  }
  // Takes the entry of `index` out (its lookups then find nothing).
  std::unique_ptr<T> take(std::int32_t index) {
    T* raw = find(index);
    if (!raw) return nullptr;
    for (std::size_t i = 0; i < kInline; ++i)
      if (keys_[i] == index) inline_[i] = nullptr;
    if (!spill_.empty())
      for (std::size_t i = slot_of(index); spill_[i].index != kEmpty; i = (i + 1) & (spill_.size() - 1))
        if (spill_[i].index == index) spill_[i].rt = nullptr;
    for (auto& [key, owned] : owned_)
      if (owned.get() == raw) return std::move(owned);
    return nullptr;
  }
  // The indices with an entry, ascending.
  std::vector<std::int32_t> indices() const {
    std::vector<std::int32_t> out;
    for (const auto& [key, owned] : owned_)
      if (owned && find(key) == owned.get()) out.push_back(key);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  static constexpr std::size_t kInline = 4;
  static constexpr std::int32_t kEmpty = -1;
  struct Slot {
    std::int32_t index = kEmpty;
    T* rt = nullptr;
  };
  std::size_t slot_of(std::int32_t index) const {
    return (static_cast<std::uint32_t>(index) * 0x9E3779B9u) & (spill_.size() - 1);
  }
  void put(std::int32_t index, T* rt) {
    std::size_t i = slot_of(index);
    while (spill_[i].index != kEmpty && spill_[i].index != index) i = (i + 1) & (spill_.size() - 1);
    if (spill_[i].index == kEmpty) ++spilled_;
    spill_[i] = {index, rt};
  }
  void grow() {
    std::vector<Slot> old = std::move(spill_);
    spill_.assign(std::max<std::size_t>(8, old.size() * 2), Slot{});
    spilled_ = 0;
    for (const Slot& s : old)
      if (s.index != kEmpty) put(s.index, s.rt);
  }

  std::array<std::int32_t, kInline> keys_{kEmpty, kEmpty, kEmpty, kEmpty};
  std::array<T*, kInline> inline_{};
  std::vector<Slot> spill_;  // power-of-two size, at most half full
  std::size_t spilled_ = 0;
  // The objects, in insertion order (a replaced entry's object stays until the table goes).
  std::vector<std::pair<std::int32_t, std::unique_ptr<T>>> owned_;
};

using ClusterTable = IndexTable<ClusterRt>;

}  // namespace meshtwin::scenario
