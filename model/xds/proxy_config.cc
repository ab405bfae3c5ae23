// Lookup structures of a compiled proxy config: Envoy's virtual-host selection (docs/semantics.md §1.5)
// and cluster lookup by name. Built once by finalize(); probed per request without allocating.
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "model/xds/proxy_config.h"

namespace meshtwin::xds {

namespace {

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// Istio sets ignore_port_in_host_matching on sidecar and gateway route tables: Envoy strips a
// trailing ":port" before matching (keeping IPv6 brackets).
std::string_view strip_port(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  const std::size_t colon = authority.find(':');
  if (colon == std::string_view::npos) return authority;
  if (authority.find(':', colon + 1) != std::string_view::npos) return authority;  // bare IPv6
  return authority.substr(0, colon);
}

// ASCII upper case to lower case in the 8 bytes of w at once (other bytes, UTF-8 included, stay):
// a byte is upper case when its low 7 bits are in 'A'..'Z' and its high bit is clear. No sum
// below carries into the next byte (at most 0x7f + 0x3f).
inline std::uint64_t lower8(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const std::uint64_t low7 = w & ~kHigh;
  const std::uint64_t at_least_a = low7 + (0x80 - 'A') * kOnes;
  const std::uint64_t above_z = low7 + (0x80 - 'Z' - 1) * kOnes;
  const std::uint64_t upper = at_least_a & ~above_z & ~w & kHigh;
  return w | (upper >> 2);  // 0x80 >> 2 = 0x20: 'A' | 0x20 = 'a'
}

// Writes s lower-cased to out (s.size() bytes) and returns a hash of the lower-cased text: one
// pass of 8-byte words, so that a host is folded and hashed for about what the byte-wise
// folding alone cost. Domains are stored lower-cased with the same hash (finalize).
std::uint64_t lower_hash(std::string_view s, char* out) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ s.size();
  std::size_t i = 0;
  auto mix = [&h](std::uint64_t w) {
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 29;
  };
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    w = lower8(w);
    std::memcpy(out + i, &w, 8);
    mix(w);
  }
  if (i < s.size()) {
    std::uint64_t w = 0;  // the tail, zero-padded: nothing past the end is read
    std::memcpy(&w, s.data() + i, s.size() - i);
    w = lower8(w);
    std::memcpy(out + i, &w, s.size() - i);
    mix(w);
  }
  return h;
}

void compile_missing(StringMatcher& m) {
  if (m.kind == StringMatcher::Kind::Regex && !m.regex) m.regex = compile_regex(m.value);
}

void compile_missing(RouteMatch& match) {
  if (match.path_kind == RouteMatch::PathKind::Regex && !match.path_regex)
    match.path_regex = compile_regex(match.path);
  for (auto& h : match.headers) compile_missing(h.matcher);
  for (auto& q : match.query_params) compile_missing(q.matcher);
}

}  // namespace

// ------------------------------------------------------------------ virtual hosts

