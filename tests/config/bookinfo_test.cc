// Istio's own Bookinfo sample must load exactly as kubectl + istiod would take it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "model/config/loader.h"
#include "tests/config/dump_diagnostics.h"

namespace meshtwin::config {
namespace {

const std::string kBookinfo = std::string(MESHTWIN_SOURCE_DIR) + "/third_party/istio-samples/bookinfo";

template <class T>
const T* find(const std::vector<T>& items, const std::string& name) {
  for (const auto& x : items)
    if (x.meta.name == name) return &x;
  return nullptr;
}

std::size_t count(const Diagnostics& d, Severity s) {
  return static_cast<std::size_t>(
      std::count_if(d.items().begin(), d.items().end(), [&](const Diagnostic& x) { return x.severity == s; }));
}

TEST(Bookinfo, EveryFileLoadsWithoutErrorsOrWarnings) {
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(kBookinfo)) {
    if (!e.is_regular_file() || e.path().extension() != ".yaml") continue;
    ++files;
    ConfigStore store;
    Diagnostics diags;
    load_paths({e.path().string()}, store, diags);
    EXPECT_EQ(count(diags, Severity::Error), 0u) << e.path() << "\n" << dump(diags);
    EXPECT_EQ(count(diags, Severity::Warning), 0u) << e.path() << "\n" << dump(diags);
  }
  EXPECT_GE(files, 30u);
}

TEST(Bookinfo, FolderLoadSkipsGatewayApiAndKindlessDocumentsWithNotes) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo}, store, diags);
  EXPECT_FALSE(diags.has_errors()) << dump(diags);
  bool swagger_note = false, httproute_note = false, service_account_note = false;
  for (const auto& d : diags.items()) {
    if (d.severity != Severity::Note) continue;
    if (d.location.file.find("swagger.yaml") != std::string::npos &&
        d.message.find("not a Kubernetes object") != std::string::npos)
      swagger_note = true;
    if (d.message.find("HTTPRoute (gateway.networking.k8s.io/v1)") != std::string::npos) httproute_note = true;
    if (d.message.find("ServiceAccount") != std::string::npos) service_account_note = true;
  }
  EXPECT_TRUE(swagger_note) << dump(diags);
  EXPECT_TRUE(httproute_note);
  EXPECT_TRUE(service_account_note);
  // Gateway API objects are kept by name for lint, never turned into Istio Gateways.
  const auto& un = store.unmodelled();
  EXPECT_TRUE(std::any_of(un.begin(), un.end(), [](const UnmodelledResource& u) {
    return u.kind == "Gateway" && u.api_version == "gateway.networking.k8s.io/v1" && u.meta.name == "bookinfo-gateway";
  }));
  EXPECT_TRUE(std::any_of(un.begin(), un.end(), [](const UnmodelledResource& u) {
    return u.kind == "HTTPRoute" && u.meta.name == "reviews";
  }));
  for (const auto& g : store.gateways()) EXPECT_NE(g.meta.name, "bookinfo-gateway-istio");
}

TEST(Bookinfo, PlatformManifestHasServicesAndDeployments) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/platform/kube/bookinfo.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);

  std::vector<std::string> deployments;
  for (const auto& w : store.workloads()) {
    EXPECT_EQ(w.kind, "Deployment");
    deployments.push_back(w.meta.name);
  }
  EXPECT_EQ(deployments, (std::vector<std::string>{"details-v1", "ratings-v1", "reviews-v1", "reviews-v2",
                                                   "reviews-v3", "productpage-v1"}));

  ASSERT_EQ(store.services().size(), 4u);
  for (const auto& s : store.services()) {
    ASSERT_EQ(s.ports.size(), 1u) << s.meta.name;
    EXPECT_EQ(s.ports[0].port, 9080u);
    EXPECT_EQ(s.ports[0].name, "http");
    EXPECT_EQ(s.ports[0].protocol, "TCP");
    EXPECT_TRUE(s.has_selector);
    EXPECT_EQ(s.selector.at("app"), s.meta.name);
    EXPECT_EQ(s.meta.namespace_, "default");
    EXPECT_EQ(s.type, "ClusterIP");
  }

  const Workload* v3 = find(store.workloads(), "reviews-v3");
  ASSERT_NE(v3, nullptr);
  EXPECT_EQ(v3->replicas, 1);
  EXPECT_EQ(v3->selector, (Labels{{"app", "reviews"}, {"version", "v3"}}));
  EXPECT_EQ(v3->pod_labels, (Labels{{"app", "reviews"}, {"version", "v3"}}));
  EXPECT_EQ(v3->service_account, "bookinfo-reviews");
  ASSERT_EQ(v3->containers.size(), 1u);
  EXPECT_EQ(v3->containers[0].name, "reviews");
  ASSERT_EQ(v3->containers[0].ports.size(), 1u);
  EXPECT_EQ(v3->containers[0].ports[0].container_port, 9080u);
  EXPECT_EQ(v3->meta.location.line, 235);  // the document's first key (apiVersion)
  EXPECT_NE(v3->meta.location.file.find("bookinfo.yaml"), std::string::npos);
}

