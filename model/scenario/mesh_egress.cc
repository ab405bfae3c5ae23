// Egress (docs/semantics.md §20): what reaches a host outside the mesh — plain HTTP, or TLS that
// the app or the caller's proxy (a DestinationRule tls SIMPLE/MUTUAL, Envoy's
// UpstreamTlsContext) opened — and how such a host answers on the port and scheme it was
// reached by (`spec.externals.<host>.ports`).

#include "model/scenario/mesh_impl.h"
#include "model/text/i18n.h"

namespace meshtwin::scenario {

// The app's own TLS (an `https://` URL: a TLS connection the sidecar passes on), or TLS the
// caller's proxy originates for the cluster it picked. A caller without a sidecar has no
// cluster: only its own TLS counts.
bool MeshImpl::arrives_over_tls(const ServerReq& r) {
  if (r.target && r.target->transport == Target::Transport::Tls) return true;
  return r.via && r.via->upstream_tls.originates();
}

// An outside host with `ports` answers by the port the request reached it on (§20.3):
//  - a port it does not list is closed: the connection is refused (the caller's proxy sees a
//    connect failure, 503 UF, which its retry policy may retry);
//  - plain bytes on an HTTPS port: the server's TLS stack reads no ClientHello and closes the
//    connection before any response (503 UC at the caller);
//  - a TLS handshake on a plain HTTP port fails (Envoy: connection failure, 503 UF);
//  - otherwise the port's entry answers: its status (301 with Location https://<host><path> on
//    a `redirectToHttps` port), its service time and failures, the host's where it gives none.
bool MeshImpl::answer_by_port(ServerReqId req, const AppRt& app) {
  ServerReq& r = server_reqs_[req];
  const PodRt& pod = pods_[r.pod];
  const AppRt::PortRule* rule = nullptr;
  for (const AppRt::PortRule& p : app.ports)
    if (p.port == r.port) rule = &p;
  const bool tls = arrives_over_tls(r);
  if (!rule || rule->tls != tls) {
    MESH_DLOG(AppFailure, r.request_id, r.depth, LogField::t("pod", pod.name),
              LogField::m("failure", !rule  ? N_("a closed port (the connection is refused)")
                                     : tls ? N_("a TLS handshake on a plain HTTP port")
                                           : N_("plain bytes on an HTTPS port (the server closes the connection)")));
    r.reply = rule && !tls ? ServerReq::Reply::ResetBeforeHeaders : ServerReq::Reply::ConnectFailure;
    respond(req, 0);
    return true;
  }
  const app::Endpoint& ep = app.endpoints[static_cast<std::size_t>(rule->endpoint)];
  r.handling = app::Handling{};  // the delay stays drawn (no path capture here)
  r.handling.endpoint = &ep;
  r.handling.index = rule->endpoint;
  r.handling.status = ep.status;
  if (rule->redirect_to_https) {
    // The Host header names the host (its port dropped: https has its own default port).
    std::string_view host = r.target->authority;
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos)
      host = host.substr(0, colon);
    std::string location = "https://";
    location.append(host);
    location.append(r.target->path.empty() ? std::string_view("/") : r.target->path);
    r.location = strings_.intern(location);
  }
  return false;
}

// A VirtualService (or Gateway API) redirect: Envoy builds the Location from the route's parts
// and this request (xds::redirect_location, the one `explain` prints).
std::string_view MeshImpl::redirect_location(const Stream& s, const xds::Route& route) {
  const Target& t = *s.target;
  xds::RequestAttributes request;
  request.authority = t.authority;
  request.path = t.path.empty() ? std::string_view("/") : t.path;
  request.method = t.method;
  request.scheme = t.transport == Target::Transport::Tls ? "https" : "http";
  request.headers = s.headers.items.data();
  request.header_count = s.headers.count;
  return strings_.intern(xds::redirect_location(route, request));
}

// A require_tls virtual host's answer to plaintext (a gateway server's tls.httpsRedirect, §11):
// Envoy's https://<Host><path>, the Host as the request carried it (port included).
std::string_view MeshImpl::tls_redirect_location(const Stream& s) {
  const Target& t = *s.target;
  redirect_scratch_.assign("https://");
  redirect_scratch_ += t.authority;
  redirect_scratch_ += t.path.empty() ? std::string_view("/") : t.path;
  return strings_.intern(redirect_scratch_);  // stored once per distinct Location
}

}  // namespace meshtwin::scenario
