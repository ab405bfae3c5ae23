// Per-request functions of model/xds over hand-built configs: route matching (docs/semantics.md §2.1,
// §2.3), virtual-host selection (§1.5), the weighted pick (§3.3) and retryOn parsing (§5.3).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "model/xds/proxy_config.h"

// Counts heap allocations so a test can pin "matching does not allocate per request".
static std::atomic<long> g_allocations{0};
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// Every form is replaced, so that no allocation made by one allocator is freed by the other
// (std::stable_partition's buffer uses the nothrow form; ASan reports such a mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace meshtwin::xds {
namespace {

RequestAttributes req(std::string_view path, const std::vector<RequestHeader>& headers = {},
                      std::string_view method = "GET", std::string_view authority = "reviews") {
  RequestAttributes r;
  r.path = path;
  r.authority = authority;
  r.method = method;
  r.headers = headers.data();
  r.header_count = headers.size();
  return r;
}

RouteMatch path_match(RouteMatch::PathKind kind, std::string path, bool case_sensitive = true) {
  RouteMatch m;
  m.path_kind = kind;
  m.path = std::move(path);
  m.case_sensitive = case_sensitive;
  if (kind == RouteMatch::PathKind::Regex) m.path_regex = compile_regex(m.path);
  return m;
}

StringMatcher sm(StringMatcher::Kind kind, std::string value = {}) {
  StringMatcher s;
  s.kind = kind;
  s.value = std::move(value);
  if (kind == StringMatcher::Kind::Regex) s.regex = compile_regex(s.value);
  return s;
}

HeaderMatcher header(std::string name, StringMatcher m, bool invert = false, bool missing_empty = false) {
  HeaderMatcher h;
  h.name = std::move(name);
  h.matcher = std::move(m);
  h.invert = invert;
  h.treat_missing_as_empty = missing_empty;
  return h;
}

// ------------------------------------------------------------------ §2.3 path matching

TEST(RouteMatchTest, S2_3_UriPrefixIsAPlainStringPrefix) {
  const RouteMatch m = path_match(RouteMatch::PathKind::Prefix, "/foo");
  EXPECT_TRUE(route_matches(m, req("/foo")));
  EXPECT_TRUE(route_matches(m, req("/foo/x")));
  EXPECT_TRUE(route_matches(m, req("/foobar")));  // not path-separated on VS routes
  EXPECT_FALSE(route_matches(m, req("/fo")));
  EXPECT_FALSE(route_matches(m, req("/Foo")));
  EXPECT_FALSE(route_matches(m, req("/bar?x=/foo")));
}

TEST(RouteMatchTest, S2_3_UriExactExcludesQueryString) {
  const RouteMatch m = path_match(RouteMatch::PathKind::Exact, "/foo");
  EXPECT_TRUE(route_matches(m, req("/foo")));
  EXPECT_TRUE(route_matches(m, req("/foo?user=jason")));
  EXPECT_TRUE(route_matches(m, req("/foo#frag")));
  EXPECT_FALSE(route_matches(m, req("/foo/")));
  EXPECT_FALSE(route_matches(m, req("/foobar")));
}

// §2.3: routes match the path without its query string or fragment. path_only scans eight
// bytes at a time; every cut position (in the first word, across words, in the tail, none),
// both terminators and bytes above 0x7f must give what a plain search gives.
TEST(RouteMatchTest, S2_3_PathOnlyCutsAtTheFirstQueryOrFragmentLikeAPlainSearch) {
  const std::string alphabet = std::string("ab/?#") + '\xff' + '\x80' + '"' + '>' + '@';
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int round = 0; round < 20000; ++round) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::string path;
    const std::size_t n = x % 40;
    for (std::size_t i = 0; i < n; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      // Mostly path characters, so that cuts land at every offset.
      path += x % 8 == 0 ? alphabet[x / 8 % alphabet.size()] : static_cast<char>('a' + x / 8 % 26);
    }
    const std::size_t cut = path.find_first_of("?#");
    const std::string_view want = cut == std::string::npos ? std::string_view(path) : std::string_view(path).substr(0, cut);
    ASSERT_EQ(path_only(path), want) << path;
    ASSERT_EQ(path_only(path).data(), path.data());
  }
  EXPECT_EQ(path_only("/reviews/0?x#y"), "/reviews/0");
  EXPECT_EQ(path_only("/abcdefg#?"), "/abcdefg");
  EXPECT_EQ(path_only(""), "");
}

