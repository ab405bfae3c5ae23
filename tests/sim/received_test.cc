// What the upstream app receives (docs/semantics.md §3.4): the matched route's rewrites
// (`rewrite.uri`, `rewrite.uriRegexRewrite`, `rewrite.authority`) and header operations
// (`headers.request.set/add/remove`, per route and per destination) are applied before the
// app's endpoint matching, and spans record the result (spans.received_path,
// received_authority, received_headers; `record.headers`). Istio's API (istio/api
// networking/v1 VirtualService HTTPRewrite): "If the original URI was matched based on prefix,
// the value provided in this field will replace the corresponding matched prefix"; `authority`
// rewrites the Authority/Host header.
#include <gtest/gtest.h>

#include "mesh_fixture.h"
#include "model/proxy/headers.h"
#include "model/scenario/received_headers.h"
#include "model/xds/proxy_config.h"

namespace meshtwin {
namespace {

using telemetry::SpanKind;

// ----------------------------------------------------------------- the rewrite functions

xds::Route prefix_route(std::string prefix, std::string rewrite) {
  xds::Route r;
  r.match.path_kind = xds::RouteMatch::PathKind::Prefix;
  r.match.path = std::move(prefix);
  r.prefix_rewrite = std::move(rewrite);
  return r;
}

TEST(Rewrite, UriReplacesTheMatchedPrefixAndKeepsTheQuery_Sem3_4) {
  const xds::Route r = prefix_route("/api", "/v2");
  EXPECT_EQ(xds::rewritten_path(r, "/api/users/7?x=1"), "/v2/users/7?x=1");
  EXPECT_EQ(xds::rewritten_path(r, "/api"), "/v2");
  // The catch-all prefix "/" is the leading slash: "/v2" + "foo" (Istio's well-known trap).
  EXPECT_EQ(xds::rewritten_path(prefix_route("/", "/v2"), "/foo"), "/v2foo");
  // An exact match counts the whole path as the prefix.
  xds::Route exact = prefix_route("/old", "/new");
  exact.match.path_kind = xds::RouteMatch::PathKind::Exact;
  EXPECT_EQ(xds::rewritten_path(exact, "/old?q"), "/new?q");
  // No rewrite: unchanged (nullopt, no allocation).
  EXPECT_EQ(xds::rewritten_path(xds::Route{}, "/api"), std::nullopt);
}

TEST(Rewrite, UriRegexRewriteSubstitutesEveryMatchInThePath_Sem3_4) {
  xds::Route r;
  r.regex_rewrite = config::RegexRewrite{"^/service/([^/]+)(/.*)$", "\\2/instance/\\1"};
  r.regex_rewrite_re = xds::compile_regex(r.regex_rewrite->match);
  EXPECT_EQ(xds::rewritten_path(r, "/service/foo/v1/api?a=b"), "/v1/api/instance/foo?a=b");
  xds::Route all;
  all.regex_rewrite = config::RegexRewrite{"o", "0"};
  all.regex_rewrite_re = xds::compile_regex("o");
  EXPECT_EQ(xds::rewritten_path(all, "/foo/boo?o=o"), "/f00/b00?o=o");  // the query is not rewritten
}

TEST(Rewrite, AuthorityFromTheDestinationThenTheRoute_Sem3_4) {
  xds::Route r;
  r.clusters.resize(2);
  EXPECT_EQ(xds::rewritten_authority(r, 0, "front:8080"), "front:8080");
  r.authority_rewrite = "front.internal";
  EXPECT_EQ(xds::rewritten_authority(r, 0, "front:8080"), "front.internal");
  r.clusters[1].host_rewrite = "canary.internal";
  EXPECT_EQ(xds::rewritten_authority(r, 1, "front:8080"), "canary.internal");
  EXPECT_EQ(xds::rewritten_authority(r, 0, "front:8080"), "front.internal");
}

// ----------------------------------------------------------------- record.headers

TEST(ReceivedHeaders, JsonOfTheRecordedNamesSortedWithRepeatsJoined) {
  proxy::HeaderSet h;
  h.add("x-user", "jason");
  h.add("x-b", "say \"hi\"\\");
  h.add("x-added", "1");
  h.add("x-added", "2");
  h.add("x-secret", "s");
  std::string out;
  scenario::received_headers_json(h, scenario::RecordSpec::Headers::All, {}, out);
  EXPECT_EQ(out, R"({"x-added":"1,2","x-b":"say \"hi\"\\","x-secret":"s","x-user":"jason"})");
  scenario::received_headers_json(h, scenario::RecordSpec::Headers::Mentioned, {"x-added", "x-user"}, out);
  EXPECT_EQ(out, R"({"x-added":"1,2","x-user":"jason"})");
  scenario::received_headers_json(h, scenario::RecordSpec::Headers::Mentioned, {"x-other"}, out);
  EXPECT_EQ(out, "{}");
  scenario::received_headers_json(h, scenario::RecordSpec::Headers::None, {"x-user"}, out);
  EXPECT_EQ(out, "");  // NULL in the row
}

// ----------------------------------------------------------------- in the mesh

// front's VirtualService rewrites /api to /v2, the Host to front.internal, and sets, adds and
// removes headers (route level and destination level). front's app answers by what it
// receives: 201 only for /v2/users/… with x-user: jason, 404 for the /api path it was sent.
constexpr const char* kRewriteManifests = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: front}
spec:
  hosts: [front]
  http:
  - match: [{uri: {prefix: /api}}]
    rewrite: {uri: /v2, authority: front.internal}
    headers:
      request:
        set: {x-user: jason}
        remove: [x-drop]
    route:
    - destination: {host: front}
      headers: {request: {add: {x-dest: d1}}}
)";

