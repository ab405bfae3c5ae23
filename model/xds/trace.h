// One call through a compiled proxy config, step by step, the way Envoy decides it: listener,
// listener filters, filter chain, HTTP connection manager (route configuration, virtual host,
// every route tried) or tcp_proxy, and the cluster. Pure: `meshtwin explain` and the conformance
// runner print or compare what it returns; the simulation uses the same lookups directly.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/xds/proxy_config.h"

namespace meshtwin::xds {

// A connection and (for HTTP) one request on it, as istiod's simulation tests describe calls
// (tests/data/conformance/README.md "Call").
struct Call {
  std::string address;  // destination IP; empty: 1.3.3.7 (matches no VIP)
  std::uint32_t port = 0;
  enum class Protocol { Unset, Http, Http2, Tcp };
  Protocol protocol = Protocol::Unset;
  enum class Tls { Plaintext, Tls, Mtls };
  Tls tls = Tls::Plaintext;
  std::string alpn;
  std::string sni;
  std::string host;  // Host header
  std::string path;  // empty: "/"
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  bool inbound = false;  // straight to virtualInbound, as iptables would redirect inbound traffic
  // istiod's simulator looks at the path only (no headers, query parameters or methods) when it
  // picks a route; the conformance runner asks for the same.
  bool path_only = false;

  // Call.FillDefaults: path "/", address 1.3.3.7, SNI from the host for TLS, ALPN by protocol.
  void fill_defaults();
  bool is_http() const { return (protocol == Protocol::Http || protocol == Protocol::Http2) && tls == Tls::Plaintext; }
};

enum class CallError {
  None,
  InvalidCall,  // ALPN on a plaintext call
  NoListener,
  NoFilterChain,
  MultipleFilterChains,
  TlsError,       // the chain terminates TLS, the call is plaintext
  MtlsError,      // the chain's Istio-mTLS status differs from the call's
  ProtocolError,  // an HTTP connection manager reached by TLS it does not terminate, or by non-HTTP
  NoVirtualHost,
  TlsRedirect,  // require_tls: a 301 to https
  NoRoute,
};
std::string_view to_string(CallError e);  // "none", "no_listener", ... as the conformance corpus writes them

struct RouteTried {
  const Route* route = nullptr;
  bool matched = false;
  std::string why;  // for a route that did not match: the first condition that failed
};

struct CallTrace {
  CallError error = CallError::None;
  // The names istioctl and istiod's simulator report (empty when not reached).
  std::string listener, filter_chain, route_config, virtual_host, route_name, cluster;

  const Listener* listener_ptr = nullptr;
  FilterChainSelection selection;  // chain and how it was chosen
  const RouteConfiguration* route_config_ptr = nullptr;
  const VirtualHost* virtual_host_ptr = nullptr;
  std::vector<RouteTried> routes_tried;
  const Route* route = nullptr;
  const TcpProxy* tcp = nullptr;
  std::vector<std::string> steps;  // one sentence per decision, in order
};

CallTrace trace_call(const ProxyConfig& config, Call call);

// Why a route's match rejects a request ("" when it matches): the path, a header, a query parameter.
std::string route_mismatch(const RouteMatch& match, const RequestAttributes& request, bool path_only = false);

// "prefix /reviews", "exact /productpage", "regex ^/v[0-9]+", "path-separated prefix /api".
std::string describe_match(const RouteMatch& match);

}  // namespace meshtwin::xds
