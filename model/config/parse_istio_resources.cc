// Istio Gateway, ServiceEntry and Sidecar (networking.istio.io), with Istio's validation mirrored
// as in parse_istio.cc.
#include <algorithm>
#include <limits>

#include "model/config/parse_istio_shared.h"

namespace meshtwin::config::parse {
namespace istio {

void read_port_spec(const Value& v, PortSpec& p, bool protocol_required, const api::Message& schema) {
  MapReader m(v, schema);
  if (!m.ok()) return;
  if (m.require("number", "number is required: the port number (1-65535)")) read_port_number(m, "number", p.number);
  if (protocol_required) m.require("protocol", "protocol is required (HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP or TLS)");
  m.read("protocol", p.protocol);
  m.read("name", p.name);
  read_port_number(m, "targetPort", p.target_port);
  m.finish();
}

// DestinationRule's selector is type.v1beta1.WorkloadSelector (matchLabels); ServiceEntry's and
// Sidecar's are networking.v1.WorkloadSelector (labels).
std::optional<Labels> read_workload_selector(MapReader& m, std::string_view labels_key) {
  auto ws = m.get("workloadSelector");
  if (!ws) return std::nullopt;
  MapReader wm(*ws, labels_key == "matchLabels" ? api::kWorkloadSelectorMatchLabels : api::kWorkloadSelectorLabels);
  if (!wm.ok()) return std::nullopt;
  Labels l;
  read_labels(wm, labels_key, l);
  wm.finish();
  return l;
}

}  // namespace istio

using namespace istio;

void parse_gateway(MapReader& doc, Gateway& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a Gateway needs servers", api::kGateway);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  read_labels(spec, "selector", out.selector);
  if (auto servers = spec.require("servers", "servers is required: the ports and hosts this gateway exposes")) {
    read_object_list(*servers, api::kServer, out.servers, [](MapReader& m, Server& s, const Value& item) {
      s.location = item.location();
      if (auto port = m.require("port", "port is required: the port this server listens on"))
        read_port_spec(*port, s.port, /*protocol_required=*/true, api::kPort);
      m.read("bind", s.bind);
      if (auto hosts = m.require("hosts", "hosts is required: the hosts this server exposes (\"*\" for all)")) {
        if (auto h = hosts->as_string_list()) {
          if (h->empty()) hosts->error("hosts must have at least one host (\"*\" for all)");
          s.hosts = *h;
        }
      }
      if (auto tls = m.get("tls")) {
        MapReader tm(*tls, api::kServerTLSSettings);
        if (tm.ok()) {
          ServerTLSSettings t;
          tm.read("httpsRedirect", t.https_redirect);
          tm.read_enum("mode", t.mode,
                       {"PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"});
          tm.read("credentialName", t.credential_name);
          tm.read("subjectAltNames", t.subject_alt_names);
          tm.read_enum("minProtocolVersion", t.min_protocol_version,
                       {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"});
          tm.read_enum("maxProtocolVersion", t.max_protocol_version,
                       {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"});
          tm.finish();
          s.tls = t;
        }
      }
      m.read("name", s.name);
    }, "servers must have at least one server");
  }
  spec.finish();
}

void parse_service_entry(MapReader& doc, ServiceEntry& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a ServiceEntry needs hosts", api::kServiceEntry);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  if (auto hosts = spec.require("hosts", "hosts is required: the host names this ServiceEntry adds")) {
    if (auto h = hosts->as_string_list()) {
      if (h->empty()) hosts->error("hosts must have at least one host");
      for (std::size_t i = 0; i < h->size(); ++i) {
        if ((*h)[i] == "*") hosts->at(i).error("host \"*\" is not allowed in a ServiceEntry; use a wildcard such as \"*.example.com\"");
        else if ((*h)[i].empty()) hosts->at(i).error("host must not be empty");
      }
      out.hosts = *h;
    }
  }
  spec.read("addresses", out.addresses);
  if (auto ports = spec.get("ports")) {
    read_list(*ports, out.ports, [](const Value& item, PortSpec& p) {
      read_port_spec(item, p, /*protocol_required=*/false, api::kServicePortIstio);
    });
  }
  spec.read_enum("location", out.location, {"MESH_EXTERNAL", "MESH_INTERNAL"});
  spec.read_enum("resolution", out.resolution, {"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"});
  std::optional<Value> endpoints_v = spec.get("endpoints");
  if (endpoints_v) {
    read_object_list(*endpoints_v, api::kWorkloadEntry, out.endpoints,
                     [](MapReader& m, WorkloadEntrySpec& e, const Value&) {
      m.read("address", e.address);
      if (auto ports = m.get("ports")) {
        MapReader pm(*ports);
        if (pm.ok()) {
          for (auto& [name, num] : pm.entries()) {
            if (auto n = num.as_int(1, 65535)) e.ports[name] = static_cast<std::uint32_t>(*n);
          }
        }
      }
      read_labels(m, "labels", e.labels);
      m.read("network", e.network);
      m.read("locality", e.locality);
      m.read_uint("weight", e.weight, 0, kUint32Max);
      m.read("serviceAccount", e.service_account);
    });
  }
  const bool has_selector = spec.has("workloadSelector");
  out.workload_selector = read_workload_selector(spec, "labels");
  spec.read("exportTo", out.export_to);
  spec.read("subjectAltNames", out.subject_alt_names);
  spec.finish();
  if (endpoints_v && has_selector)
    error_at(spec.value(), "workloadSelector", "set either endpoints or workloadSelector, not both");
  if (out.resolution == "NONE" && !out.endpoints.empty())
    error_at(spec.value(), "endpoints",
             "endpoints are not allowed with resolution NONE (traffic goes to the address the app dialled); use "
             "STATIC or DNS");
}

void parse_sidecar(MapReader& doc, Sidecar& out) {
  read_metadata(doc, out.meta);
  auto spec_opt = spec_of(doc, "a Sidecar needs egress or ingress settings", api::kSidecar);
  if (!spec_opt) return;
  MapReader& spec = *spec_opt;
  out.workload_selector = read_workload_selector(spec, "labels");
  if (auto ingress = spec.get("ingress")) {
    read_object_list(*ingress, api::kIstioIngressListener, out.ingress,
                     [](MapReader& m, IstioIngressListener& l, const Value&) {
      if (auto port = m.require("port", "port is required: the port this ingress listener receives on"))
        read_port_spec(*port, l.port, /*protocol_required=*/false, api::kSidecarPort);
      m.read("bind", l.bind);
      m.read_enum("captureMode", l.capture_mode, {"DEFAULT", "IPTABLES", "NONE"});
      m.read("defaultEndpoint", l.default_endpoint);
      if (auto cp = m.get("connectionPool")) {
        ConnectionPoolSettings x;
        read_connection_pool(*cp, x);
        l.connection_pool = x;
      }
    });
  }
  if (auto egress = spec.get("egress")) {
    read_object_list(*egress, api::kIstioEgressListener, out.egress,
                     [](MapReader& m, IstioEgressListener& l, const Value&) {
      if (auto port = m.get("port")) {
        PortSpec p;
        read_port_spec(*port, p, /*protocol_required=*/false, api::kSidecarPort);
        l.port = p;
      }
      m.read("bind", l.bind);
      m.read_enum("captureMode", l.capture_mode, {"DEFAULT", "IPTABLES", "NONE"});
      if (auto hosts = m.require("hosts", "hosts is required: which services this proxy sees, as namespace/host")) {
        if (auto h = hosts->as_string_list()) {
          if (h->empty()) hosts->error("hosts must have at least one entry such as \"./*\" or \"istio-system/*\"");
          for (std::size_t i = 0; i < h->size(); ++i) {
            const std::string& s = (*h)[i];
            const auto slash = s.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == s.size())
              hosts->at(i).error("egress host \"" + s + "\" must be of the form namespace/host, such as \"./*\", "
                                 "\"istio-system/*\" or \"*/reviews.default.svc.cluster.local\"");
          }
          l.hosts = *h;
        }
      }
    });
  }
  if (auto otp = spec.get("outboundTrafficPolicy")) {
    MapReader m(*otp, api::kOutboundTrafficPolicy);
    if (m.ok()) {
      std::string mode;
      if (m.read_enum("mode", mode, {"REGISTRY_ONLY", "ALLOW_ANY"})) out.outbound_traffic_policy_mode = mode;
      m.finish();
    }
  }
  if (auto cp = spec.get("inboundConnectionPool")) {
    ConnectionPoolSettings x;
    read_connection_pool(*cp, x);
    out.inbound_connection_pool = x;
  }
  spec.finish();
}

}  // namespace meshtwin::config::parse
