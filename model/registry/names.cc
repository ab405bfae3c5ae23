// Protocols and names: Istio's protocol selection from port names and appProtocol, IP and CIDR
// text, and how short host names resolve (docs/semantics.md §1.2).
#include <array>
#include <cctype>
#include <cstdio>

#include "model/registry/registry.h"
#include "model/registry/registry_internal.h"

namespace meshtwin::registry {

namespace detail {

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

Protocol parse_protocol_name(std::string_view s) {
  struct Entry {
    std::string_view name;
    Protocol protocol;
  };
  static constexpr std::array<Entry, 14> kNames{{
      {"http", Protocol::HTTP},
      {"http_proxy", Protocol::HTTP},
      {"http2", Protocol::HTTP2},
      {"grpc", Protocol::GRPC},
      {"grpc-web", Protocol::GRPC},
      {"https", Protocol::HTTPS},
      {"tcp", Protocol::TCP},
      {"tls", Protocol::TLS},
      {"mongo", Protocol::Mongo},
      {"redis", Protocol::Redis},
      {"mysql", Protocol::MySQL},
      {"udp", Protocol::UDP},
      // Kubernetes' standard appProtocol values (KEP-3726) that Istio maps.
      {"kubernetes.io/h2c", Protocol::HTTP2},
      {"kubernetes.io/ws", Protocol::HTTP},
  }};
  for (const auto& e : kNames)
    if (iequals(s, e.name)) return e.protocol;
  if (iequals(s, "kubernetes.io/wss")) return Protocol::HTTPS;
  return Protocol::Unknown;
}

}  // namespace detail

using detail::iequals;
using detail::parse_protocol_name;

// ------------------------------------------------------------------ protocols

Protocol protocol_from_port(std::string_view port_name, std::string_view app_protocol) {
  // appProtocol wins over the name (Istio kube.ConvertProtocol); an unknown appProtocol falls back
  // to the name only when empty, as Istio does.
  if (!app_protocol.empty()) {
    Protocol p = parse_protocol_name(app_protocol);
    if (p != Protocol::Unknown) return p;
  }
  // The name's prefix before the first '-' selects the protocol: "http-web" -> http,
  // "grpc-web" -> grpc. Istio also accepts the bare name.
  std::string_view name = port_name;
  if (std::size_t dash = name.find('-'); dash != std::string_view::npos) name = name.substr(0, dash);
  return parse_protocol_name(name);
}

bool is_http(Protocol p) {
  return p == Protocol::HTTP || p == Protocol::HTTP2 || p == Protocol::GRPC || p == Protocol::Unknown;
}

std::string_view to_string(Protocol p) {
  switch (p) {
    case Protocol::Unknown: return "UNKNOWN";
    case Protocol::HTTP: return "HTTP";
    case Protocol::HTTP2: return "HTTP2";
    case Protocol::GRPC: return "GRPC";
    case Protocol::HTTPS: return "HTTPS";
    case Protocol::TCP: return "TCP";
    case Protocol::TLS: return "TLS";
    case Protocol::Mongo: return "Mongo";
    case Protocol::Redis: return "Redis";
    case Protocol::MySQL: return "MySQL";
    case Protocol::UDP: return "UDP";
  }
  return "UNKNOWN";
}

// ------------------------------------------------------------------ names

bool is_ip_address(std::string_view s) {
  if (s.empty()) return false;
  // Any colon (IPv6) or a dotted quad: enough for "leave IPs alone" in short-name resolution.
  if (s.find(':') != std::string_view::npos) return Cidr::parse(s).has_value();
  int dots = 0;
  std::size_t digits = 0;
  for (char c : s) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  std::string_view addr = text;
  std::optional<std::uint32_t> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::uint32_t p = 0;
    std::string_view ps = text.substr(slash + 1);
    if (ps.empty() || ps.size() > 3) return std::nullopt;
    for (char ch : ps) {
      if (ch < '0' || ch > '9') return std::nullopt;
      p = p * 10 + static_cast<std::uint32_t>(ch - '0');
    }
    prefix = p;
  }
  if (addr.find(':') == std::string_view::npos) {
    int part = 0;
    std::uint32_t value = 0;
    std::size_t digits = 0;
    for (std::size_t i = 0; i <= addr.size(); ++i) {
      if (i == addr.size() || addr[i] == '.') {
        if (digits == 0 || value > 255 || part > 3) return std::nullopt;
        c.bytes[static_cast<std::size_t>(part++)] = static_cast<std::uint8_t>(value);
        value = 0;
        digits = 0;
      } else if (addr[i] >= '0' && addr[i] <= '9') {
        value = value * 10 + static_cast<std::uint32_t>(addr[i] - '0');
        if (++digits > 3) return std::nullopt;
      } else {
        return std::nullopt;
      }
    }
    if (part != 4) return std::nullopt;
    c.prefix_len = prefix.value_or(32);
    if (c.prefix_len > 32) return std::nullopt;
    return c;
  }
  // IPv6: groups of hex, at most one "::".
  c.v6 = true;
  std::vector<std::uint16_t> head, tail;
  bool seen_gap = false;
  std::size_t i = 0;
  if (addr.starts_with("::")) {
    seen_gap = true;
    i = 2;
  }
  while (i < addr.size()) {
    std::size_t j = i;
    std::uint32_t v = 0;
    while (j < addr.size() && addr[j] != ':') {
      const char ch = addr[j];
      int d = (ch >= '0' && ch <= '9') ? ch - '0'
              : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
              : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                         : -1;
      if (d < 0 || j - i >= 4) return std::nullopt;
      v = v * 16 + static_cast<std::uint32_t>(d);
      ++j;
    }
    if (j == i) return std::nullopt;
    (seen_gap ? tail : head).push_back(static_cast<std::uint16_t>(v));
    if (j == addr.size()) break;
    if (j + 1 < addr.size() && addr[j + 1] == ':') {
      if (seen_gap) return std::nullopt;
      seen_gap = true;
      i = j + 2;
    } else {
      i = j + 1;
      if (i == addr.size()) return std::nullopt;
    }
  }
  if (head.size() + tail.size() > 8 || (!seen_gap && head.size() != 8)) return std::nullopt;
  std::array<std::uint16_t, 8> groups{};
  for (std::size_t g = 0; g < head.size(); ++g) groups[g] = head[g];
  for (std::size_t g = 0; g < tail.size(); ++g) groups[8 - tail.size() + g] = tail[g];
  for (std::size_t g = 0; g < 8; ++g) {
    c.bytes[2 * g] = static_cast<std::uint8_t>(groups[g] >> 8);
    c.bytes[2 * g + 1] = static_cast<std::uint8_t>(groups[g] & 0xff);
  }
  c.prefix_len = prefix.value_or(128);
  if (c.prefix_len > 128) return std::nullopt;
  return c;
}