constexpr const char* kRewriteApps = R"yaml(  duration: 1s
  apps:
    front-v1:
      endpoints:
        - match: {path: {prefix: /api}}
          status: 404
        - match: {path: {regex: "/v2/users/([0-9]+)"}, headers: {x-user: {exact: jason}, x-dest: {exact: d1}}}
          status: 201
        - match: {headers: {x-drop: {exact: "1"}}}
          status: 400
)yaml";

class Received : public MeshTest {};

TEST_F(Received, TheAppMatchesTheRewrittenRequest_Sem3_4) {
  auto sink = run(std::string(kRewriteApps) + R"(  clients:
    - name: c
      from: {workload: client}
      to: "http://front:8080/api/users/7?v=1"
      rate: {constant: 10}
      mix: [{headers: {x-drop: "1", x-keep: k}}]
)",
                  kRewriteManifests);
  ASSERT_FALSE(sink.requests.empty());
  EXPECT_EQ(codes(sink), (std::map<int, int>{{201, static_cast<int>(sink.requests.size())}}));
  ASSERT_FALSE(sink.spans.empty());
  for (const auto& s : sink.spans) {
    ASSERT_EQ(s.kind, SpanKind::Attempt);
    EXPECT_EQ(s.received_path, "/v2/users/7?v=1");
    EXPECT_EQ(s.received_authority, "front.internal");
    // Mentioned by the scenario: x-drop and x-keep (client), x-user and x-dest (endpoints);
    // x-drop was removed on the way.
    EXPECT_EQ(s.received_headers, R"({"x-dest":"d1","x-keep":"k","x-user":"jason"})");
    EXPECT_EQ(s.location, "");
  }
}

TEST_F(Received, RecordHeadersAllAndNone) {
  const std::string client = R"(  clients:
    - {name: c, from: {workload: client}, to: "http://front:8080/api/users/7", rate: {constant: 5}}
)";
  auto none = run(std::string(kRewriteApps) + "  record: {headers: none}\n" + client, kRewriteManifests);
  ASSERT_FALSE(none.spans.empty());
  EXPECT_EQ(none.spans[0].received_headers, "");
  EXPECT_EQ(none.spans[0].received_path, "/v2/users/7");  // paths are always recorded
  auto all = run(R"(  duration: 1s
  record: {headers: all}
)" + client, kRewriteManifests);
  ASSERT_FALSE(all.spans.empty());
  // No app rules: nothing is mentioned, yet `all` keeps every header the app received.
  EXPECT_EQ(all.spans[0].received_headers, R"({"x-dest":"d1","x-user":"jason"})");
  auto mentioned = run(R"(  duration: 1s
)" + client, kRewriteManifests);
  ASSERT_FALSE(mentioned.spans.empty());
  EXPECT_EQ(mentioned.spans[0].received_headers, "{}");
}

// A route without rewrites leaves the request as sent; a local reply reached no app.
TEST_F(Received, UnrewrittenAndLocalReplies) {
  auto sink = run(R"(  duration: 1s
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/items?a=b", authority: "back", rate: {constant: 5}}
    - {name: nr, from: {workload: client}, to: "http://front:8080/nothing", rate: {constant: 5}}
)",
                  kRewriteManifests);
  bool saw_back = false, saw_local = false;
  for (const auto& s : sink.spans) {
    if (s.kind == SpanKind::LocalReply) {
      saw_local = true;
      EXPECT_EQ(s.received_path, "");  // 404 NR at the caller's sidecar: nothing received
      EXPECT_EQ(s.received_authority, "");
    } else if (s.destination_service.rfind("back.", 0) == 0) {
      saw_back = true;
      EXPECT_EQ(s.received_path, "/items?a=b");
      EXPECT_EQ(s.received_authority, "back");
    }
  }
  EXPECT_TRUE(saw_back);
  EXPECT_TRUE(saw_local);
}

}  // namespace
}  // namespace meshtwin
