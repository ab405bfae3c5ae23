// Malformed inputs: each must give exactly one one-line diagnostic naming the file, line,
// column and field path, with a sentence the user can act on.
#include <gtest/gtest.h>

#include "model/config/input_file.h"
#include "model/config/loader.h"
#include "tests/config/dump_diagnostics.h"

namespace meshtwin::config {
namespace {

// Lines 1-5 of a VirtualService; cases continue at line 6.
const std::string kVsHead =
    "apiVersion: networking.istio.io/v1\n"
    "kind: VirtualService\n"
    "metadata: {name: reviews}\n"
    "spec:\n"
    "  hosts: [reviews]\n";

// Lines 1-4 of a DestinationRule; cases continue at line 5.
const std::string kDrHead =
    "apiVersion: networking.istio.io/v1\n"
    "kind: DestinationRule\n"
    "metadata: {name: reviews}\n"
    "spec:\n";

struct BadCase {
  const char* name;
  std::string yaml;
  Severity severity;
  int line;
  int column;
  const char* path;
  const char* phrase;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class Malformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(Malformed, GivesExactlyTheExpectedDiagnostic) {
  const BadCase& c = GetParam();
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(c.yaml, "bad.yaml", store, diags);
  ASSERT_EQ(diags.items().size(), 1u) << dump(diags);
  const Diagnostic& d = diags.items()[0];
  EXPECT_EQ(d.severity, c.severity) << d.format();
  EXPECT_EQ(d.location.file, "bad.yaml");
  EXPECT_EQ(d.location.line, c.line) << d.format();
  EXPECT_EQ(d.location.column, c.column) << d.format();
  EXPECT_EQ(d.field_path, c.path) << d.format();
  EXPECT_NE(d.message.find(c.phrase), std::string::npos) << d.format();
  // The one-line form carries all of it.
  const std::string sev = c.severity == Severity::Error ? "error" : c.severity == Severity::Warning ? "warning" : "note";
  const std::string prefix = "bad.yaml:" + std::to_string(c.line) + ":" + std::to_string(c.column) + ": " + sev + ": ";
  EXPECT_EQ(d.format().rfind(prefix, 0), 0u) << d.format();
  EXPECT_EQ(d.format().find('\n'), std::string::npos);
  if (c.severity == Severity::Error) {
    // A document with an error is not applied.
    EXPECT_TRUE(store.virtual_services().empty());
    EXPECT_TRUE(store.destination_rules().empty());
    EXPECT_TRUE(store.services().empty());
    EXPECT_TRUE(store.workloads().empty());
  }
}

const std::string kDeployment =
    "apiVersion: apps/v1\n"                                       // 1
    "kind: Deployment\n"                                          // 2
    "metadata: {name: web}\n"                                     // 3
    "spec:\n"                                                     // 4
    "  replicas: [1]\n"                                           // 5
    "  selector: {matchLabels: {app: web}}\n"                     // 6
    "  template:\n"                                               // 7
    "    metadata: {labels: {app: web}}\n"                        // 8
    "    spec: {containers: [{name: web, image: nginx}]}\n";      // 9

INSTANTIATE_TEST_SUITE_P(
    Config, Malformed,
    ::testing::Values(
        BadCase{"WeightNotANumber",
                kVsHead + "  http:\n"
                          "  - route:\n"
                          "    - destination: {host: reviews, subset: v1}\n"
                          "      weight: 50\n"
                          "    - destination: {host: reviews, subset: v2}\n"
                          "      weight: \"abc\"\n",
                Severity::Error, 11, 15, "spec.http[0].route[1].weight",
                "weight must be a non-negative integer, got \"abc\""},
        BadCase{"NegativeWeight",
                kVsHead + "  http:\n"
                          "  - route:\n"
                          "    - destination: {host: reviews}\n"
                          "      weight: -5\n",
                Severity::Error, 9, 15, "spec.http[0].route[0].weight", "non-negative integer, got -5"},
        BadCase{"WeightsSumToZero",
                kVsHead + "  http:\n"
                          "  - route:\n"
                          "    - destination: {host: reviews, subset: v1}\n"
                          "    - destination: {host: reviews, subset: v2}\n",
                Severity::Error, 8, 5, "spec.http[0].route", "weights sum to 0"},
        BadCase{"DestinationWithoutHost",
                kVsHead + "  http:\n"
                          "  - route:\n"
                          "    - destination: {subset: v1}\n",
                Severity::Error, 8, 20, "spec.http[0].route[0].destination.host", "host is required"},
        BadCase{"HostsNotAList",
                "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: h}\nspec:\n"
                "  hosts: 5\n"
                "  http: [{route: [{destination: {host: a}}]}]\n",
                Severity::Error, 5, 10, "spec.hosts", "hosts must be a list of strings, got 5"},
        BadCase{"ReplicasList", kDeployment, Severity::Error, 5, 13, "spec.replicas",
                "replicas must be an integer between 0 and 10000, got a list"},
        BadCase{"DestinationRuleWithoutHost", kDrHead + "  subsets: [{name: v1, labels: {version: v1}}]\n",
                Severity::Error, 5, 3, "spec.host", "host is required"},
        BadCase{"DuplicateSubset",
                kDrHead + "  host: reviews\n"
                          "  subsets:\n"
                          "  - name: v1\n"
                          "  - name: v1\n",
                Severity::Error, 8, 11, "spec.subsets[1].name", "duplicate subset name \"v1\""},
        BadCase{"SubsetWithoutName",
                kDrHead + "  host: reviews\n"
                          "  subsets:\n"
                          "  - labels: {version: v1}\n",
                Severity::Error, 7, 5, "spec.subsets[0].name", "name is required"},
        BadCase{"TimeoutWithoutUnit",
                kVsHead + "  http:\n"
                          "  - timeout: 5\n"
                          "    route: [{destination: {host: reviews}}]\n",
                Severity::Error, 7, 14, "spec.http[0].timeout", "timeout must be a duration with a unit"},
        BadCase{"TimeoutInDays",
                kVsHead + "  http:\n"
                          "  - timeout: 1d\n"
                          "    route: [{destination: {host: reviews}}]\n",
                Severity::Error, 7, 14, "spec.http[0].timeout", "got \"1d\""},
        BadCase{"FaultPercentageAbove100",
                kVsHead + "  http:\n"
                          "  - fault:\n"
                          "      abort:\n"
                          "        httpStatus: 503\n"
                          "        percentage: {value: 150}\n"
                          "    route: [{destination: {host: reviews}}]\n",
                Severity::Error, 10, 29, "spec.http[0].fault.abort.percentage.value",
                "percentage must be between 0 and 100, got 150"},
        BadCase{"AbortWithoutStatus",
                kVsHead + "  http:\n"
                          "  - fault:\n"
                          "      abort:\n"
                          "        percentage: {value: 50}\n"
                          "    route: [{destination: {host: reviews}}]\n",
                Severity::Error, 9, 9, "spec.http[0].fault.abort.httpStatus", "abort needs httpStatus"},
        BadCase{"ServicePortOutOfRange",
                "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n"
                "  - port: 70000\n",
                Severity::Error, 6, 11, "spec.ports[0].port", "between 1 and 65535, got 70000"},
        BadCase{"MissingName",
                "apiVersion: v1\nkind: Service\n"
                "metadata: {namespace: prod}\n"
                "spec: {ports: [{port: 80}]}\n",
                Severity::Error, 3, 11, "metadata.name", "name is required"},
        BadCase{"BadRedirectCode",
                kVsHead + "  http:\n"
                          "  - redirect: {uri: /new, redirectCode: 200}\n",
                Severity::Error, 7, 41, "spec.http[0].redirect.redirectCode",
                "redirectCode must be 301, 302, 303, 307 or 308, got 200"},
        BadCase{"RedirectUriAndPrefixRewrite",
                kVsHead + "  http:\n"
                          "  - redirect: {uri: /new, prefixRewrite: /v2}\n",
                Severity::Error, 7, 42, "spec.http[0].redirect.prefixRewrite",
                "either uri (the whole path) or prefixRewrite"},
        BadCase{"StarHostBoundToMesh",
                "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: all}\nspec:\n"
                "  hosts: [\"*\"]\n"
                "  http: [{route: [{destination: {host: reviews}}]}]\n",
                Severity::Error, 5, 11, "spec.hosts[0]", "not allowed for a VirtualService bound to the mesh"},
        BadCase{"BrokenYaml",
                "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
                "  ports: [{port: 80}\n",
                Severity::Error, 6, 1, "", "invalid YAML"},
        BadCase{"DuplicateKey",
                kVsHead + "  http: [{route: [{destination: {host: reviews}}]}]\n"
                          "  http: []\n",
                Severity::Error, 7, 3, "spec.http", "duplicate field \"http\"; it is already set on line 6"},
        BadCase{"NumericLabel",
                "apiVersion: v1\nkind: Service\n"
                "metadata: {name: web, labels: {version: 1}}\n"
                "spec: {ports: [{port: 80}]}\n",
                Severity::Error, 3, 41, "metadata.labels.version", "quote it: \"1\""},
        BadCase{"UnservedApiVersion",
                "apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata: {name: r}\n"
                "spec: {hosts: [r], http: [{route: [{destination: {host: r}}]}]}\n",
                Severity::Error, 1, 13, "apiVersion", "use networking.istio.io/v1"},
        BadCase{"RouteAndRedirect",
                kVsHead + "  http:\n"
                          "  - route: [{destination: {host: reviews}}]\n"
                          "    redirect: {uri: /x}\n",
                Severity::Error, 7, 5, "spec.http[0].redirect", "route or redirect, not both"},
        BadCase{"UnknownRetryOn",
                kVsHead + "  http:\n"
                          "  - route: [{destination: {host: reviews}}]\n"
                          "    retries: {attempts: 3, retryOn: \"5xx,bogus\"}\n",
                Severity::Error, 8, 37, "spec.http[0].retries.retryOn", "unknown condition \"bogus\""},
        BadCase{"SelectorDoesNotMatchTemplate",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                "  selector: {matchLabels: {app: api}}\n"
                "  template:\n"
                "    metadata: {labels: {app: web}}\n"
                "    spec: {containers: [{name: web}]}\n",
                Severity::Error, 5, 13, "spec.selector", "selector does not match the template labels"},
        BadCase{"PortAsPlainNumber",
                kVsHead + "  http:\n"
                          "  - route:\n"
                          "    - destination: {host: reviews, port: 9080}\n",
                Severity::Error, 8, 42, "spec.http[0].route[0].destination.port",
                "port must be written as {number: 9080}"},
        BadCase{"PercentageAsPlainNumber",
                kVsHead + "  http:\n"
                          "  - route: [{destination: {host: reviews}}]\n"
                          "    mirror: {host: shadow}\n"
                          "    mirrorPercentage: 50\n",
                Severity::Error, 9, 23, "spec.http[0].mirrorPercentage",
                "mirrorPercentage must be written as {value: 50}"},
        BadCase{"UnknownFieldIsAnErrorWithSuggestion",
                kVsHead + "  http:\n"
                          "  - route: [{destination: {host: reviews}}]\n"
                          "    timout: 5s\n",
                Severity::Error, 8, 5, "spec.http[0].timout",
                "unknown field \"timout\" (not a field of istio.networking.v1.HTTPRoute); did you mean \"timeout\"?"},
        BadCase{"UnknownFieldInARouteDestination",
                kVsHead + "  http:\n"
                          "  - route:\n"
                          "    - destination: {host: reviews}\n"
                          "      wieght: 100\n",
                Severity::Error, 9, 7, "spec.http[0].route[0].wieght",
                "unknown field \"wieght\" (not a field of istio.networking.v1.HTTPRouteDestination); did you mean "
                "\"weight\"?"},
        BadCase{"KnownButUnmodelledIstioFieldWarns",
                kDrHead + "  host: reviews\n"
                          "  trafficPolicy:\n"
                          "    tunnel: {protocol: CONNECT, targetHost: proxy, targetPort: 8080}\n",
                Severity::Warning, 7, 5, "spec.trafficPolicy.tunnel",
                "is valid istio.networking.v1.TrafficPolicy config that meshtwin does not model"},
        BadCase{"UnknownKubernetesFieldIsAnError",
                "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
                "spec:\n"
                "  ports: [{port: 80}]\n"
                "  selectr: {app: web}\n",
                Severity::Error, 6, 3, "spec.selectr",
                "unknown field \"selectr\" (not a field of io.k8s.api.core.v1.ServiceSpec); did you mean \"selector\"?"},
        BadCase{"UnknownKindNote",
                "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", Severity::Note, 1, 1, "kind",
                "Widget (example.com/v1) is not modelled"},
        BadCase{"KindlessDocumentNote", "swagger: \"2.0\"\ninfo: {title: x}\n", Severity::Note, 1, 1, "apiVersion",
                "not a Kubernetes object"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(Diagnostics, UnknownFieldIsAnErrorAndTheDocumentIsNotApplied) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(kVsHead + "  http:\n  - route: [{destination: {host: reviews}}]\n    colour: blue\n", "vs.yaml", store,
                 diags);
  ASSERT_EQ(diags.items().size(), 1u) << dump(diags);
  EXPECT_EQ(diags.items()[0].severity, Severity::Error);
  EXPECT_EQ(diags.items()[0].format(),
            "vs.yaml:8:5: error: spec.http[0].colour: unknown field \"colour\" (not a field of "
            "istio.networking.v1.HTTPRoute); remove it (--allow-unknown-fields makes this a warning)");
  EXPECT_TRUE(store.virtual_services().empty());
}

TEST(Diagnostics, AllowUnknownFieldsMakesItAWarningAndTheDocumentIsApplied) {
  ConfigStore store;
  Diagnostics diags;
  LoadOptions options;
  options.allow_unknown_fields = true;
  load_yaml_text(kVsHead + "  http:\n  - route: [{destination: {host: reviews}}]\n    colour: blue\n", "vs.yaml", store,
                 diags, options);
  ASSERT_EQ(diags.items().size(), 1u) << dump(diags);
  EXPECT_EQ(diags.items()[0].severity, Severity::Warning);
  EXPECT_EQ(diags.items()[0].field_path, "spec.http[0].colour");
  EXPECT_FALSE(diags.has_errors());
  ASSERT_EQ(store.virtual_services().size(), 1u);
  EXPECT_EQ(store.virtual_services()[0].http.at(0).route.at(0).destination.host, "reviews");
}

TEST(Diagnostics, UnknownKindIsANoteAndNothingIsApplied) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n", "cm.yaml", store, diags);
  ASSERT_EQ(diags.items().size(), 1u) << dump(diags);
  EXPECT_EQ(diags.items()[0].severity, Severity::Note);
  EXPECT_NE(diags.items()[0].message.find("ConfigMap"), std::string::npos);
  EXPECT_TRUE(store.unmodelled().empty());
  EXPECT_EQ(store.revision(), 0u);
}

TEST(Diagnostics, SecurityKindsAreKeptForLint) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(
      "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny, namespace: prod}\n"
      "spec: {action: DENY}\n---\n"
      "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef}\nspec: {}\n",
      "sec.yaml", store, diags);
  EXPECT_FALSE(diags.has_errors()) << dump(diags);
  ASSERT_EQ(store.unmodelled().size(), 2u);
  EXPECT_EQ(store.unmodelled()[0].kind, "AuthorizationPolicy");
  EXPECT_EQ(store.unmodelled()[0].meta.namespace_, "prod");
  EXPECT_EQ(store.unmodelled()[1].kind, "EnvoyFilter");
  EXPECT_EQ(diags.items().size(), 2u);
  for (const auto& d : diags.items()) EXPECT_EQ(d.severity, Severity::Note);
}

TEST(Diagnostics, OneBrokenDocumentDoesNotHideTheOthers) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(
      "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n"
      "---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: b\n"
      "---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: c}\nspec: {ports: [{port: 80}]}\n",
      "multi.yaml", store, diags);
  ASSERT_EQ(diags.error_count(), 1u) << dump(diags);
  EXPECT_GE(diags.first_error()->location.line, 8);  // inside the second document
  ASSERT_EQ(store.services().size(), 2u);
  EXPECT_EQ(store.services()[0].meta.name, "a");
  EXPECT_EQ(store.services()[1].meta.name, "c");
  EXPECT_EQ(store.services()[1].meta.location.line, 10);
}

// What `kubectl get -o yaml` prints: server-set metadata, managedFields, the last-applied
// annotation, status, and Kubernetes fields a mesh does not need. None of it is worth a word.
TEST(Diagnostics, KubectlGetDumpLoadsWithoutAnyDiagnostic) {
  const std::string server_meta =
      "  resourceVersion: \"48213\"\n"
      "  uid: 0b6b8a4e-5f3c-4a8e-9d9a-1f2c3b4d5e6f\n"
      "  generation: 3\n"
      "  creationTimestamp: \"2026-11-02T10:00:00Z\"\n"
      "  selfLink: /apis/x\n"
      "  finalizers: [example.com/keep]\n"
      "  ownerReferences: [{apiVersion: v1, kind: Namespace, name: default, uid: abc}]\n"
      "  annotations:\n"
      "    kubectl.kubernetes.io/last-applied-configuration: |\n"
      "      {\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"ports\":[{\"port\":9080}]}}\n"
      "  managedFields:\n"
      "  - manager: kubectl-client-side-apply\n"
      "    operation: Update\n"
      "    apiVersion: v1\n"
      "    fieldsType: FieldsV1\n"
      "    fieldsV1: {f:spec: {f:ports: {}}}\n";
  const std::string text =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\n  namespace: default\n" + server_meta +
      "spec:\n"
      "  clusterIP: 10.96.0.12\n  clusterIPs: [10.96.0.12]\n  internalTrafficPolicy: Cluster\n"
      "  ipFamilies: [IPv4]\n  ipFamilyPolicy: SingleStack\n  sessionAffinity: None\n  type: ClusterIP\n"
      "  ports: [{name: http, port: 9080, protocol: TCP, targetPort: 9080}]\n"
      "  selector: {app: reviews}\n"
      "status: {loadBalancer: {}}\n"
      "---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reviews-v1\n" + server_meta +
      "spec:\n"
      "  progressDeadlineSeconds: 600\n  replicas: 1\n  revisionHistoryLimit: 10\n"
      "  selector: {matchLabels: {app: reviews, version: v1}}\n"
      "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}\n"
      "  template:\n"
      "    metadata:\n"
      "      creationTimestamp: null\n"
      "      labels: {app: reviews, version: v1}\n"
      "    spec:\n"
      "      containers:\n"
      "      - name: reviews\n        image: docker.io/istio/examples-bookinfo-reviews-v1:1.20.2\n"
      "        imagePullPolicy: IfNotPresent\n"
      "        ports: [{containerPort: 9080, protocol: TCP}]\n"
      "        resources: {}\n        terminationMessagePath: /dev/termination-log\n"
      "        terminationMessagePolicy: File\n"
      "        volumeMounts: [{mountPath: /tmp, name: tmp}]\n"
      "        readinessProbe: {httpGet: {path: /health, port: 9080}}\n"
      "      dnsPolicy: ClusterFirst\n      restartPolicy: Always\n      schedulerName: default-scheduler\n"
      "      securityContext: {}\n      serviceAccount: bookinfo-reviews\n"
      "      serviceAccountName: bookinfo-reviews\n      terminationGracePeriodSeconds: 30\n"
      "      volumes: [{name: tmp, emptyDir: {}}]\n"
      "status:\n  availableReplicas: 1\n  conditions: [{type: Available, status: \"True\"}]\n"
      "  observedGeneration: 3\n  readyReplicas: 1\n  replicas: 1\n"
      "---\n"
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\n" + server_meta +
      "spec:\n  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews, subset: v1}}]}]\n"
      "status: {observedGeneration: 3, validationMessages: []}\n";
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(text, "dump.yaml", store, diags);
  EXPECT_TRUE(diags.items().empty()) << dump(diags);
  EXPECT_EQ(store.services().size(), 1u);
  EXPECT_EQ(store.workloads().size(), 1u);
  EXPECT_EQ(store.virtual_services().size(), 1u);
}

TEST(Diagnostics, GatewayApiFieldsAreCheckedAgainstTheirApiToo) {
  const std::string head =
      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
      "spec:\n  parentRefs: [{name: gw}]\n  rules:\n  - backendRefs: [{name: web, port: 80}]\n";
  auto errors_and_warnings = [](const Diagnostics& d) {
    std::vector<Diagnostic> out;
    for (const auto& x : d.items())
      if (x.severity != Severity::Note) out.push_back(x);
    return out;
  };
  {
    ConfigStore store;
    Diagnostics diags;
    load_yaml_text(head + "    retry: {attempts: 3}\n", "route.yaml", store, diags);
    const auto found = errors_and_warnings(diags);
    ASSERT_EQ(found.size(), 1u) << dump(diags);
    EXPECT_EQ(found[0].severity, Severity::Warning);
    EXPECT_EQ(found[0].format().rfind("route.yaml:8:5: warning: spec.rules[0].retry: ", 0), 0u) << found[0].format();
  }
  {
    ConfigStore store;
    Diagnostics diags;
    load_yaml_text(head + "    timeuts: {request: 1s}\n", "route.yaml", store, diags);
    const auto found = errors_and_warnings(diags);
    ASSERT_EQ(found.size(), 1u) << dump(diags);
    EXPECT_EQ(found[0].format(), "route.yaml:8:5: error: spec.rules[0].timeuts: unknown field \"timeuts\" (not a field "
                                 "of gateway.networking.k8s.io/v1.HTTPRouteRule); did you mean \"timeouts\"?");
  }
}

TEST(Diagnostics, EveryErrorInAFileIsReportedOnItsOwnLine) {
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(kVsHead +
                     "  http:\n"
                     "  - route: [{destination: {host: reviews}, wieght: 5}]\n"  // 7: unknown field
                     "    timeout: 5\n"                                          // 8: no unit
                     "    retries: {attempts: -1}\n",                            // 9: negative
                 "three.yaml", store, diags);
  ASSERT_EQ(diags.error_count(), 3u) << dump(diags);
  ASSERT_EQ(diags.items().size(), 3u) << dump(diags);
  const int lines[] = {7, 8, 9};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string line = diags.items()[i].format();
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.rfind("three.yaml:" + std::to_string(lines[i]) + ":", 0), 0u) << line;
  }
}