TEST(RouteMatchTest, S2_3_UriRegexMustMatchWholePath) {
  const RouteMatch m = path_match(RouteMatch::PathKind::Regex, "/api/v[0-9]+");
  ASSERT_TRUE(m.path_regex);
  EXPECT_TRUE(route_matches(m, req("/api/v1")));
  EXPECT_TRUE(route_matches(m, req("/api/v12?debug=1")));  // query excluded
  EXPECT_FALSE(route_matches(m, req("/api/v1/x")));        // full match, not search
  EXPECT_FALSE(route_matches(m, req("/x/api/v1")));
}

TEST(RouteMatchTest, S2_3_IgnoreUriCaseAffectsExactAndPrefixOnly) {
  EXPECT_TRUE(route_matches(path_match(RouteMatch::PathKind::Exact, "/Foo", false), req("/fOO")));
  EXPECT_TRUE(route_matches(path_match(RouteMatch::PathKind::Prefix, "/API", false), req("/api/x")));
  EXPECT_FALSE(route_matches(path_match(RouteMatch::PathKind::Exact, "/Foo", true), req("/foo")));
  // Regex ignores case_sensitive (A-VS): only (?i) makes it case-insensitive.
  EXPECT_FALSE(route_matches(path_match(RouteMatch::PathKind::Regex, "/foo", false), req("/FOO")));
  EXPECT_TRUE(route_matches(path_match(RouteMatch::PathKind::Regex, "(?i)/foo", true), req("/FOO")));
}

// ------------------------------------------------------------------ §2.3 headers, query, method

TEST(RouteMatchTest, S2_3_HeaderExactPrefixRegexPresent) {
  RouteMatch m;
  m.headers.push_back(header("end-user", sm(StringMatcher::Kind::Exact, "jason")));
  EXPECT_TRUE(route_matches(m, req("/", {{"end-user", "jason"}})));
  EXPECT_FALSE(route_matches(m, req("/", {{"end-user", "Jason"}})));  // case-sensitive
  EXPECT_FALSE(route_matches(m, req("/", {})));

  RouteMatch p;
  p.headers.push_back(header("x-canary", sm(StringMatcher::Kind::Prefix, "tr")));
  EXPECT_TRUE(route_matches(p, req("/", {{"x-canary", "true"}})));
  EXPECT_FALSE(route_matches(p, req("/", {{"x-canary", "false"}})));

  RouteMatch r;
  r.headers.push_back(header("cookie", sm(StringMatcher::Kind::Regex, "^(.*?;)?(user=jason)(;.*)?$")));
  EXPECT_TRUE(route_matches(r, req("/", {{"cookie", "a=1;user=jason"}})));
  EXPECT_FALSE(route_matches(r, req("/", {{"cookie", "user=bob"}})));

  RouteMatch pr;
  pr.headers.push_back(header("x-debug", sm(StringMatcher::Kind::Present)));
  EXPECT_TRUE(route_matches(pr, req("/", {{"x-debug", ""}})));
  EXPECT_FALSE(route_matches(pr, req("/", {{"x-other", "1"}})));
}

