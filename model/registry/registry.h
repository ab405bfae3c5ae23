// model/registry owns hostnames and short-name resolution, services and their ports, pods
// (generated from workloads) and endpoints (pods selected by a Service). It depends on
// model/config only; it knows nothing of routing or simulation.
#pragma once

#include <cstdint>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/config/config_store.h"
#include "model/config/diagnostics.h"

namespace meshtwin::registry {

inline constexpr std::string_view kDefaultDomain = "cluster.local";

// Transparent hash so maps keyed by std::string can be probed with a string_view without
// building a std::string (lookups happen per request in the simulation).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Istio's protocol selection from a port name or appProtocol (docs/semantics.md §13): `http`,
// `http-foo`, `http2`, `grpc`, `grpc-web`, `tcp`, `tls`, `https`, `mongo`, `redis`, `mysql`;
// anything else is Unknown (protocol sniffing; meshtwin treats sniffed ports as HTTP when
// the scenario sends HTTP to them).
enum class Protocol { Unknown, HTTP, HTTP2, GRPC, HTTPS, TCP, TLS, Mongo, Redis, MySQL, UDP };
Protocol protocol_from_port(std::string_view port_name, std::string_view app_protocol);
bool is_http(Protocol p);  // HTTP, HTTP2, GRPC (and Unknown, sniffed)
std::string_view to_string(Protocol p);

// Istio's ResolveShortnameToFQDN (docs/semantics.md §1.1): `*` and IP addresses stay; a name without
// a dot becomes `<name>.<config_namespace>.svc.<domain>`; a name with a dot is left as is. An
// empty domain gives `<name>.<config_namespace>`, as istiod does for config without a domain
// suffix (its own simulation tests, tests/data/conformance/README.md).
std::string resolve_short_name(std::string_view host, std::string_view config_namespace,
                               std::string_view domain = kDefaultDomain);

bool is_ip_address(std::string_view s);

// A documentation address (RFC 5737) standing for what real DNS returns for a host outside the
// registry: it matches no VIP, as the real answer would not.
inline constexpr std::string_view kOutsideAddress = "203.0.113.10";

// An IPv4/IPv6 address or CIDR parsed for prefix matching ("10.0.0.0/8", "1234::1/16", "1.2.3.4").
struct Cidr {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
  bool v6 = false;
  std::uint32_t prefix_len = 0;  // 32/128 for a plain address
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const Cidr& address) const;  // address.prefix_len is ignored
  std::string to_string() const;
};

struct Pod {
  std::string name;        // deterministic: "<workload>-<ordinal>" e.g. reviews-v1-0
  std::string namespace_;
  std::string workload;    // Deployment (etc.) name
  std::string workload_kind;
  std::uint32_t ordinal = 0;
  config::Labels labels;
  config::Labels annotations;
  std::string ip;          // deterministic, 10.244.x.y
  bool has_sidecar = true; // docs/design.md §3.1 injection rules
  bool ready = true;
  // An Envoy that is itself a proxy: an Istio ingress/egress gateway or the `<name>-istio` Deployment
  // istiod runs for a Gateway API Gateway. It has no sidecar; compile_gateway builds its config.
  bool gateway_proxy = false;
  bool generated = false;  // provided by the registry (docs/design.md §3.1 default gateways), not a manifest
  std::string version;     // labels["version"], or "unknown"
  // Istio's telemetry labels of the pod as a peer (docs/results-schema.md `metrics`):
  // `app` is labels["app"], else labels["app.kubernetes.io/name"], else "unknown";
  // service_account is the pod template's serviceAccountName, else "default" (Kubernetes'),
  // the identity in its SPIFFE principal.
  std::string app;
  std::string service_account;
  // Istio's canonical service and revision of the pod (istio/istio pkg/kube/labels
  // CanonicalService, which the injector copies into the pod's labels and the proxy puts on its
  // spans as istio.canonical_service / istio.canonical_revision): the first of the labels
  // service.istio.io/canonical-name, app.kubernetes.io/name, app, else the workload's name; the
  // revision from service.istio.io/canonical-revision, app.kubernetes.io/version, version, else
  // "latest".
  std::string canonical_service;
  std::string canonical_revision;
  std::string locality;    // "region/zone/subzone", may be empty
  std::vector<config::ContainerPort> container_ports;

  // Resolves a Service targetPort against this pod's container ports (a named port may be a
  // different number on each pod). Returns 0 when the name is unknown.
  std::uint32_t resolve_target_port(std::uint32_t number, std::string_view name) const;
};

struct ServicePort {
  std::string name;
  std::uint32_t port = 0;
  Protocol protocol = Protocol::Unknown;
  std::uint32_t target_port_number = 0;  // 0 when named (see target_port_name) or unset (=port)
  std::string target_port_name;
};

// An endpoint that is not a pod: a ServiceEntry endpoint (WorkloadEntry-like), a DNS ServiceEntry's
// host (resolved by Envoy, docs/semantics.md §12.1), or an address of an EndpointSlice no pod owns.
struct ExternalEndpoint {
  std::string address;  // IP or DNS name
  std::map<std::string, std::uint32_t> ports;  // service port name -> endpoint port (overrides targetPort)
  config::Labels labels;
  std::string locality;
  std::uint32_t weight = 0;  // 0: unset (1)
  std::string network;
  bool ready = true;
  std::uint32_t service = 0;  // index into Registry::services() of the service it belongs to
};