TEST(Diagnostics, AtMostTwentyErrorsPerFileThenOneLineCountingTheRest) {
  std::string text = kDrHead + "  host: reviews\n  subsets:\n";
  for (int i = 0; i < 25; ++i) text += "  - {name: s" + std::to_string(i) + ", colour: red}\n";
  ConfigStore store;
  Diagnostics diags;
  load_yaml_text(text, "many.yaml", store, diags);
  load_yaml_text(kVsHead + "  http: [{route: [{destination: {host: reviews}}], timout: 1s}]\n", "other.yaml", store,
                 diags);
  EXPECT_EQ(diags.error_count(), 26u);
  ASSERT_EQ(diags.items().size(), 22u) << dump(diags);
  EXPECT_EQ(diags.items()[20].format(), "many.yaml: error: 5 more error(s) in this file not shown (only the first 20 "
                                        "are); fix these first");
  EXPECT_EQ(diags.items()[21].location.file, "other.yaml");  // another file has its own 20
}

TEST(Diagnostics, AMissingFileSaysWhy) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({"/nonexistent-meshtwin-dir/missing.yaml"}, store, diags);
  ASSERT_EQ(diags.items().size(), 1u) << dump(diags);
  EXPECT_EQ(diags.items()[0].format(),
            "/nonexistent-meshtwin-dir/missing.yaml: error: cannot read: No such file or directory");
  // read_input_file is the one reader of user files: the system's reason, or the file's own.
  std::string error;
  EXPECT_FALSE(read_input_file("/nonexistent-meshtwin-dir/missing.yaml", error));
  EXPECT_EQ(error, "No such file or directory");
  EXPECT_FALSE(read_input_file("/", error));
  EXPECT_EQ(error, "is a folder, not a file");
}