TEST(RouteMatchTest, S2_3_WithoutHeadersMatchesAbsentOrDifferent) {
  // withoutHeaders{end-user: {exact: jason}} -> invert + treat_missing_header_as_empty.
  RouteMatch m;
  m.headers.push_back(header("end-user", sm(StringMatcher::Kind::Exact, "jason"), true, true));
  EXPECT_TRUE(route_matches(m, req("/", {})));                        // absent header matches
  EXPECT_TRUE(route_matches(m, req("/", {{"end-user", "bob"}})));     // present, different
  EXPECT_FALSE(route_matches(m, req("/", {{"end-user", "jason"}})));  // present, equal

  // withoutHeaders{x-debug: {}} -> inverted presence check without treat_missing.
  RouteMatch p;
  p.headers.push_back(header("x-debug", sm(StringMatcher::Kind::Present), true, false));
  EXPECT_TRUE(route_matches(p, req("/", {})));
  EXPECT_FALSE(route_matches(p, req("/", {{"x-debug", "1"}})));
}

TEST(RouteMatchTest, S2_3_QueryParamsExactRegexPresent) {
  RouteMatch m;
  m.query_params.push_back(QueryParamMatcher{"user", sm(StringMatcher::Kind::Exact, "jason")});
  EXPECT_TRUE(route_matches(m, req("/p?user=jason")));
  EXPECT_TRUE(route_matches(m, req("/p?a=1&user=jason&b=2")));
  EXPECT_FALSE(route_matches(m, req("/p?user=jasonx")));
  EXPECT_FALSE(route_matches(m, req("/p?xuser=jason")));
  EXPECT_FALSE(route_matches(m, req("/p")));

  RouteMatch r;
  r.query_params.push_back(QueryParamMatcher{"id", sm(StringMatcher::Kind::Regex, "[0-9]+")});
  EXPECT_TRUE(route_matches(r, req("/p?id=42")));
  EXPECT_FALSE(route_matches(r, req("/p?id=4a")));

  RouteMatch pr;
  pr.query_params.push_back(QueryParamMatcher{"debug", sm(StringMatcher::Kind::Present)});
  EXPECT_TRUE(route_matches(pr, req("/p?debug")));
  EXPECT_FALSE(route_matches(pr, req("/p?nodebug=1")));
}

TEST(RouteMatchTest, S2_3_MethodAndAuthorityArePseudoHeaders) {
  RouteMatch m;
  m.headers.push_back(header(":method", sm(StringMatcher::Kind::Exact, "POST")));
  EXPECT_TRUE(route_matches(m, req("/", {}, "POST")));
  EXPECT_FALSE(route_matches(m, req("/", {}, "GET")));

  RouteMatch a;
  a.headers.push_back(header(":authority", sm(StringMatcher::Kind::Prefix, "reviews")));
  EXPECT_TRUE(route_matches(a, req("/", {}, "GET", "reviews:9080")));  // may include a port
  EXPECT_FALSE(route_matches(a, req("/", {}, "GET", "ratings:9080")));
}

TEST(RouteMatchTest, S2_1_ConditionsInOneBlockAreAnded) {
  RouteMatch m = path_match(RouteMatch::PathKind::Prefix, "/reviews");
  m.headers.push_back(header("end-user", sm(StringMatcher::Kind::Exact, "jason")));
  m.headers.push_back(header(":method", sm(StringMatcher::Kind::Exact, "GET")));
  EXPECT_TRUE(route_matches(m, req("/reviews/1", {{"end-user", "jason"}})));
  EXPECT_FALSE(route_matches(m, req("/reviews/1", {{"end-user", "jason"}}, "POST")));
  EXPECT_FALSE(route_matches(m, req("/ratings", {{"end-user", "jason"}})));
  EXPECT_FALSE(route_matches(m, req("/reviews/1", {})));
}

