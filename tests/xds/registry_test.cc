// model/registry: protocol selection and services/endpoints (docs/semantics.md §13), short-name
// resolution (§1.1), pods generated from workloads and sidecar injection (docs/design.md §3.1).
#include <gtest/gtest.h>

#include <set>

#include "tests/xds/xds_test_util.h"

namespace meshtwin::registry {
namespace {

using xds::testing::TestMesh;

TEST(ProtocolTest, S13_PortNamePrefixSelectsProtocol) {
  EXPECT_EQ(protocol_from_port("http", ""), Protocol::HTTP);
  EXPECT_EQ(protocol_from_port("http-web", ""), Protocol::HTTP);
  EXPECT_EQ(protocol_from_port("HTTP", ""), Protocol::HTTP);
  EXPECT_EQ(protocol_from_port("http2", ""), Protocol::HTTP2);
  EXPECT_EQ(protocol_from_port("grpc", ""), Protocol::GRPC);
  EXPECT_EQ(protocol_from_port("grpc-web", ""), Protocol::GRPC);
  EXPECT_EQ(protocol_from_port("https-admin", ""), Protocol::HTTPS);
  EXPECT_EQ(protocol_from_port("tcp-db", ""), Protocol::TCP);
  EXPECT_EQ(protocol_from_port("tls", ""), Protocol::TLS);
  EXPECT_EQ(protocol_from_port("mongo", ""), Protocol::Mongo);
  EXPECT_EQ(protocol_from_port("redis", ""), Protocol::Redis);
  EXPECT_EQ(protocol_from_port("mysql", ""), Protocol::MySQL);
  EXPECT_EQ(protocol_from_port("web", ""), Protocol::Unknown);  // sniffed
  EXPECT_EQ(protocol_from_port("", ""), Protocol::Unknown);
  EXPECT_EQ(protocol_from_port("httpx", ""), Protocol::Unknown);
}

TEST(ProtocolTest, S13_AppProtocolWinsOverName) {
  EXPECT_EQ(protocol_from_port("tcp", "http"), Protocol::HTTP);
  EXPECT_EQ(protocol_from_port("web", "grpc"), Protocol::GRPC);
  EXPECT_EQ(protocol_from_port("web", "kubernetes.io/h2c"), Protocol::HTTP2);
  EXPECT_EQ(protocol_from_port("http", "unknown-thing"), Protocol::HTTP);  // unknown appProtocol
}

TEST(ProtocolTest, S13_HttpRoutingAppliesToHttpAndSniffedPorts) {
  EXPECT_TRUE(is_http(Protocol::HTTP));
  EXPECT_TRUE(is_http(Protocol::HTTP2));
  EXPECT_TRUE(is_http(Protocol::GRPC));
  EXPECT_TRUE(is_http(Protocol::Unknown));
  EXPECT_FALSE(is_http(Protocol::TCP));
  EXPECT_FALSE(is_http(Protocol::HTTPS));
  EXPECT_FALSE(is_http(Protocol::TLS));
}

TEST(ShortNameTest, S1_1_ShortNamesUseTheConfigNamespace) {
  EXPECT_EQ(resolve_short_name("reviews", "default"), "reviews.default.svc.cluster.local");
  EXPECT_EQ(resolve_short_name("reviews", "prod"), "reviews.prod.svc.cluster.local");
  EXPECT_EQ(resolve_short_name("reviews", "prod", "corp.example"), "reviews.prod.svc.corp.example");
}

TEST(ShortNameTest, S1_1_DottedNamesWildcardsAndIpsStay) {
  EXPECT_EQ(resolve_short_name("reviews.prod", "default"), "reviews.prod");  // not expanded
  EXPECT_EQ(resolve_short_name("reviews.prod.svc.cluster.local", "default"), "reviews.prod.svc.cluster.local");
  EXPECT_EQ(resolve_short_name("*", "default"), "*");
  EXPECT_EQ(resolve_short_name("*.example.com", "default"), "*.example.com");
  EXPECT_EQ(resolve_short_name("10.1.2.3", "default"), "10.1.2.3");
  EXPECT_EQ(resolve_short_name("::1", "default"), "::1");
}

constexpr const char* kWorkloads = R"(
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {istio-injection: disabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata:
      labels: {app: reviews, version: v1, topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: eu-a}
    spec:
      containers:
      - name: reviews
        ports: [{name: http-api, containerPort: 9080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v2}
spec:
  replicas: 1
  selector: {matchLabels: {app: reviews, version: v2}}
  template:
    metadata: {labels: {app: reviews, version: v2}}
    spec:
      containers:
      - name: reviews
        ports: [{name: http-api, containerPort: 9180}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch}
spec:
  replicas: 1
  selector: {matchLabels: {app: batch}}
  template:
    metadata:
      labels: {app: batch}
      annotations: {sidecar.istio.io/inject: "false"}
    spec:
      containers: [{name: batch}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: old, namespace: legacy}
spec:
  selector: {matchLabels: {app: old}}
  template:
    metadata: {labels: {app: old}}
    spec:
      containers: [{name: old}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec:
      containers: [{name: discovery}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080, targetPort: http-api}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews-v2-only}
spec:
  selector: {app: reviews, version: v2}
  clusterIP: 10.96.200.7
  ports: [{name: grpc, port: 7070}, {name: tcp-metrics, port: 15014}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: legacy}
spec:
  selector: {app: reviews}
  ports: [{port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: batch}
  ports: [{name: tcp, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-api}
spec:
  hosts: [api.example.com, "*.cdn.example.com"]
  ports: [{number: 443, name: https, protocol: HTTPS}, {number: 80, name: http, protocol: HTTP}]
  resolution: DNS
)";

TEST(RegistryTest, S13_PodsAreGeneratedFromWorkloadsInOrder) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  const auto& pods = m.reg.pods();
  ASSERT_EQ(pods.size(), 8u);  // 6 from the manifest, then the 2 default gateways (docs/design.md §3.1)
  EXPECT_EQ(pods[6].name, "istio-ingressgateway-0");
  EXPECT_EQ(pods[7].name, "istio-egressgateway-0");
  EXPECT_TRUE(pods[6].generated && pods[7].gateway_proxy);
  EXPECT_EQ(pods[0].name, "reviews-v1-0");
  EXPECT_EQ(pods[1].name, "reviews-v1-1");
  EXPECT_EQ(pods[2].name, "reviews-v2-0");
  EXPECT_EQ(pods[3].name, "batch-0");
  EXPECT_EQ(pods[0].workload, "reviews-v1");
  EXPECT_EQ(pods[1].ordinal, 1u);
  EXPECT_EQ(pods[0].labels.at("app"), "reviews");
  EXPECT_EQ(pods[0].version, "v1");
  EXPECT_EQ(pods[3].version, "unknown");
  EXPECT_EQ(pods[0].locality, "eu/eu-a");
  EXPECT_EQ(pods[2].locality, "");
  std::set<std::string> ips;
  for (const auto& p : pods) {
    EXPECT_TRUE(p.ip.starts_with("10.244.")) << p.ip;
    EXPECT_EQ(p.gateway_proxy, p.generated) << p.name;
    ips.insert(p.ip);
  }
  EXPECT_EQ(ips.size(), pods.size());  // unique
  ASSERT_NE(m.reg.find_pod("default", "reviews-v2-0"), nullptr);
  EXPECT_EQ(m.reg.find_pod("legacy", "reviews-v2-0"), nullptr);
  EXPECT_EQ(m.reg.pods_of_workload("default", "reviews-v1"), (std::vector<std::uint32_t>{0, 1}));
}

TEST(RegistryTest, DESIGN3_1_SidecarInjectionRules) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  EXPECT_TRUE(m.reg.find_pod("default", "reviews-v1-0")->has_sidecar);
  EXPECT_FALSE(m.reg.find_pod("default", "batch-0")->has_sidecar);   // annotation inject: "false"
  EXPECT_FALSE(m.reg.find_pod("legacy", "old-0")->has_sidecar);      // namespace istio-injection=disabled
  EXPECT_FALSE(m.reg.find_pod("istio-system", "istiod-0")->has_sidecar);
}

TEST(RegistryTest, S13_ServicesSelectPodsByLabelsInTheirNamespace) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  const Service* reviews = m.reg.find_service("reviews.default.svc.cluster.local");
  ASSERT_NE(reviews, nullptr);
  EXPECT_EQ(reviews->name, "reviews");
  EXPECT_EQ(reviews->pods, (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_TRUE(reviews->address.starts_with("10.96.")) << reviews->address;
  EXPECT_EQ(m.reg.find_service_by_address(reviews->address), reviews);
  ASSERT_EQ(reviews->ports.size(), 1u);
  EXPECT_EQ(reviews->ports[0].protocol, Protocol::HTTP);
  EXPECT_EQ(reviews->ports[0].target_port_name, "http-api");

  const Service* v2 = m.reg.find_service("reviews-v2-only.default.svc.cluster.local");
  ASSERT_NE(v2, nullptr);
  EXPECT_EQ(v2->pods, (std::vector<std::uint32_t>{2}));  // selector pairs must all match
  EXPECT_EQ(v2->address, "10.96.200.7");                 // given cluster IP kept
  EXPECT_EQ(v2->find_port(7070)->protocol, Protocol::GRPC);
  EXPECT_EQ(v2->find_port(15014)->protocol, Protocol::TCP);
  EXPECT_EQ(v2->find_port(53)->protocol, Protocol::UDP);
  EXPECT_EQ(v2->find_port(9080), nullptr);

  // A same-named service elsewhere has its own FQDN and selects only its namespace's pods.
  const Service* legacy = m.reg.find_service("reviews.legacy.svc.cluster.local");
  ASSERT_NE(legacy, nullptr);
  EXPECT_TRUE(legacy->pods.empty());
  EXPECT_EQ(legacy->ports[0].protocol, Protocol::Unknown);
  EXPECT_NE(legacy->address, reviews->address);

  const Service* db = m.reg.find_service("db.default.svc.cluster.local");
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(db->headless);
  EXPECT_TRUE(db->address.empty());
  EXPECT_EQ(m.reg.services_of_pod(2), (std::vector<std::uint32_t>{0, 1}));
}

TEST(RegistryTest, S13_NamedTargetPortsResolvePerPod) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  const Pod* v1 = m.reg.find_pod("default", "reviews-v1-0");
  const Pod* v2 = m.reg.find_pod("default", "reviews-v2-0");
  EXPECT_EQ(v1->resolve_target_port(0, "http-api"), 9080u);
  EXPECT_EQ(v2->resolve_target_port(0, "http-api"), 9180u);  // same name, different number
  EXPECT_EQ(v1->resolve_target_port(0, "nope"), 0u);
  EXPECT_EQ(v1->resolve_target_port(8080, ""), 8080u);
}

TEST(RegistryTest, S12_1_ServiceEntryHostsAreServicesWithoutPodEndpoints) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  const Service* api = m.reg.find_service("api.example.com");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->origin, Service::Origin::ServiceEntry);
  EXPECT_EQ(api->namespace_, "default");
  ASSERT_EQ(api->ports.size(), 2u);
  EXPECT_EQ(api->find_port(443)->protocol, Protocol::HTTPS);
  EXPECT_EQ(api->find_port(80)->protocol, Protocol::HTTP);
  EXPECT_TRUE(api->pods.empty());
  EXPECT_NE(api->service_entry, nullptr);
  EXPECT_NE(m.reg.find_service("*.cdn.example.com"), nullptr);
}

TEST(RegistryTest, S13_DnsUsesTheKubernetesSearchPath) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  const Service* reviews = m.reg.find_service("reviews.default.svc.cluster.local");
  const Service* legacy = m.reg.find_service("reviews.legacy.svc.cluster.local");
  EXPECT_EQ(m.reg.resolve_dns("reviews", "default"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("reviews", "legacy"), legacy);  // own namespace first
  EXPECT_EQ(m.reg.resolve_dns("reviews.default", "legacy"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("reviews.default.svc", "legacy"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("reviews.default.svc.cluster.local", "legacy"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("reviews.default.svc.cluster.local.", "legacy"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("Reviews", "default"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("api.example.com", "default"), m.reg.find_service("api.example.com"));
  EXPECT_EQ(m.reg.resolve_dns(reviews->address, "x"), reviews);
  EXPECT_EQ(m.reg.resolve_dns("ratings", "default"), nullptr);
  EXPECT_EQ(m.reg.resolve_dns("reviews", "other"), nullptr);
}

TEST(RegistryTest, NearestHostSuggestsTheNameAPersonMeant) {
  TestMesh m;
  m.load(kWorkloads);
  m.build();
  EXPECT_EQ(m.reg.nearest_host("reviws", "default"), "reviews");           // the short name, from its namespace
  EXPECT_EQ(m.reg.nearest_host("Reviws", "default"), "reviews");
  EXPECT_EQ(m.reg.nearest_host("reviews.defualt", "other"), "reviews.default");
  EXPECT_EQ(m.reg.nearest_host("api.exampel.com", "default"), "api.example.com");  // a ServiceEntry host
  EXPECT_EQ(m.reg.nearest_host("completely-different", "default"), "");
}

constexpr const char* kAddresslessEntries = R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web}
spec:
  hosts: [istio.io]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls}
spec:
  hosts: [istio.io]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: others}
spec:
  hosts: [example.org, "*.wild.example"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: none}
spec:
  hosts: [passthrough.example]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vip}
spec:
  hosts: [vip.example]
  addresses: [192.0.2.7]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
)";

// docs/semantics.md §12.1 ServiceEntry without addresses: istiod's legacy allocator (feature
// PILOT_ENABLE_IP_AUTOALLOCATE off) gives each namespace/host a 240.240.0.0/16 address by FNV-1a
// hash with double hashing. Upstream's TestServiceEntryDuplicatedHostname pins 240.240.91.120 for
// istio.io defined twice in `default`: the second entry collides and its probe lands on a lower
// slot, whose address both share.
TEST(RegistryTest, S12_1_LegacyAutoAllocatedAddressesHashNamespaceAndHost) {
  TestMesh m;
  m.load(kAddresslessEntries);
  RegistryOptions options;
  options.legacy_ip_autoallocate = true;
  m.reg = Registry::build(m.store, m.diags, options);
  EXPECT_EQ(m.reg.find_service("istio.io")->auto_allocated_address, "240.240.91.120");
  const std::string org = m.reg.find_service("example.org")->auto_allocated_address;
  EXPECT_TRUE(org.starts_with("240.240.")) << org;
  EXPECT_NE(org, "240.240.91.120");
  // Never for wildcards, resolution NONE or entries with addresses.
  EXPECT_EQ(m.reg.find_service("*.wild.example")->auto_allocated_address, "");
  EXPECT_EQ(m.reg.find_service("passthrough.example")->auto_allocated_address, "");
  EXPECT_EQ(m.reg.find_service("vip.example")->auto_allocated_address, "");
  // Without the legacy allocator nothing is allocated.
  m.build();
  EXPECT_EQ(m.reg.find_service("istio.io")->auto_allocated_address, "");
}

}  // namespace
}  // namespace meshtwin::registry