void RouteConfiguration::finalize() {
  std::vector<std::pair<std::string, std::int32_t>> exact;  // in order: the first claim wins
  exact_.clear();
  suffix_.clear();
  prefix_.clear();
  wildcard_ = -1;
  for (std::size_t i = 0; i < virtual_hosts.size(); ++i) {
    const auto idx = static_cast<std::int32_t>(i);
    for (const auto& raw : virtual_hosts[i].domains) {
      std::string d = to_lower(raw);
      // The first virtual host to claim a domain keeps it (Envoy rejects duplicates; the compile
      // half dedupes like Istio, so this only matters for hand-built configs).
      if (d == "*") {
        if (wildcard_ < 0) wildcard_ = idx;
      } else if (d.front() == '*') {
        std::string suffix = d.substr(1);
        if (std::none_of(suffix_.begin(), suffix_.end(), [&](const auto& e) { return e.first == suffix; }))
          suffix_.emplace_back(std::move(suffix), idx);
      } else if (d.back() == '*') {
        std::string prefix = d.substr(0, d.size() - 1);
        if (std::none_of(prefix_.begin(), prefix_.end(), [&](const auto& e) { return e.first == prefix; }))
          prefix_.emplace_back(std::move(prefix), idx);
      } else {
        exact.emplace_back(std::move(d), idx);
      }
    }
    for (auto& r : virtual_hosts[i].routes) {
      compile_missing(r.match);
      if (r.regex_rewrite && !r.regex_rewrite_re) r.regex_rewrite_re = compile_regex(r.regex_rewrite->match);
    }
  }
  if (!exact.empty()) {
    std::size_t size = 4;
    while (size < 2 * exact.size()) size *= 2;
    exact_.assign(size, ExactDomain{});
    for (auto& [domain, idx] : exact) {
      std::string folded(domain.size(), '\0');  // the same text: domain is lower case already
      const std::uint64_t h = lower_hash(domain, folded.data());
      std::size_t at = h & (size - 1);
      while (exact_[at].index >= 0 && exact_[at].domain != domain) at = (at + 1) & (size - 1);
      if (exact_[at].index < 0) exact_[at] = ExactDomain{h, std::move(domain), idx};
    }
  }
  // Longest wildcard first (E-CFG findWildcardVirtualHost walks lengths in descending order).
  auto longer = [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); };
  std::stable_sort(suffix_.begin(), suffix_.end(), longer);
  std::stable_sort(prefix_.begin(), prefix_.end(), longer);
}

std::int32_t RouteConfiguration::find_virtual_host(std::string_view authority) const {
  const std::string_view host_raw = strip_port(authority);
  // Lower-case into a stack buffer; hostnames are at most 253 characters, anything longer
  // takes the slow path.
  char buf[256];
  std::string fallback;
  char* out = buf;
  if (host_raw.size() > sizeof buf) {
    fallback.resize(host_raw.size());
    out = fallback.data();
  }
  const std::uint64_t h = lower_hash(host_raw, out);
  const std::string_view host(out, host_raw.size());
  if (!exact_.empty()) {
    const std::size_t mask = exact_.size() - 1;
    for (std::size_t at = h & mask; exact_[at].index >= 0; at = (at + 1) & mask)
      if (exact_[at].hash == h && exact_[at].domain == host) return exact_[at].index;
  }
  // A wildcard must cover at least one character: "*.foo.com" does not match "foo.com".
  for (const auto& [suffix, idx] : suffix_)
    if (host.size() > suffix.size() && host.ends_with(suffix)) return idx;
  for (const auto& [prefix, idx] : prefix_)
    if (host.size() > prefix.size() && host.starts_with(prefix)) return idx;
  return wildcard_;
}

// ------------------------------------------------------------------ proxy config

std::string outbound_cluster_name(std::uint32_t port, std::string_view subset, std::string_view hostname) {
  std::string out;
  out.reserve(16 + subset.size() + hostname.size());
  out.append("outbound|").append(std::to_string(port)).append("|").append(subset).append("|").append(hostname);
  return out;
}

const RouteConfiguration* ProxyConfig::find_route_config(std::string_view name) const {
  auto it = route_config_by_name_.find(name);
  return it == route_config_by_name_.end() ? nullptr : &route_configs[static_cast<std::size_t>(it->second)];
}

const Listener* ProxyConfig::find_listener(std::string_view address, std::uint32_t port) const {
  // Listener names are "<bind>_<port>", so the lookup is by name (istiod's simulator compares the
  // socket address and port, which is the same thing).
  char buf[80];
  auto probe = [&](std::string_view a) -> const Listener* {
    if (a.size() + 8 > sizeof buf) return nullptr;
    const int n = std::snprintf(buf, sizeof buf, "%.*s_%u", static_cast<int>(a.size()), a.data(), port);
    auto it = listener_by_name_.find(std::string_view(buf, static_cast<std::size_t>(n)));
    return it == listener_by_name_.end() ? nullptr : &listeners[static_cast<std::size_t>(it->second)];
  };
  if (const Listener* l = probe(address)) return l;
  if (const Listener* l = probe("0.0.0.0")) return l;
  return virtual_outbound_ >= 0 ? &listeners[static_cast<std::size_t>(virtual_outbound_)] : nullptr;
}

