#pragma once

// Target: where an app's request or connection goes, as the scenario resolved it. Private to
// model/scenario (mesh_impl.h includes it).

#include <cstdint>
#include <string_view>

#include "model/proxy/sidecar.h"
#include "model/registry/registry.h"
#include "model/scenario/ids.h"
#include "model/telemetry/records.h"

namespace meshtwin::scenario {

// Where an app's request or connection goes, resolved once when the scenario is built: what the
// caller's sidecar sees (the address and port dialled, the transport, the SNI) and what the
// request carries. Streams point at it; it lives as long as its client or call.
struct Target {
  using Transport = proxy::Downstream::Transport;
  // Where the last stream to this target went, for MeshImpl::prefetch_route: addresses only (a
  // push may have freed them since), prefetched, never read. First, to share the line of a
  // call's spec pointer (CallRt is line-aligned) that an app call has just read.
  mutable std::uintptr_t last_route = 0;    // the xds::Route matched
  mutable std::uintptr_t last_cluster = 0;  // the ClusterRt taken, of last_proxy
  mutable std::uintptr_t last_pools = 0;    // its host's connection pools (one line per worker)
  mutable std::uintptr_t last_connection = 0;  // the connection the stream took there
  mutable std::uintptr_t last_pod = 0;         // the PodRt it was sent to (send_to_server)
  mutable ProxyId last_proxy;
  // route_stream's remembered virtual host for `authority` (proxy::VirtualHostHint): written
  // through a const Target, as a cache, never read as the target's meaning.
  mutable proxy::VirtualHostHint vhost_hint;
  Transport transport = Transport::Http;
  std::string_view method, authority, path;  // Tcp: method "TCP", path "-"
  std::uint32_t port = 80;
  std::string_view address;  // the IP dialled (registry::Registry::dial); a gateway pod's own IP
  std::string_view sni;      // Tls: the URL's host
  const registry::Service* service = nullptr;  // what the app's DNS lookup answers; nullptr: outside
  // The host outside the mesh that answers at the dialled address (a pod of MeshImpl::pods_),
  // for passthrough and for callers without a sidecar; none when the registry's pods answer.
  PodId outside;
  bool is_connection() const { return transport != Transport::Http; }
  // Whether the Service's port the target dials is gRPC (Istio's request_protocol label),
  // remembered for the port it was found for: every recorded hop asks, and the Service and its
  // ports are two more lines to miss at 1,000 services. A copy given another port (a gateway's
  // forward) finds it again.
  bool grpc_port() const {
    if (grpc_port_of_ != port + 1) {
      grpc_port_ = false;
      if (service) {
        for (const auto& p : service->ports) {
          if (p.port == port) {
            grpc_port_ = p.protocol == registry::Protocol::GRPC;
            break;
          }
        }
      }
      grpc_port_of_ = port + 1;
    }
    return grpc_port_;
  }
  mutable std::uint32_t grpc_port_of_ = 0;  // port + 1 that grpc_port_ answers for; 0: none yet
  mutable bool grpc_port_ = false;
  // The metrics sink's memo for the label key of this target's last recorded stream
  // (telemetry::SeriesMemo, through LabelKey::memo): written by the sink, never read here.
  // MeshImpl::prefetch_record_labels fetches it when the stream's attempt is sent.
  mutable telemetry::SeriesMemo series_memo;
};

}  // namespace meshtwin::scenario
