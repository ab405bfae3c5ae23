// Private to model/config: one parse function per modelled kind. Each reads a whole document
// (already known to be that kind) into its resource and reports every problem through the
// reader; the loader applies the resource only when no error was reported.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/config/resources.h"
#include "model/config/yaml_reader.h"

namespace meshtwin::config::parse {

using yaml::MapReader;
using yaml::Value;

Labels to_labels(const yaml::StringMap& m);
// A map of label-like strings (labels, annotations, selectors): values must be strings, as
// Kubernetes requires (`version: 1` is rejected there too).
bool read_labels(MapReader& m, std::string_view key, Labels& out);
bool read_labels(MapReader& m, std::string_view key, std::optional<Labels>& out);

// The loops every list field shares. A value that is not a list is reported by as_list() and
// read as empty; `empty_error`, when given, is reported at the list when it has no items.
//
// read_list: each item read by `read(item, x)` into a new element of `out`.
template <class T, class F>
void read_list(const Value& list, std::vector<T>& out, F read, std::string_view empty_error = {}) {
  auto items = list.as_list();
  if (!items) return;
  if (items->empty() && !empty_error.empty()) list.error(std::string(empty_error));
  for (const Value& item : *items) {
    T x;
    read(item, x);
    out.push_back(std::move(x));
  }
}

// read_object_list: each item a mapping of `schema`, read by `read(m, x, item)`; an item that is
// not a mapping is skipped (MapReader reported it), and every item's unread fields are reported
// (finish) before it is kept.
template <class T, class F>
void read_object_list(const Value& list, const api::Message& schema, std::vector<T>& out, F read,
                      std::string_view empty_error = {}) {
  auto items = list.as_list();
  if (!items) return;
  if (items->empty() && !empty_error.empty()) list.error(std::string(empty_error));
  for (const Value& item : *items) {
    MapReader m(item, schema);
    if (!m.ok()) continue;
    T x;
    read(m, x, item);
    m.finish();
    out.push_back(std::move(x));
  }
}

// metadata: name (required), namespace (default "default"), labels, annotations,
// creationTimestamp. Sets meta.location to the document.
void read_metadata(MapReader& doc, ObjectMeta& meta);

// Kubernetes kinds.
void parse_namespace(MapReader& doc, Namespace& out);
void parse_service(MapReader& doc, Service& out);
// Deployment, StatefulSet, ReplicaSet, DaemonSet and Pod.
void parse_workload(MapReader& doc, const std::string& kind, Workload& out);

// Istio networking.istio.io kinds.
void parse_virtual_service(MapReader& doc, VirtualService& out);
void parse_destination_rule(MapReader& doc, DestinationRule& out);
void parse_gateway(MapReader& doc, Gateway& out);
void parse_service_entry(MapReader& doc, ServiceEntry& out);
void parse_sidecar(MapReader& doc, Sidecar& out);

// Kinds istiod translates into its own config, or that lint reads (parse_gateway_api.cc).
void parse_endpoint_slice(MapReader& doc, EndpointSlice& out);
void parse_ingress(MapReader& doc, Ingress& out);
void parse_gateway_api_gateway(MapReader& doc, GatewayApiGateway& out);
void parse_http_route(MapReader& doc, GatewayApiHTTPRoute& out);
void parse_l4_route(MapReader& doc, const std::string& kind, GatewayApiL4Route& out);  // TCPRoute, TLSRoute
void parse_grpc_route(MapReader& doc, GatewayApiGRPCRoute& out);
void parse_reference_grant(MapReader& doc, GatewayApiReferenceGrant& out);
void parse_peer_authentication(MapReader& doc, PeerAuthentication& out);

}  // namespace meshtwin::config::parse