const RouteConfiguration* ProxyConfig::route_config_for_port(std::uint32_t port) const {
  auto it = route_config_by_port_.find(port);
  return it == route_config_by_port_.end() ? nullptr : &route_configs[static_cast<std::size_t>(it->second)];
}

std::int32_t ProxyConfig::find_cluster(std::string_view name) const {
  auto it = cluster_by_name_.find(name);
  return it == cluster_by_name_.end() ? kNoCluster : it->second;
}

void ProxyConfig::finalize() {
  cluster_by_name_.clear();
  for (std::size_t i = 0; i < clusters.size(); ++i)
    cluster_by_name_.emplace(clusters[i].name, static_cast<std::int32_t>(i));

  route_config_by_port_.clear();
  route_config_by_name_.clear();
  for (std::size_t i = 0; i < route_configs.size(); ++i)
    route_config_by_name_.emplace(route_configs[i].name, static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < route_configs.size(); ++i) {
    // Sidecar tables are named "9080", gateway tables "http.80".
    std::string_view name = route_configs[i].name;
    if (name.starts_with("http.")) name.remove_prefix(5);
    std::uint32_t port = 0;
    auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), port);
    if (ec == std::errc() && ptr == name.data() + name.size())
      route_config_by_port_.emplace(port, static_cast<std::int32_t>(i));
  }

  // Routes name their clusters; resolve the names to indices once so the proxy never looks a
  // name up per request. A name with no cluster stays kNoCluster -> 503 NC (docs/semantics.md §3.2).
  for (auto& rc : route_configs) {
    rc.finalize();
    for (auto& vh : rc.virtual_hosts) {
      for (auto& r : vh.routes) {
        std::uint64_t total = 0;
        for (auto& wc : r.clusters) {
          if (!wc.name.empty()) wc.cluster = find_cluster(wc.name);
          total += wc.weight;
        }
        if (r.total_weight == 0) r.total_weight = total;
        for (auto& m : r.mirrors)
          if (!m.cluster_name.empty()) m.cluster = find_cluster(m.cluster_name);
      }
    }
  }

  listener_by_name_.clear();
  virtual_outbound_ = -1;
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    Listener& l = listeners[i];
    if (l.name == "virtualOutbound") virtual_outbound_ = static_cast<std::int32_t>(i);
    else listener_by_name_.emplace(l.address + "_" + std::to_string(l.port), static_cast<std::int32_t>(i));
    auto resolve = [&](FilterChain& fc) {
      if (fc.kind == FilterChain::Kind::Http) {
        auto it = route_config_by_name_.find(fc.route_config_name);
        fc.route_config = it == route_config_by_name_.end() ? -1 : it->second;
      }
      std::uint64_t total = 0;
      for (auto& wc : fc.tcp.clusters) {
        if (!wc.name.empty()) wc.cluster = find_cluster(wc.name);
        total += wc.weight;
      }
      if (fc.tcp.total_weight == 0) fc.tcp.total_weight = total;
    };
    for (auto& fc : l.filter_chains) resolve(fc);
    if (l.default_filter_chain) resolve(*l.default_filter_chain);
  }
}

// ------------------------------------------------------------------ filter-chain match

