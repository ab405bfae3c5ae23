#pragma once

// A sidecar's (or gateway's) listener side, as Envoy's listener manager and HTTP connection
// manager act on a new stream (docs/semantics.md §2–§3, §6, §9.1, §12–§14): outbound, the
// listener for the dialled address and port, its filter chain, then the HCM's virtual host,
// route, weighted cluster, fault filter and header mutations, or the tcp_proxy's cluster;
// inbound, the inbound cluster's breaker in front of the app. Decisions only: the mesh applies
// them to its streams. No allocation per request.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/rng.h"
#include "engine/time.h"
#include "model/proxy/headers.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::proxy {

// Virtual-host picks remembered per (route table, authority): xds::RouteConfiguration::
// find_virtual_host folds and hashes the host on every request, while a mesh's streams name a
// few authorities, each a view the mesh interned for the run. An entry is verified against a
// copy of its text, so a view whose text changed only misses. Its owner must clear() it before
// a route table it was used with can be freed (a config push), since a new table may take the
// old one's address.
//
// A caller may also keep a VirtualHostHint beside an authority it sends again and again (the
// mesh keeps one per call target): one slot, no hashing, in a line the caller reads anyway. At
// 1,000 services the shared entries are too few for ~N authorities × proxy classes, and most
// streams of a target go through proxies of one class, so the hint hits where the cache would
// miss. clear() ends every hint (an epoch), so hints need no clearing of their own; a hint is
// used with one cache only.
struct VirtualHostHint {
  const xds::RouteConfiguration* rc = nullptr;
  std::uint64_t epoch = 0;  // the cache's when filled; 0 never matches
  std::int32_t vh = -1;
};

class VirtualHostCache {
 public:
  // `hint`, when given, must belong to this authority (the same text every time).
  std::int32_t find(const xds::RouteConfiguration& rc, std::string_view authority, VirtualHostHint* hint = nullptr);
  void clear() {
    entries_.assign(kEntries, Entry{});
    ++epoch_;
  }

 private:
  struct Entry {
    const xds::RouteConfiguration* rc = nullptr;
    std::string text;  // the authority
    std::int32_t vh = -1;
  };
  std::int32_t find_shared(const xds::RouteConfiguration& rc, std::string_view authority);
  static constexpr std::size_t kEntries = 256;  // power of two, direct-mapped
  std::vector<Entry> entries_ = std::vector<Entry>(kEntries);
  std::uint64_t epoch_ = 1;
};

// What the app sends into its sidecar: the connection it opened and the request on it.
struct Downstream {
  enum class Transport : std::uint8_t { Http, Tcp, Tls };
  Transport transport = Transport::Http;
  std::string_view address;  // the IP dialled
  std::uint32_t port = 80;
  std::string_view sni;      // Tls
  std::string_view authority, path, method;
  const HeaderSet* headers = nullptr;
  VirtualHostCache* vhosts = nullptr;  // optional: the caller's cache of virtual-host picks
  VirtualHostHint* vhost_hint = nullptr;  // optional, with vhosts: the authority's own slot
};

// Where a new stream goes, or the local reply that ends it (§2.5, §3.2, §14).
struct RouteDecision {
  enum class Kind : std::uint8_t {
    LocalReply,  // status + flags: no route, no cluster, a protocol error, a redirect
    Http,        // an HCM route to a cluster: next the fault filter, then the router
    Tcp,         // a tcp_proxy connection to a cluster: straight to the upstream (no retries)
  };
  Kind kind = Kind::LocalReply;
  int status = 0;
  std::uint32_t flags = 0;
  const xds::Route* route = nullptr;  // the matched route (also for a local reply it made)
  bool has_vs_rule = false;           // vs_rule names the VirtualService rule ("" none)
  std::string_view vs_rule;
  bool picked = false;                // a weighted cluster was picked (cluster may be none)
  std::int32_t cluster = xds::kNoCluster;
  std::string_view cluster_name;
  std::uint32_t weighted_pick = 0;
  std::uint64_t random = 0;           // the stream's random value (weighted pick, mirrors, §3.5)
  // A plaintext request to a virtual host that requires TLS (a gateway server's
  // tls.httpsRedirect, §11): the 301's Location is https://<Host><path>, as Envoy's
  // require_tls builds it.
  bool tls_redirect = false;
};

// The outbound listener side for a new stream. `route_rng` draws the stream's random value.
RouteDecision route_outbound(const xds::ProxyConfig& config, const Downstream& downstream,
                             engine::RngStream& route_rng);

// The fault filter (§6): the delay roll (first), the abort roll (after the delay, or at once);
// an abort is the status to answer with.
bool roll_fault_delay(const xds::Route& route, engine::RngStream& fault_rng);
std::optional<int> roll_fault_abort(const xds::Route& route, engine::RngStream& fault_rng);

// Envoy's header operations on the request to the upstream (§3.4): remove, then set (replace),
// then add (append). Values live in the proxy config, stable for the run. Inline for the
// common case of a route without header operations (two calls per forwarded request).
void apply_header_ops_to(HeaderSet& headers, const xds::HeaderOps& ops);
inline void apply_header_ops(HeaderSet& headers, const xds::HeaderOps& ops) {
  if (!ops.empty()) apply_header_ops_to(headers, ops);
}

// The server sidecar's inbound cluster limits: the DestinationRule connection pool of the
// service and port a request addressed, as the pod's own sidecar resolved it, summed over all
// callers (§7.3, §9.1). Requests are the owner's ids.
class InboundGate {
 public:
  bool resolved() const { return resolved_; }
  // `own`: the pod's sidecar config; `via`: the caller's cluster (nullptr: unknown).
  void resolve(const xds::ProxyConfig& own, const xds::Cluster* via);

  enum class Admit : std::uint8_t { Pass, Enter, Wait, Overflow };
  // Pass: no limits, nothing held; Enter: the request holds an inbound slot (leave() frees
  // it); Wait: it queues; Overflow: the server sidecar's own breaker, a 503 UO (§9.3).
  Admit admit(std::uint32_t request);
  // A request holding a slot finished: the slot is free.
  void leave() { --active_; }
  // The oldest waiting request (kNone when none); the owner skips finished ones and calls
  // enter() for the one that takes the slot.
  static constexpr std::uint32_t kNone = 0xffffffffu;
  std::uint32_t next_waiting();
  void enter() { ++active_; }
  // The pod is gone: nobody waits any more (those holding slots leave as they are reset).
  void drop_waiting() {
    if (waiting_) waiting_->clear();
  }

 private:
  bool resolved_ = false;
  bool limited_ = false;
  std::uint64_t max_active_ = 0;   // requests at the app at once (HTTP/1.1: connections)
  std::uint64_t max_pending_ = 0;
  std::uint64_t active_ = 0;
  // Allocated when a request first waits: 8 bytes in the pod's hot lines, not a deque's 80.
  std::unique_ptr<std::deque<std::uint32_t>> waiting_;
};

}  // namespace meshtwin::proxy
