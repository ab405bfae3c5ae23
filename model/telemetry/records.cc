#include "model/telemetry/records.h"

namespace meshtwin::telemetry {

std::string_view to_string(SpanKind kind) {
  switch (kind) {
    case SpanKind::Attempt: return "attempt";
    case SpanKind::LocalReply: return "local_reply";
    case SpanKind::Shadow: return "shadow";
  }
  return "attempt";
}

}  // namespace meshtwin::telemetry