struct Service {
  enum class Origin { Kubernetes, ServiceEntry, Generated };
  Origin origin = Origin::Kubernetes;
  std::string hostname;    // FQDN, e.g. reviews.default.svc.cluster.local
  std::string name;
  std::string namespace_;
  std::string address;     // cluster IP (deterministic, 10.96.x.y); empty when headless
  bool headless = false;
  std::string external_name;  // ExternalName services
  std::vector<ServicePort> ports;
  std::vector<std::uint32_t> pods;  // indices into Registry::pods(), selected by labels, in pod order
  std::vector<std::uint32_t> external_endpoints;  // indices into Registry::external_endpoints()
  // Every VIP and CIDR of the service: Kubernetes clusterIPs, ServiceEntry addresses as written
  // (Istio builds one listener per address). `address` is the first plain IP among them.
  std::vector<std::string> addresses;
  // The legacy auto-allocated VIP (RegistryOptions::legacy_ip_autoallocate); empty otherwise.
  std::string auto_allocated_address;
  // Istio's resolution: "" (Kubernetes ClusterIP: EDS), "Passthrough" (headless, ServiceEntry NONE),
  // "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS", "Alias" (ExternalName).
  std::string resolution;
  bool mesh_external = false;  // ServiceEntry location MESH_EXTERNAL
  config::Labels labels;       // the Service's / ServiceEntry's own labels
  std::vector<std::string> export_to;
  std::uint64_t creation_order = 0;
  const config::Service* k8s = nullptr;
  const config::ServiceEntry* service_entry = nullptr;

  const ServicePort* find_port(std::uint32_t port) const;
};

// Which pods of a workload exist right now, when the simulation's timeline has scaled,
// killed or restarted pods: ordinals (names continue the workload's sequence and are never
// reused) and readiness. Workloads without an entry get ordinals 0..replicas-1, all ready.
struct PodPlan {
  struct Member {
    std::uint32_t ordinal = 0;
    bool ready = true;
    // The pod template this pod was created from, when it differs from the workload's
    // current one (pods of the old revision during a rolling update); nullptr: current.
    std::shared_ptr<const config::Workload> revision;
  };
  std::unordered_map<std::string, std::vector<Member>> by_workload;  // key "namespace/name"
};

struct RegistryOptions {
  std::string domain{kDefaultDomain};
  // docs/design.md §3.1: Istio's demo-profile ingress and egress gateways (pods and Services in
  // istio-system) when no manifest defines them. Off for replaying istiod's own tests, whose fake
  // cluster has none.
  bool default_gateways = true;
  const PodPlan* pod_plan = nullptr;
  // istiod's legacy VIP allocation for ServiceEntries without addresses (PILOT_ENABLE_IP_AUTOALLOCATE
  // off): a 240.240.0.0/16 address per namespace/host, which proxies with DNS capture and
  // auto-allocation use as the service's address.
  bool legacy_ip_autoallocate = false;
};

// Built from a ConfigStore snapshot; immutable afterwards. Pods are generated from workloads
// (replicas each, ordinal names) in workload creation order, so indices are deterministic; pods the
// registry adds itself (default gateways, Gateway API deployments) come after them.
class Registry {
 public:
  static Registry build(const config::ConfigStore& store, config::Diagnostics& diags,
                        std::string_view domain = kDefaultDomain,
                        const PodPlan* pod_plan = nullptr);
  static Registry build(const config::ConfigStore& store, config::Diagnostics& diags,
                        const RegistryOptions& options);

  const std::vector<Pod>& pods() const { return pods_; }
  const std::vector<Service>& services() const { return services_; }
  const std::vector<ExternalEndpoint>& external_endpoints() const { return external_endpoints_; }
  std::string_view domain() const { return domain_; }

  const Service* find_service(std::string_view hostname) const;  // exact FQDN
  const Service* find_service_by_address(std::string_view ip) const;
  const Pod* find_pod(std::string_view namespace_, std::string_view name) const;
  // Pods of one workload, in ordinal order.
  std::vector<std::uint32_t> pods_of_workload(std::string_view namespace_,
                                              std::string_view workload) const;
  // Services whose selector picks the pod.
  std::vector<std::uint32_t> services_of_pod(std::uint32_t pod) const;

  // How an application in `from_namespace` resolves a DNS name (Kubernetes search path:
  // `<name>`, `<name>.<ns>`, `<name>.<ns>.svc`, FQDN). nullptr when no service answers.
  const Service* resolve_dns(std::string_view host, std::string_view from_namespace) const;

  // For "did you mean": the known name nearest to `host` by edit distance, in the form a person
  // would write it from `from_namespace` (the short name for a service there, name.namespace
  // for one elsewhere, the FQDN and ServiceEntry hosts as they are); empty when nothing is close.
  std::string nearest_host(std::string_view host, std::string_view from_namespace) const;

  // Where an application's connection to `host` goes: the service its DNS answer belongs to
  // (an ExternalName followed to its target) and the IP it dials — the VIP, else a headless
  // service's first pod, else a ServiceEntry's first IP endpoint, else an outside address
  // (kOutsideAddress: a name real DNS would answer, matching no VIP). `note` says which, for
  // explain.
  struct Dial {
    const Service* service = nullptr;  // nullptr: no Service or ServiceEntry has the name
    std::string address;
    std::string note;
  };
  Dial dial(std::string_view host, std::string_view from_namespace) const;

 private:
  class Builder;  // registry_build.cc: the steps of build()
  std::string domain_{kDefaultDomain};
  std::vector<Pod> pods_;
  std::vector<Service> services_;
  std::vector<ExternalEndpoint> external_endpoints_;
  StringMap<std::uint32_t> pod_by_key_;  // "namespace/name"
  StringMap<std::uint32_t> service_by_host_;
  StringMap<std::uint32_t> service_by_address_;
};

}  // namespace meshtwin::registry
