// Per-request matching (docs/semantics.md §2.1, §2.3, §3.3). Everything here runs once per request at
// every caller proxy, so it compares string_views and never allocates; regexes were compiled
// at compile time.
#include <re2/re2.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "model/xds/proxy_config.h"

namespace meshtwin::xds {

namespace {

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// Sizes first, then memcmp: string_view's ==, != and starts_with go through compare(), which
// the LTO build keeps out of line (about 45 instructions a route tried).
bool equals(std::string_view a, std::string_view b) {
  // An empty view may have no data at all, which memcmp must not be given.
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         (prefix.empty() || std::memcmp(text.data(), prefix.data(), prefix.size()) == 0);
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace

// Eight bytes at a time: a byte equal to '?' or '#' is a zero byte of the word xor'ed with that
// character repeated, and the lowest byte the zero-byte test flags is always a true one (a borrow
// only runs upwards). A path of 8 bytes or more takes its whole words and one last word that
// overlaps them, instead of a compare-and-branch round per character; libstdc++'s
// find_first_of("?#") calls memchr once per character.
std::string_view path_only(std::string_view path) {
  const char* p = path.data();
  const std::size_t n = path.size();
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (p[i] == '?' || p[i] == '#') return path.substr(0, i);
    return path;
  }
  // The offset of the first '?' or '#' in the 8 bytes at `at`, 8 if none.
  auto first_cut = [p](std::size_t at) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    std::uint64_t w;
    std::memcpy(&w, p + at, 8);
    const std::uint64_t q = w ^ (kOnes * '?');
    const std::uint64_t h = w ^ (kOnes * '#');
    const std::uint64_t hit = (((q - kOnes) & ~q) | ((h - kOnes) & ~h)) & kHighs;
    return hit ? static_cast<std::size_t>(std::countr_zero(hit) >> 3) : std::size_t{8};
  };
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    if (const std::size_t c = first_cut(i); c < 8) return path.substr(0, i + c);
  // The last word again, overlapping bytes already known to hold no cut.
  if (i < n)
    if (const std::size_t c = first_cut(n - 8); c < 8) return path.substr(0, n - 8 + c);
  return path;
}

namespace {

std::string_view query_of(std::string_view path) {
  const std::size_t q = path.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = path.substr(q + 1);
  const std::size_t hash = query.find('#');
  return hash == std::string_view::npos ? query : query.substr(0, hash);
}

// The first value of a query parameter, as Envoy's matcher uses. A key without '=' has an empty
// value; nullopt when the key is absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    const std::size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    if (key == name) return eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool header_matches(const HeaderMatcher& h, const RequestAttributes& request) {
  std::optional<std::string_view> value = request.header(h.name);
  if (!value) {
    // Envoy HeaderUtility: a missing header matches only inverted matchers, unless
    // treat_missing_header_as_empty evaluates it as "" (withoutHeaders with a value, §2.3).
    if (!h.treat_missing_as_empty) return h.invert;
    value = std::string_view{};
  }
  const bool m = h.matcher.kind == StringMatcher::Kind::Present ? true : h.matcher.matches(*value);
  return m != h.invert;
}

}  // namespace

std::shared_ptr<const re2::RE2> compile_regex(std::string_view pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) {
    if (error) *error = re->error();
    return nullptr;
  }
  return re;
}

bool StringMatcher::matches(std::string_view text) const {
  switch (kind) {
    case Kind::Exact:
      return ignore_case ? iequals(text, value) : equals(text, value);
    case Kind::Prefix:
      return ignore_case ? istarts_with(text, value) : starts_with(text, value);
    case Kind::Regex:
      // A pattern that never compiled matches nothing (validation reports it).
      return regex && RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *regex);
    case Kind::Present:
      return true;
  }
  return false;
}

bool RouteMatch::is_catch_all() const {
  // Istio IsCatchAllRoute (I-ROUTE): prefix "/" or regex ".*", no header/query matchers.
  const bool any_path = ((path_kind == PathKind::Prefix || path_kind == PathKind::PathSeparatedPrefix) && path == "/") ||
                        (path_kind == PathKind::Regex && path == ".*");
  return any_path && headers.empty() && query_params.empty();
}

std::optional<std::string_view> RequestAttributes::header(std::string_view name) const {
  if (!name.empty() && name.front() == ':') {
    if (name == ":authority") return authority;
    if (name == ":method") return method;
    if (name == ":scheme") return scheme;
    if (name == ":path") return path;
    return std::nullopt;
  }
  if (name == "host") return authority;
  for (std::size_t i = 0; i < header_count; ++i)
    if (headers[i].name == name) return headers[i].value;
  return std::nullopt;
}

