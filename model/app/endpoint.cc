#include "model/app/endpoint.h"

#include <re2/re2.h>

#include <charconv>

namespace meshtwin::app {

int StringMatch::groups() const { return regex ? regex->NumberOfCapturingGroups() : 0; }

std::optional<StringMatch> make_string_match(StringMatch::Kind kind, std::string value, std::string* error) {
  StringMatch m;
  m.kind = kind;
  m.value = std::move(value);
  if (kind == StringMatch::Kind::Regex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(m.value, options);
    if (!re->ok()) {
      if (error) *error = "not a valid RE2 regex: " + re->error();
      return std::nullopt;
    }
    m.regex = std::move(re);
  }
  return m;
}

std::string_view path_only(std::string_view p) {
  const auto q = p.find('?');
  return q == std::string_view::npos ? p : p.substr(0, q);
}

std::optional<std::string_view> query_param(std::string_view p, std::string_view name) {
  const auto q = p.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = p.substr(q + 1);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

bool string_matches(const StringMatch& m, std::string_view value, Captures* captures) {
  switch (m.kind) {
    case StringMatch::Kind::Exact:
      return value == m.value;
    case StringMatch::Kind::Prefix:
      return value.substr(0, m.value.size()) == m.value;
    case StringMatch::Kind::Regex: {
      if (!m.regex) return false;
      const re2::StringPiece text(value.data(), value.size());
      if (!captures) return RE2::FullMatch(text, *m.regex);
      // Group 0 is the whole text; at most $9 are kept.
      const int n = std::min(m.regex->NumberOfCapturingGroups(), 9);
      std::array<re2::StringPiece, 10> pieces;
      if (!m.regex->Match(text, 0, value.size(), RE2::ANCHOR_BOTH, pieces.data(), n + 1)) return false;
      for (int i = 0; i <= n; ++i) captures->group[i] = std::string_view(pieces[i].data(), pieces[i].size());
      captures->count = n;
      return true;
    }
  }
  return false;
}

bool endpoint_matches(const EndpointMatch& m, const RequestView& req, Captures& captures) {
  if (!m.method.empty() && m.method != req.method) return false;
  if (m.path && !string_matches(*m.path, path_only(req.path), &captures)) return false;
  for (const auto& [name, match] : m.headers) {
    const auto value = req.header ? req.header(req.headers, name) : std::nullopt;
    if (!value || !string_matches(match, *value)) return false;
  }
  for (const auto& [name, match] : m.query) {
    const auto value = query_param(req.path, name);
    if (!value || !string_matches(match, *value)) return false;
  }
  return true;
}

int status_from_capture(const Captures& c, CaptureRef ref, int fixed) {
  if (ref.group == 0) return fixed;
  if (ref.group > c.count) return 500;
  const std::string_view text = c.group[ref.group];
  int status = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
  if (ec != std::errc{} || end != text.data() + text.size() || status < 100 || status > 599) return 500;
  return status;
}

std::optional<SimDuration> seconds_from_capture(const Captures& c, CaptureRef ref) {
  if (ref.group == 0 || ref.group > c.count) return std::nullopt;
  const std::string_view text = c.group[ref.group];
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc{} || end != text.data() + text.size() || !(seconds >= 0) || seconds > 1e6) return std::nullopt;
  return SimDuration::from_ns(static_cast<std::int64_t>(seconds * 1e9 + 0.5));
}

}  // namespace meshtwin::app
