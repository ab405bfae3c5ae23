#include "model/scenario/received_headers.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

namespace meshtwin::scenario {
namespace {

void add_calls(const std::vector<CallStep>& steps, std::vector<std::string>& out) {
  for (const CallStep& step : steps)
    for (const CallSpec& call : step.calls) out.insert(out.end(), call.forward_headers.begin(), call.forward_headers.end());
}

void add_mix(const std::vector<HeaderMix>& mix, std::vector<std::string>& out) {
  for (const HeaderMix& m : mix)
    for (const auto& header : m.headers) out.push_back(header.first);
}

void add_app(const AppSpec& app, std::vector<std::string>& out) {
  add_calls(app.calls, out);
  for (const EndpointSpec& e : app.endpoints) {
    for (const auto& header : e.match.headers) out.push_back(header.first);
    if (e.calls) add_calls(*e.calls, out);
  }
}

// JSON string text (RFC 8259): quotes, backslashes and control characters escaped.
void append_json_string(std::string_view text, std::string& out) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf.data();
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::vector<std::string> mentioned_headers(const ScenarioSpec& spec) {
  std::vector<std::string> out;
  for (const ClientSpec& c : spec.clients) add_mix(c.mix, out);
  for (const TimelineEntry& t : spec.timeline)
    for (const auto& change : t.client)
      if (change.mix) add_mix(*change.mix, out);
  for (const AppSpec& app : spec.apps) add_app(app, out);
  for (const ExternalSpec& e : spec.externals) add_app(e.behaviour, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void received_headers_json(const proxy::HeaderSet& headers, RecordSpec::Headers mode,
                           const std::vector<std::string>& mentioned, std::string& out) {
  out.clear();
  if (mode == RecordSpec::Headers::None) return;
  // At most kMaxHeaders entries: sorting indexes on the stack costs no allocation.
  std::array<std::uint8_t, proxy::kMaxHeaders> order{};
  std::uint8_t n = 0;
  for (std::uint8_t i = 0; i < headers.count; ++i) {
    const std::string_view name = headers.items[i].name;
    if (mode == RecordSpec::Headers::All || std::binary_search(mentioned.begin(), mentioned.end(), name))
      order[n++] = i;
  }
  // Stable: values of one name stay in the order they were added.
  std::stable_sort(order.begin(), order.begin() + n,
                   [&headers](std::uint8_t a, std::uint8_t b) { return headers.items[a].name < headers.items[b].name; });
  out += '{';
  for (std::uint8_t k = 0; k < n; ++k) {
    const auto& h = headers.items[order[k]];
    const bool same_as_previous = k > 0 && headers.items[order[k - 1]].name == h.name;
    if (same_as_previous) {
      out.pop_back();  // the closing quote of the previous value: this one joins it
      out += ',';
      std::string value;
      append_json_string(h.value, value);
      out.append(value, 1, std::string::npos);
      continue;
    }
    if (k > 0) out += ',';
    append_json_string(h.name, out);
    out += ':';
    append_json_string(h.value, out);
  }
  out += '}';
}

}  // namespace meshtwin::scenario