TEST(RouteMatchTest, S2_1_FirstMatchingRouteWinsAndNoMatchIsNullptr) {
  VirtualHost vh;
  Route a;
  a.name = "jason";
  a.match.headers.push_back(header("end-user", sm(StringMatcher::Kind::Exact, "jason")));
  Route b;
  b.name = "api";
  b.match = path_match(RouteMatch::PathKind::Prefix, "/api");
  vh.routes = {a, b};
  const std::vector<RequestHeader> jason{{"end-user", "jason"}};
  ASSERT_NE(match_route(vh, req("/api", jason)), nullptr);
  EXPECT_EQ(match_route(vh, req("/api", jason))->name, "jason");  // both match: first wins
  ASSERT_NE(match_route(vh, req("/api/x")), nullptr);
  EXPECT_EQ(match_route(vh, req("/api/x"))->name, "api");
  EXPECT_EQ(match_route(vh, req("/other")), nullptr);  // §2.5: 404 NR, no fallback
}

TEST(RouteMatchTest, S2_1_CatchAllDetection) {
  EXPECT_TRUE(RouteMatch{}.is_catch_all());
  EXPECT_TRUE(path_match(RouteMatch::PathKind::Regex, ".*").is_catch_all());
  EXPECT_FALSE(path_match(RouteMatch::PathKind::Prefix, "/api").is_catch_all());
  EXPECT_FALSE(path_match(RouteMatch::PathKind::Exact, "/").is_catch_all());
  RouteMatch with_header;
  with_header.headers.push_back(header("x", sm(StringMatcher::Kind::Present)));
  EXPECT_FALSE(with_header.is_catch_all());
  RouteMatch with_query;
  with_query.query_params.push_back(QueryParamMatcher{"q", sm(StringMatcher::Kind::Present)});
  EXPECT_FALSE(with_query.is_catch_all());
}

TEST(RouteMatchTest, S2_3_HandBuiltRegexIsCompiledByFinalize) {
  ProxyConfig cfg;
  RouteConfiguration rc;
  rc.name = "9080";
  VirtualHost vh;
  vh.domains = {"*"};
  Route r;
  r.match.path_kind = RouteMatch::PathKind::Regex;
  r.match.path = "/v[0-9]";
  r.match.headers.push_back(HeaderMatcher{"x-v", StringMatcher{StringMatcher::Kind::Regex, "a+", false, nullptr}});
  vh.routes.push_back(r);
  rc.virtual_hosts.push_back(vh);
  cfg.route_configs.push_back(rc);
  cfg.finalize();
  const Route& fr = cfg.route_configs[0].virtual_hosts[0].routes[0];
  ASSERT_TRUE(fr.match.path_regex);
  ASSERT_TRUE(fr.match.headers[0].matcher.regex);
  EXPECT_TRUE(route_matches(fr.match, req("/v1", {{"x-v", "aaa"}})));
  EXPECT_FALSE(route_matches(fr.match, req("/v1", {{"x-v", "b"}})));
  EXPECT_EQ(compile_regex("(unclosed"), nullptr);
}

// ------------------------------------------------------------------ §1.5 virtual hosts

RouteConfiguration vhost_table() {
  RouteConfiguration rc;
  rc.name = "80";
  auto add = [&](std::string name, std::vector<std::string> domains) {
    VirtualHost vh;
    vh.name = std::move(name);
    vh.domains = std::move(domains);
    rc.virtual_hosts.push_back(std::move(vh));
  };
  add("exact", {"api.example.com", "Mixed.Example.COM"});
  add("suffix-short", {"*.example.com"});
  add("suffix-long", {"*.eu.example.com"});
  add("prefix", {"api.*"});
  add("prefix-long", {"api.internal.*"});
  add("default", {"*"});
  add("ipv6", {"[::1]"});
  rc.finalize();
  return rc;
}

std::string vhost_for(const RouteConfiguration& rc, std::string_view authority) {
  const std::int32_t i = rc.find_virtual_host(authority);
  return i < 0 ? "<none>" : rc.virtual_hosts[static_cast<std::size_t>(i)].name;
}