namespace {

// Istio host.Name.SubsetOf for an SNI against a server name: exact, or inside "*.suffix" / "*".
bool sni_within(std::string_view sni, std::string_view server_name) {
  if (server_name == "*") return !sni.empty();
  if (server_name.starts_with("*")) {
    const std::string_view suffix = server_name.substr(1);
    if (sni.starts_with("*")) return sni.substr(1).ends_with(suffix);
    return sni.size() > suffix.size() && sni.ends_with(suffix);
  }
  return sni == server_name;
}

// The longest prefix among `cidrs` that holds `address`; -1 when none does.
int longest_prefix(std::string_view address, const std::vector<std::string>& cidrs) {
  const auto a = registry::Cidr::parse(address);
  if (!a) return -1;
  int best = -1;
  for (const auto& c : cidrs) {
    const auto range = registry::Cidr::parse(c);
    if (range && range->contains(*a)) best = std::max(best, static_cast<int>(range->prefix_len));
  }
  return best;
}

// One step of the sieve: when no chain sets the criterion, all stay; else the ones matching stay,
// or, when none matches, the ones that leave it unset.
template <class Unset, class Match>
void sieve(std::vector<const FilterChain*>& chains, Unset unset, Match match) {
  bool any_set = false;
  for (const FilterChain* c : chains)
    if (!unset(c->match)) any_set = true;
  if (!any_set) return;
  std::vector<const FilterChain*> kept;
  for (const FilterChain* c : chains)
    if (!unset(c->match) && match(c->match)) kept.push_back(c);
  if (kept.empty())
    for (const FilterChain* c : chains)
      if (unset(c->match)) kept.push_back(c);
  chains = std::move(kept);
}

}  // namespace

FilterChainSelection select_filter_chain(const Listener& listener, const ConnectionAttributes& c) {
  FilterChainSelection out;
  using T = ConnectionAttributes::Transport;
  // Listener filters: the TLS inspector reads SNI and ALPN; without it Envoy sees raw bytes. The
  // HTTP inspector recognises plaintext HTTP/1.1 and h2c.
  out.tls_inspected = listener.tls_inspector;
  if (listener.tls_inspector && c.transport != T::Plaintext) out.alpn = std::string(c.alpn);
  if (listener.http_inspector && c.transport == T::Plaintext) {
    if (c.protocol == ConnectionAttributes::Protocol::Http1) out.alpn = "http/1.1";
    else if (c.protocol == ConnectionAttributes::Protocol::Http2) out.alpn = "h2c";
  }
  std::vector<const FilterChain*> chains;
  for (const auto& fc : listener.filter_chains) chains.push_back(&fc);
  sieve(chains, [](const FilterChainMatch& m) { return m.destination_port == 0; },
        [&](const FilterChainMatch& m) { return m.destination_port == c.port; });
  sieve(chains, [](const FilterChainMatch& m) { return m.prefix_ranges.empty(); },
        [&](const FilterChainMatch& m) { return longest_prefix(c.address, m.prefix_ranges) >= 0; });
  // Among chains whose prefix ranges hold the address, Envoy keeps the most specific range.
  {
    int best = -1;
    for (const FilterChain* fc : chains) best = std::max(best, longest_prefix(c.address, fc->match.prefix_ranges));
    if (best >= 0) {
      std::vector<const FilterChain*> kept;
      for (const FilterChain* fc : chains)
        if (longest_prefix(c.address, fc->match.prefix_ranges) == best) kept.push_back(fc);
      chains = std::move(kept);
    }
  }
  sieve(chains, [](const FilterChainMatch& m) { return m.server_names.empty(); },
        [&](const FilterChainMatch& m) {
          for (const auto& s : m.server_names)
            if (sni_within(c.sni, s)) return true;
          return false;
        });
  sieve(chains, [](const FilterChainMatch& m) { return m.transport_protocol.empty(); },
        [&](const FilterChainMatch& m) {
          if (!listener.tls_inspector) return m.transport_protocol == "raw_buffer";
          if (m.transport_protocol == "tls") return c.transport != T::Plaintext;
          if (m.transport_protocol == "raw_buffer") return c.transport == T::Plaintext;
          return false;
        });
  sieve(chains, [](const FilterChainMatch& m) { return m.application_protocols.empty(); },
        [&](const FilterChainMatch& m) {
          return std::find(m.application_protocols.begin(), m.application_protocols.end(), out.alpn) !=
                 m.application_protocols.end();
        });
  if (chains.size() > 1) {
    out.outcome = ChainOutcome::MultipleFilterChains;
    return out;
  }
  if (chains.size() == 1) {
    out.chain = chains.front();
    out.outcome = ChainOutcome::Matched;
    return out;
  }
  if (listener.default_filter_chain) {
    out.chain = &*listener.default_filter_chain;
    out.outcome = ChainOutcome::DefaultChain;
  }
  return out;
}

}  // namespace meshtwin::xds