TEST(Diagnostics, NearestNameNeedsToBeClose) {
  EXPECT_EQ(nearest_name("serviceTme", {"workers", "serviceTime", "calls"}), "serviceTime");
  EXPECT_EQ(nearest_name("reviws", {"ratings", "reviews", "reviews.default"}), "reviews");
  EXPECT_EQ(nearest_name("zzz", {"reviews", "ratings"}), "");
  EXPECT_EQ(did_you_mean("sead", {"seed"}), "; did you mean \"seed\"?");
}

TEST(Diagnostics, FormatIsOneCompilerStyleLine) {
  Diagnostic d{Severity::Warning, SourceLocation{"f.yaml", 3, 7}, "spec.hosts", "something"};
  EXPECT_EQ(d.format(), "f.yaml:3:7: warning: spec.hosts: something");
  Diagnostic e{Severity::Error, SourceLocation{"f.yaml", 0, 0}, "", "cannot read file"};
  EXPECT_EQ(e.format(), "f.yaml: error: cannot read file");
  Diagnostic n{Severity::Note, SourceLocation{"", 0, 0}, "kind", "skipped"};
  EXPECT_EQ(n.format(), "note: kind: skipped");
}

TEST(Diagnostics, CountsAndAppend) {
  Diagnostics a, b;
  a.warning({"x", 1, 1}, "p", "w");
  EXPECT_FALSE(a.has_errors());
  EXPECT_EQ(a.first_error(), nullptr);
  b.error({"y", 2, 3}, "q", "e");
  b.note({"y", 4, 1}, "", "n");
  a.append(b);
  EXPECT_EQ(a.items().size(), 3u);
  EXPECT_EQ(a.error_count(), 1u);
  ASSERT_NE(a.first_error(), nullptr);
  EXPECT_EQ(a.first_error()->location.file, "y");
}

TEST(Diagnostics, MissingFileIsAnError) {
  ConfigStore store;
  Diagnostics diags;
  load_paths({"/nonexistent/meshtwin/manifest.yaml"}, store, diags);
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.items()[0].location.file, "/nonexistent/meshtwin/manifest.yaml");
  EXPECT_NE(diags.items()[0].message.find("No such file or directory"), std::string::npos);
}

}  // namespace
}  // namespace meshtwin::config