TEST(Bookinfo, DestinationRuleAllHasReviewsSubsets) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/destination-rule-all.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  const DestinationRule* dr = find(store.destination_rules(), "reviews");
  ASSERT_NE(dr, nullptr);
  EXPECT_EQ(dr->host, "reviews");
  ASSERT_EQ(dr->subsets.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string v = "v" + std::to_string(i + 1);
    EXPECT_EQ(dr->subsets[i].name, v);
    EXPECT_EQ(dr->subsets[i].labels, (Labels{{"version", v}}));
  }
}

TEST(Bookinfo, ReviewsEightyTwentyWeights) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/virtual-service-reviews-80-20.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  ASSERT_EQ(store.virtual_services().size(), 1u);
  const auto& vs = store.virtual_services()[0];
  EXPECT_EQ(vs.hosts, std::vector<std::string>{"reviews"});
  ASSERT_EQ(vs.http.size(), 1u);
  ASSERT_EQ(vs.http[0].route.size(), 2u);
  EXPECT_EQ(vs.http[0].route[0].destination.subset, "v1");
  EXPECT_EQ(vs.http[0].route[0].weight, 80);
  EXPECT_EQ(vs.http[0].route[1].destination.subset, "v2");
  EXPECT_EQ(vs.http[0].route[1].weight, 20);
}

TEST(Bookinfo, ReviewsTestV2HeaderMatch) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/virtual-service-reviews-test-v2.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  ASSERT_EQ(store.virtual_services().size(), 1u);
  const auto& http = store.virtual_services()[0].http;
  ASSERT_EQ(http.size(), 2u);
  ASSERT_EQ(http[0].match.size(), 1u);
  ASSERT_EQ(http[0].match[0].headers.size(), 1u);
  EXPECT_EQ(http[0].match[0].headers[0].name, "end-user");
  EXPECT_EQ(http[0].match[0].headers[0].match.kind, StringMatch::Kind::Exact);
  EXPECT_EQ(http[0].match[0].headers[0].match.value, "jason");
  EXPECT_EQ(http[0].route.at(0).destination.subset, "v2");
  EXPECT_TRUE(http[1].match.empty());
  EXPECT_EQ(http[1].route.at(0).destination.subset, "v1");
}

TEST(Bookinfo, AllV1ThenEightyTwentyReplacesReviewsInPlace) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/virtual-service-all-v1.yaml"}, store, diags);
  ASSERT_EQ(store.virtual_services().size(), 4u);
  const std::uint64_t order_before = find(store.virtual_services(), "reviews")->meta.creation_order;
  const std::uint64_t revision_before = store.revision();

  load_paths({kBookinfo + "/networking/virtual-service-reviews-80-20.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  ASSERT_EQ(store.virtual_services().size(), 4u);
  std::vector<std::string> names;
  for (const auto& vs : store.virtual_services()) names.push_back(vs.meta.name);
  EXPECT_EQ(names, (std::vector<std::string>{"productpage", "reviews", "ratings", "details"}));
  const VirtualService* reviews = find(store.virtual_services(), "reviews");
  ASSERT_NE(reviews, nullptr);
  EXPECT_EQ(reviews->meta.creation_order, order_before);
  EXPECT_EQ(reviews->meta.generation, 2u);
  ASSERT_EQ(reviews->http.at(0).route.size(), 2u);
  EXPECT_EQ(reviews->http[0].route[0].weight, 80);
  EXPECT_EQ(reviews->http[0].route[1].weight, 20);
  EXPECT_GT(store.revision(), revision_before);
  EXPECT_EQ(find(store.virtual_services(), "ratings")->meta.generation, 1u);
}

TEST(Bookinfo, FaultInjectionAndDelay) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/fault-injection-details-v1.yaml",
              kBookinfo + "/networking/virtual-service-ratings-test-delay.yaml"},
             store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  const VirtualService* details = find(store.virtual_services(), "details");
  ASSERT_NE(details, nullptr);
  ASSERT_TRUE(details->http.at(0).fault.has_value());
  ASSERT_TRUE(details->http[0].fault->abort.has_value());
  EXPECT_EQ(details->http[0].fault->abort->http_status, 555);
  EXPECT_EQ(details->http[0].fault->abort->percentage, 100.0);
  EXPECT_FALSE(details->http[0].fault->delay.has_value());

  const VirtualService* ratings = find(store.virtual_services(), "ratings");
  ASSERT_NE(ratings, nullptr);
  ASSERT_TRUE(ratings->http.at(0).fault && ratings->http[0].fault->delay);
  EXPECT_EQ(ratings->http[0].fault->delay->fixed_delay, 7 * engine::kSecond);
  EXPECT_EQ(ratings->http[0].fault->delay->percentage, 100.0);
}