bool Cidr::contains(const Cidr& a) const {
  if (a.v6 != v6) return false;
  std::uint32_t bits = prefix_len;
  for (std::size_t i = 0; bits > 0; ++i) {
    const std::uint32_t take = std::min<std::uint32_t>(bits, 8);
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((bytes[i] & mask) != (a.bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

std::string Cidr::to_string() const {
  char buf[64];
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%u", bytes[0], bytes[1], bytes[2], bytes[3], prefix_len);
    return buf;
  }
  std::string out;
  for (std::size_t g = 0; g < 8; ++g) {
    std::snprintf(buf, sizeof buf, "%x", (bytes[2 * g] << 8) | bytes[2 * g + 1]);
    if (g) out += ':';
    out += buf;
  }
  return out + "/" + std::to_string(prefix_len);
}

std::string resolve_short_name(std::string_view host, std::string_view config_namespace,
                               std::string_view domain) {
  if (host == "*" || is_ip_address(host)) return std::string(host);
  // Any dot means "already qualified" (docs/semantics.md §1.1): `reviews.prod` stays literal.
  if (host.find('.') != std::string_view::npos) return std::string(host);
  std::string out;
  out.reserve(host.size() + config_namespace.size() + domain.size() + 6);
  out.append(host).append(".").append(config_namespace);
  if (!domain.empty()) out.append(".svc.").append(domain);
  return out;
}

}  // namespace meshtwin::registry
