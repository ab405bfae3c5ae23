// A request's spans arranged as a waterfall: the call tree in depth-first order, each span a
// bar on the request's own time axis, retries and the backoff before them made explicit.
// Plain C++ (the widget that paints it is waterfall_view.h) so the arrangement is testable.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "gui/queries.h"

namespace meshtwin::gui {

struct WaterfallRow {
  std::size_t span_index = 0;  // into RequestDetail::spans
  int depth = 0;               // 0: the client's first hop
  std::string caller;          // source_workload
  std::string callee;          // "reviews v2 (reviews-v2-0)"
  std::int64_t start = 0;           // from the request's start
  std::int64_t duration = 0;
  int code = 0;
  std::string flags;            // caller-side response flags, "-" for none
  std::string kind;             // attempt, local_reply, shadow
  int attempt = 1;              // Envoy's try
  int app_attempt = 1;          // the calling app's try
  bool retry = false;           // a second or later try (Envoy's or the app's)
  std::int64_t backoff = 0;          // idle time since the previous try of the same call ended
  bool timeout = false;         // UT (route/per-try timeout) or code 0 with DC (app timeout)
  std::string label() const;    // "productpage-v1 → reviews v2 · try 2"
  std::string outcome() const;  // "503 URX", "timeout UT", "200"
};

std::vector<WaterfallRow> build_waterfall(const RequestDetail& detail);

}  // namespace meshtwin::gui