TEST(Bookinfo, GatewayAndItsVirtualService) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/bookinfo-gateway.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  ASSERT_EQ(store.gateways().size(), 1u);
  const Gateway& gw = store.gateways()[0];
  EXPECT_EQ(gw.selector, (Labels{{"istio", "ingressgateway"}}));
  ASSERT_EQ(gw.servers.size(), 1u);
  EXPECT_EQ(gw.servers[0].port.number, 8080u);
  EXPECT_EQ(gw.servers[0].port.protocol, "HTTP");
  EXPECT_EQ(gw.servers[0].hosts, std::vector<std::string>{"*"});
  const VirtualService* vs = find(store.virtual_services(), "bookinfo");
  ASSERT_NE(vs, nullptr);
  EXPECT_EQ(vs->gateways, std::vector<std::string>{"bookinfo-gateway"});
  ASSERT_EQ(vs->http.at(0).match.size(), 5u);
  EXPECT_EQ(vs->http[0].match[0].uri.kind, StringMatch::Kind::Exact);
  EXPECT_EQ(vs->http[0].match[0].uri.value, "/productpage");
  EXPECT_EQ(vs->http[0].match[1].uri.kind, StringMatch::Kind::Prefix);
  EXPECT_EQ(vs->http[0].match[1].uri.value, "/static");
  EXPECT_EQ(vs->http[0].route.at(0).destination.port, 9080u);
}

TEST(Bookinfo, EgressRuleForGoogleApis) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({kBookinfo + "/networking/egress-rule-google-apis.yaml"}, store, diags);
  ASSERT_FALSE(diags.has_errors()) << dump(diags);
  ASSERT_EQ(store.service_entries().size(), 1u);
  const ServiceEntry& se = store.service_entries()[0];
  EXPECT_EQ(se.hosts, std::vector<std::string>{"www.googleapis.com"});
  EXPECT_EQ(se.resolution, "DNS");
  EXPECT_EQ(se.location, "MESH_EXTERNAL");
  ASSERT_EQ(se.ports.size(), 2u);
  EXPECT_EQ(se.ports[1].number, 443u);
  EXPECT_EQ(se.ports[1].protocol, "HTTPS");
  ASSERT_EQ(store.destination_rules().size(), 1u);
  const auto& tp = store.destination_rules()[0].traffic_policy;
  ASSERT_TRUE(tp && tp->load_balancer);
  EXPECT_EQ(tp->load_balancer->simple, LoadBalancerSettings::Simple::RoundRobin);
  ASSERT_EQ(tp->port_level_settings.size(), 1u);
  EXPECT_EQ(tp->port_level_settings[0].port, 443u);
  ASSERT_TRUE(tp->port_level_settings[0].tls);
  EXPECT_EQ(tp->port_level_settings[0].tls->mode, "SIMPLE");
  const VirtualService* vs = find(store.virtual_services(), "rewrite-port-for-googleapis");
  ASSERT_NE(vs, nullptr);
  EXPECT_EQ(vs->http.at(0).match.at(0).port, 80u);
}

}  // namespace
}  // namespace meshtwin::config