TEST(VirtualHostTest, S1_5_ExactThenSuffixThenPrefixThenDefault) {
  const RouteConfiguration rc = vhost_table();
  EXPECT_EQ(vhost_for(rc, "api.example.com"), "exact");          // exact beats *.example.com and api.*
  EXPECT_EQ(vhost_for(rc, "www.example.com"), "suffix-short");
  EXPECT_EQ(vhost_for(rc, "www.eu.example.com"), "suffix-long");  // longest suffix wins
  EXPECT_EQ(vhost_for(rc, "api.example.org"), "prefix");
  EXPECT_EQ(vhost_for(rc, "api.internal.net"), "prefix-long");    // longest prefix wins
  EXPECT_EQ(vhost_for(rc, "example.com"), "default");             // "*.example.com" needs a label
  EXPECT_EQ(vhost_for(rc, "unknown.org"), "default");
}

TEST(VirtualHostTest, S1_5_CaseInsensitiveAndPortStripped) {
  const RouteConfiguration rc = vhost_table();
  EXPECT_EQ(vhost_for(rc, "API.Example.Com"), "exact");
  EXPECT_EQ(vhost_for(rc, "mixed.example.com"), "exact");  // domains are lower-cased too
  EXPECT_EQ(vhost_for(rc, "api.example.com:8080"), "exact");
  EXPECT_EQ(vhost_for(rc, "WWW.EU.example.com:443"), "suffix-long");
  EXPECT_EQ(vhost_for(rc, "[::1]:80"), "ipv6");
}

// Hosts are folded and hashed 8 bytes at a time (proxy_config.cc lower_hash): every length
// around a word boundary, the letters at both ends of A-Z, the bytes just outside it ('@', '[')
// and non-ASCII bytes (which Envoy does not fold) must behave as byte-wise ASCII folding.
TEST(VirtualHostTest, S1_5_CaseFoldingAtEveryLengthAndByte) {
  RouteConfiguration rc;
  std::vector<std::string> domains;
  for (std::size_t n = 1; n <= 41; ++n) {
    std::string d;
    for (std::size_t i = 0; i < n; ++i) d += static_cast<char>('a' + (i * 7 + n) % 26);
    domains.push_back(d);
  }
  domains.push_back("z@[.example");       // '@' and '[' border 'A' and 'Z'
  domains.push_back("caf\xc3\xa9.example");  // UTF-8: only ASCII letters fold
  for (std::size_t i = 0; i < domains.size(); ++i) {
    VirtualHost vh;
    vh.name = "vh" + std::to_string(i);
    vh.domains = {domains[i]};
    rc.virtual_hosts.push_back(vh);
  }
  rc.finalize();
  auto upper = [](std::string s) {
    for (char& c : s)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
  };
  for (std::size_t i = 0; i < domains.size(); ++i) {
    EXPECT_EQ(rc.find_virtual_host(domains[i]), static_cast<std::int32_t>(i)) << domains[i];
    EXPECT_EQ(rc.find_virtual_host(upper(domains[i]) + ":80"), static_cast<std::int32_t>(i)) << domains[i];
    EXPECT_EQ(rc.find_virtual_host(domains[i] + "x"), -1) << domains[i];
  }
  EXPECT_EQ(rc.find_virtual_host("Z@[.EXAMPLE"), 41);
  EXPECT_EQ(rc.find_virtual_host("z`{.example"), -1);  // '`' and '{' are not '@' and '[' folded
  EXPECT_EQ(rc.find_virtual_host("CAF\xc3\xa9.example"), 42);
  EXPECT_EQ(rc.find_virtual_host("caf\xc3\x89.example"), -1);  // É is not folded to é
  EXPECT_EQ(rc.find_virtual_host(std::string(300, 'A')), -1);  // past the stack buffer
}