namespace {

// `path`: the request's path without query and fragment, cut once per request by the caller.
bool route_matches_path(const RouteMatch& match, const RequestAttributes& request, std::string_view path) {
  switch (match.path_kind) {
    case RouteMatch::PathKind::Prefix:
      if (match.case_sensitive ? !starts_with(path, match.path) : !istarts_with(path, match.path)) return false;
      break;
    case RouteMatch::PathKind::Exact:
      if (match.case_sensitive ? !equals(path, match.path) : !iequals(path, match.path)) return false;
      break;
    case RouteMatch::PathKind::PathSeparatedPrefix: {
      // Envoy path_separated_prefix: the prefix (without a trailing '/') must end at a '/' or at
      // the end of the path.
      std::string_view prefix = match.path;
      if (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
      if (match.case_sensitive ? !starts_with(path, prefix) : !istarts_with(path, prefix)) return false;
      if (!equals(prefix, "/") && path.size() > prefix.size() && path[prefix.size()] != '/') return false;
      break;
    }
    case RouteMatch::PathKind::Regex:
      // ignoreUriCase does not apply to regex (A-VS); the regex must match the whole path.
      if (!match.path_regex || !RE2::FullMatch(re2::StringPiece(path.data(), path.size()), *match.path_regex))
        return false;
      break;
  }
  for (const auto& h : match.headers)
    if (!header_matches(h, request)) return false;
  if (!match.query_params.empty()) {
    const std::string_view query = query_of(request.path);
    for (const auto& q : match.query_params) {
      std::optional<std::string_view> v = query_param(query, q.name);
      if (!v) return false;
      if (q.matcher.kind != StringMatcher::Kind::Present && !q.matcher.matches(*v)) return false;
    }
  }
  return true;
}

}  // namespace

bool route_matches(const RouteMatch& match, const RequestAttributes& request) {
  return route_matches_path(match, request, path_only(request.path));
}

const Route* match_route(const VirtualHost& vhost, const RequestAttributes& request) {
  // Envoy evaluates the routes of a virtual host strictly in order; first match wins (§2.1).
  const std::string_view path = path_only(request.path);
  for (const auto& r : vhost.routes)
    if (route_matches_path(r.match, request, path)) return &r;
  return nullptr;
}

namespace {

std::size_t pick_weighted(const std::vector<WeightedCluster>& clusters, std::uint64_t total, std::uint64_t random) {
  if (clusters.size() <= 1) return 0;
  if (total == 0) {
    for (const auto& c : clusters) total += c.weight;
    if (total == 0) return 0;
  }
  // E-WC pickWeightedCluster: consecutive half-open intervals in config order.
  const std::uint64_t v = random % total;
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    end += clusters[i].weight;
    if (v < end) return i;
  }
  return clusters.size() - 1;
}

}  // namespace

std::size_t pick_weighted_cluster(const Route& route, std::uint64_t random) {
  return pick_weighted(route.clusters, route.total_weight, random);
}

// Envoy's tcp_proxy weighted_clusters pick the same way, once per connection.
std::size_t pick_weighted_cluster(const TcpProxy& tcp, std::uint64_t random) {
  return pick_weighted(tcp.clusters, tcp.total_weight, random);
}


namespace {

// How much of `path_only` the route's path match covers: the prefix for prefix matches, the
// whole path for exact and regex ones (Envoy's prefix_rewrite and redirect prefix_rewrite).
std::size_t matched_prefix_length(const RouteMatch& m, std::string_view path_only) {
  if ((m.path_kind == RouteMatch::PathKind::Prefix || m.path_kind == RouteMatch::PathKind::PathSeparatedPrefix) &&
      m.path.size() <= path_only.size())
    return m.path.size();
  return path_only.size();
}

}  // namespace

std::optional<std::string> rewritten_path(const Route& route, std::string_view path_with_query) {
  if (!route.rewrites_path()) return std::nullopt;
  const std::size_t q = path_with_query.find('?');
  const std::string_view path = path_with_query.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : path_with_query.substr(q);
  std::string out;
  if (!route.prefix_rewrite.empty()) {
    out = route.prefix_rewrite;
    out += path.substr(matched_prefix_length(route.match, path));
  } else {
    out = std::string(path);
    RE2::GlobalReplace(&out, *route.regex_rewrite_re, route.regex_rewrite->rewrite);
  }
  out += query;
  return out;
}

std::string_view rewritten_authority(const Route& route, std::size_t weighted_pick, std::string_view authority) {
  if (weighted_pick < route.clusters.size() && !route.clusters[weighted_pick].host_rewrite.empty())
    return route.clusters[weighted_pick].host_rewrite;
  if (!route.authority_rewrite.empty()) return route.authority_rewrite;
  return authority;
}

std::string redirect_location(const Route& route, const RequestAttributes& request) {
  const Route::RedirectAction& rd = route.redirect;
  const std::string_view scheme = rd.scheme.empty() ? request.scheme : std::string_view(rd.scheme);
  const std::string port = rd.port ? ":" + std::to_string(rd.port) : std::string();
  std::string host;
  if (!rd.host.empty()) {
    host = rd.host;
  } else {
    // Envoy processRequestHost: the request's Host keeps its port unless the route sets one, or
    // the scheme changes and the port was the old scheme's default.
    std::string_view h = request.authority;
    std::size_t colon = std::string_view::npos;
    if (!h.empty() && h.front() == '[') {
      const std::size_t close = h.rfind("]:");
      if (close != std::string_view::npos) colon = close + 1;
    } else {
      colon = h.rfind(':');
    }
    if (colon != std::string_view::npos) {
      const std::string_view request_port = h.substr(colon);
      bool remove = !port.empty();
      if (scheme != request.scheme)
        remove = remove || (request.scheme == "https" && request_port == ":443") ||
                 (request.scheme == "http" && request_port == ":80");
      if (remove) h = h.substr(0, colon);
    }
    host = std::string(h);
  }
  const std::string_view full = request.path;
  const std::size_t q = full.find('?');
  const std::string_view path_only = full.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : full.substr(q);
  std::string path;
  if (!rd.path.empty()) {
    path = rd.path;
    if (path.find('?') == std::string::npos) path += query;  // the request's query stays
  } else if (rd.prefix_rewrite) {
    // The matched prefix (the whole path for exact and regex matches) is swapped for the value.
    path = *rd.prefix_rewrite + std::string(path_only.substr(matched_prefix_length(route.match, path_only))) +
           std::string(query);
  } else {
    path = std::string(full);
  }
  return std::string(scheme) + "://" + host + port + path;
}

}  // namespace meshtwin::xds
