#include "gui/waterfall.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace meshtwin::gui {

std::string WaterfallRow::label() const {
  std::string out = caller + " \u2192 " + callee;
  if (app_attempt > 1) out += " \u00b7 app try " + std::to_string(app_attempt);
  if (attempt > 1) out += " \u00b7 try " + std::to_string(attempt);
  if (kind == "local_reply") out += " \u00b7 local reply";
  if (kind == "shadow") out += " \u00b7 mirror";
  return out;
}

std::string WaterfallRow::outcome() const {
  std::string code_text = code == 0 ? "no response" : std::to_string(code);
  std::string out = timeout ? "timeout" : code_text;
  if (!flags.empty() && flags != "-") out += " " + flags;
  return out;
}

namespace {

bool has_flag(const std::string& flags, const std::string& flag) {
  std::string padded = "," + flags + ",";
  return padded.find("," + flag + ",") != std::string::npos;
}

}  // namespace

std::vector<WaterfallRow> build_waterfall(const RequestDetail& detail) {
  const auto& spans = detail.spans;
  std::set<std::uint64_t> ids;
  for (const auto& s : spans) ids.insert(s.span_id);
  // Children of each span, by start time; spans whose parent is absent are roots.
  std::map<std::uint64_t, std::vector<std::size_t>> children;
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    if (s.parent_span_id && ids.count(*s.parent_span_id)) {
      children[*s.parent_span_id].push_back(i);
    } else {
      roots.push_back(i);
    }
  }
  auto by_start = [&](std::size_t a, std::size_t b) {
    if (spans[a].start != spans[b].start) return spans[a].start < spans[b].start;
    return spans[a].span_id < spans[b].span_id;
  };
  std::sort(roots.begin(), roots.end(), by_start);
  for (auto& [id, list] : children) std::sort(list.begin(), list.end(), by_start);

  std::vector<WaterfallRow> out;
  std::function<void(const std::vector<std::size_t>&, int)> visit =
      [&](const std::vector<std::size_t>& siblings, int depth) {
        // The previous try of the same call among siblings: same destination service.
        std::map<std::string, std::size_t> last_try;
        for (std::size_t i : siblings) {
          const SpanRow& s = spans[i];
          WaterfallRow row;
          row.span_index = i;
          row.depth = depth;
          row.caller = s.source_workload;
          row.callee = short_service(s.destination_service);
          if (!s.destination_version.empty() && s.destination_version != "unknown") {
            row.callee += " " + s.destination_version;
          }
          if (!s.destination_pod.empty() && s.destination_pod != "unknown") {
            row.callee += " (" + s.destination_pod + ")";
          }
          row.start = s.start - detail.request.start;
          row.duration = s.duration;
          row.code = s.response_code;
          row.flags = s.response_flags;
          row.kind = s.kind;
          row.attempt = s.attempt;
          row.app_attempt = s.app_attempt;
          row.timeout = has_flag(s.response_flags, "UT") ||
                        (s.response_code == 0 && has_flag(s.response_flags, "DC"));
          auto prev = last_try.find(s.destination_service);
          if (prev != last_try.end() && s.kind != "shadow") {
            const SpanRow& p = spans[prev->second];
            bool next_try = s.app_attempt > p.app_attempt ||
                            (s.app_attempt == p.app_attempt && s.attempt > p.attempt);
            if (next_try) {
              row.retry = true;
              row.backoff = std::max<std::int64_t>(0, s.start - (p.start + p.duration));
            }
          }
          if (s.attempt > 1 || s.app_attempt > 1) row.retry = true;
          if (s.kind != "shadow") last_try[s.destination_service] = i;
          out.push_back(std::move(row));
          auto it = children.find(s.span_id);
          if (it != children.end()) visit(it->second, depth + 1);
        }
      };
  visit(roots, 0);
  return out;
}

}  // namespace meshtwin::gui
