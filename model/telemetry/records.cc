#include "model/telemetry/records.h"

#include <algorithm>
#include <tuple>

namespace meshtwin::telemetry {

std::string_view to_string(SpanKind kind) {
  switch (kind) {
    case SpanKind::Attempt: return "attempt";
    case SpanKind::LocalReply: return "local_reply";
    case SpanKind::Shadow: return "shadow";
  }
  return "attempt";
}

void sort_workloads(std::vector<WorkloadInfo>& workloads) {
  // Stable: the first pod of a workload names its canonical service, as in pod order.
  std::stable_sort(workloads.begin(), workloads.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.namespace_) < std::tie(b.name, b.namespace_);
  });
  workloads.erase(std::unique(workloads.begin(), workloads.end(),
                              [](const auto& a, const auto& b) {
                                return a.name == b.name && a.namespace_ == b.namespace_;
                              }),
                  workloads.end());
}

}  // namespace meshtwin::telemetry