TEST(VirtualHostTest, S1_5_NoDefaultMeansNoVirtualHost) {
  RouteConfiguration rc;
  VirtualHost vh;
  vh.name = "only";
  vh.domains = {"reviews"};
  rc.virtual_hosts.push_back(vh);
  rc.finalize();
  EXPECT_EQ(rc.find_virtual_host("ratings"), -1);
  EXPECT_EQ(rc.find_virtual_host("reviews:9080"), 0);
}

TEST(VirtualHostTest, S1_5_MatchingDoesNotAllocate) {
  RouteConfiguration rc = vhost_table();
  VirtualHost& vh = rc.virtual_hosts[0];
  Route r;
  r.match = path_match(RouteMatch::PathKind::Regex, "/reviews/[0-9]+");
  r.match.headers.push_back(header("end-user", sm(StringMatcher::Kind::Regex, "ja.*")));
  r.match.headers.push_back(header("x-skip", sm(StringMatcher::Kind::Exact, "1"), true, true));
  r.match.query_params.push_back(QueryParamMatcher{"u", sm(StringMatcher::Kind::Prefix, "j")});
  vh.routes.push_back(r);
  const std::vector<RequestHeader> headers{{"end-user", "jason"}, {"accept", "*/*"}};
  RequestAttributes request = req("/reviews/7?u=jason", headers, "GET", "API.EXAMPLE.COM:9080");
  // Warm up (RE2 may build its DFA lazily on first use).
  ASSERT_EQ(rc.find_virtual_host(request.authority), 0);
  ASSERT_NE(match_route(rc.virtual_hosts[0], request), nullptr);
  const long before = g_allocations.load();
  int hits = 0;
  for (int i = 0; i < 100; ++i) {
    const std::int32_t v = rc.find_virtual_host(request.authority);
    if (v >= 0 && match_route(rc.virtual_hosts[static_cast<std::size_t>(v)], request)) ++hits;
  }
  EXPECT_EQ(hits, 100);
  EXPECT_EQ(g_allocations.load() - before, 0);
}

// ------------------------------------------------------------------ §3.3 weights

Route weighted(std::vector<std::uint32_t> weights) {
  Route r;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    WeightedCluster wc;
    wc.name = "c" + std::to_string(i);
    wc.weight = weights[i];
    r.total_weight += weights[i];
    r.clusters.push_back(wc);
  }
  return r;
}

