// Url, parse_url and ScenarioSpec::find_app (declared in scenario_spec.h).
#include <algorithm>
#include <cctype>

#include "model/scenario/scenario_spec.h"

namespace meshtwin::scenario {
namespace {

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string Url::authority() const {
  const std::uint32_t default_port = scheme == "https" ? 443 : 80;
  if (port == default_port) return host;
  return host + ":" + std::to_string(port);
}

std::optional<Url> parse_url(const std::string& text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Url> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  const std::string hint = " (e.g. \"http://reviews:9080/reviews/0\")";
  const auto sep = text.find("://");
  if (sep == std::string::npos) return fail("\"" + text + "\" is not a URL: write http://host[:port]/path" + hint);
  std::string scheme = text.substr(0, sep);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https" && scheme != "tcp") {
    return fail("URL scheme \"" + scheme +
                "\" is not http, https (the app's own TLS, opaque to its sidecar) or tcp (one "
                "connection)" + hint);
  }
  Url url;
  url.scheme = scheme;
  if (scheme == "https") url.port = 443;
  const std::string rest = text.substr(sep + 3);
  const auto path_start = rest.find_first_of("/?#");
  const std::string authority = rest.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "" : rest.substr(path_start);
  if (authority.empty()) return fail("\"" + text + "\" has no host" + hint);
  if (authority.find('@') != std::string::npos) return fail("\"" + text + "\": user names in URLs are not supported");

  std::string host = authority;
  std::string port_text;
  if (authority.front() == '[') {  // IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string::npos) return fail("\"" + text + "\": unterminated IPv6 address");
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return fail("\"" + text + "\": unexpected text after the IPv6 address");
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    if (colon != std::string::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) return fail("\"" + text + "\" has no host" + hint);
    if (!std::all_of(host.begin(), host.end(), host_char))
      return fail("\"" + text + "\": host \"" + host + "\" may only contain letters, digits, '-' and '.'");
  }
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
  url.host = host;
  if (!port_text.empty() || (path_start != std::string::npos && authority.back() == ':')) {
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(), [](unsigned char c) { return std::isdigit(c); }))
      return fail("\"" + text + "\": port must be a number between 1 and 65535");
    const long port = std::stol(port_text);
    if (port < 1 || port > 65535) return fail("\"" + text + "\": port must be a number between 1 and 65535");
    url.port = static_cast<std::uint32_t>(port);
  }
  if (scheme == "tcp" && port_text.empty())
    return fail("\"" + text + "\": a tcp URL needs a port (e.g. \"tcp://tcp-echo:9000\")");
  if (scheme == "tcp" && path != "" && path != "/")
    return fail("\"" + text + "\": a tcp URL names a connection and has no path");
  // The fragment never leaves the client.
  if (const auto hash = path.find('#'); hash != std::string::npos) path.erase(hash);
  if (path.empty()) path = "/";
  if (path.front() == '?') path.insert(path.begin(), '/');
  url.path = path;
  return url;
}

const AppSpec* ScenarioSpec::find_app(std::string_view namespace_, std::string_view workload) const {
  // An app keyed `ns/name` is more specific than one keyed by the bare name.
  const AppSpec* any_namespace = nullptr;
  for (const auto& app : apps) {
    if (app.workload != workload) continue;
    if (app.namespace_ == namespace_) return &app;
    if (app.namespace_.empty() && any_namespace == nullptr) any_namespace = &app;
  }
  return any_namespace;
}

const ExternalSpec* ScenarioSpec::find_external(std::string_view host) const {
  for (const auto& e : externals)
    if (e.host == host) return &e;
  return nullptr;
}

}  // namespace meshtwin::scenario