TEST(WeightedPickTest, S3_3_EightyTwentyIntervalsAreExact) {
  const Route r = weighted({80, 20});
  int counts[2] = {0, 0};
  for (std::uint64_t v = 0; v < 100; ++v) {
    const std::size_t pick = pick_weighted_cluster(r, v);
    ASSERT_LT(pick, 2u);
    ++counts[pick];
    EXPECT_EQ(pick, v < 80 ? 0u : 1u) << "random " << v;
  }
  EXPECT_EQ(counts[0], 80);
  EXPECT_EQ(counts[1], 20);
  // random % total: large values wrap.
  EXPECT_EQ(pick_weighted_cluster(r, 179), 0u);
  EXPECT_EQ(pick_weighted_cluster(r, 180), 1u);
  EXPECT_EQ(pick_weighted_cluster(r, 1'000'000'099), 1u);
}

TEST(WeightedPickTest, S3_3_WeightsAreRelativeNotPercentages) {
  const Route r = weighted({1, 2, 3});  // total 6
  EXPECT_EQ(pick_weighted_cluster(r, 0), 0u);
  EXPECT_EQ(pick_weighted_cluster(r, 1), 1u);
  EXPECT_EQ(pick_weighted_cluster(r, 2), 1u);
  EXPECT_EQ(pick_weighted_cluster(r, 3), 2u);
  EXPECT_EQ(pick_weighted_cluster(r, 5), 2u);
  EXPECT_EQ(pick_weighted_cluster(r, 6), 0u);
}

TEST(WeightedPickTest, S3_3_SingleClusterIgnoresItsWeight) {
  Route r = weighted({0});
  EXPECT_EQ(pick_weighted_cluster(r, 12345), 0u);
  r = weighted({30});
  EXPECT_EQ(pick_weighted_cluster(r, 99), 0u);
}

// ------------------------------------------------------------------ §5.3 retryOn

TEST(RetryOnTest, S5_3_ParsesEnvoyTokensAndStatusCodes) {
  std::vector<std::uint32_t> codes;
  const std::uint32_t bits = parse_retry_on("5xx, gateway-error,connect-failure,refused-stream", &codes);
  EXPECT_EQ(bits, kRetry5xx | kRetryGatewayError | kRetryConnectFailure | kRetryRefusedStream);
  EXPECT_TRUE(codes.empty());

  codes.clear();
  const std::uint32_t b2 = parse_retry_on("503,reset,429", &codes);
  EXPECT_EQ(b2, kRetryReset | kRetryRetriableStatusCodes);  // integers imply retriable-status-codes
  EXPECT_EQ(codes, (std::vector<std::uint32_t>{503, 429}));

  codes.clear();
  // Unknown tokens and integers that are not HTTP statuses are ignored.
  EXPECT_EQ(parse_retry_on("bogus,600,unavailable,cancelled,,", &codes), kRetryGrpcUnavailable | kRetryGrpcCancelled);
  EXPECT_TRUE(codes.empty());
  EXPECT_EQ(parse_retry_on("reset-before-request,retriable-4xx,deadline-exceeded,internal,resource-exhausted", nullptr),
            kRetryResetBeforeRequest | kRetryRetriable4xx | kRetryGrpcDeadlineExceeded | kRetryGrpcInternal |
                kRetryGrpcResourceExhausted);
}

TEST(ClusterNameTest, S3_2_OutboundClusterNameFormat) {
  EXPECT_EQ(outbound_cluster_name(9080, "", "reviews.default.svc.cluster.local"),
            "outbound|9080||reviews.default.svc.cluster.local");
  EXPECT_EQ(outbound_cluster_name(9080, "v2", "reviews.default.svc.cluster.local"),
            "outbound|9080|v2|reviews.default.svc.cluster.local");
}

TEST(ProxyConfigTest, FinalizeResolvesClusterIndicesAndPorts) {
  ProxyConfig cfg;
  Cluster c;
  c.name = "outbound|9080|v1|reviews.default.svc.cluster.local";
  cfg.clusters.push_back(c);
  RouteConfiguration rc;
  rc.name = "9080";
  VirtualHost vh;
  vh.domains = {"reviews"};
  Route r = weighted({50, 50});
  r.clusters[0].name = c.name;
  r.clusters[1].name = "outbound|9080|v9|reviews.default.svc.cluster.local";
  MirrorPolicy mp;
  mp.cluster_name = c.name;
  r.mirrors.push_back(mp);
  vh.routes.push_back(r);
  rc.virtual_hosts.push_back(vh);
  cfg.route_configs.push_back(rc);
  RouteConfiguration gw;
  gw.name = "http.8080";
  cfg.route_configs.push_back(gw);
  cfg.finalize();
  const Route& fr = cfg.route_configs[0].virtual_hosts[0].routes[0];
  EXPECT_EQ(fr.clusters[0].cluster, 0);
  EXPECT_EQ(fr.clusters[1].cluster, kNoCluster);  // -> 503 NC
  EXPECT_EQ(fr.mirrors[0].cluster, 0);
  EXPECT_EQ(cfg.route_config_for_port(9080), &cfg.route_configs[0]);
  EXPECT_EQ(cfg.route_config_for_port(8080), &cfg.route_configs[1]);
  EXPECT_EQ(cfg.route_config_for_port(80), nullptr);
  EXPECT_EQ(cfg.find_cluster("nope"), kNoCluster);
}

}  // namespace
}  // namespace meshtwin::xds
