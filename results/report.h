// The `meshtwin report` text: shaped like Fortio's output so people who load-test Istio read
// it at a glance, then a table per destination service and version.
#pragma once

#include <cstdint>
#include <string>

#include "results/reader.h"

namespace meshtwin::results {

// Layout (latencies in ms):
//   header: run, scenario, seed, simulated duration, status, wall time
//   `Count N avg X ms +/- SD min A max B` over client requests (the `requests` rows),
//   a Fortio histogram (`>= a <= b , mid , cumulative %, count`),
//   `# target 50% X` for 50/75/90/99/99.9,
//   `Code 200 : 9950 (99.5 %)` per status code (code 0: no response),
//   then per destination service and version, from the source-reporter metrics (every hop,
//   whole even when spans are sampled): requests, share % of the service's requests,
//   success %, p50/p90/p99 ms (interpolated in Istio's buckets), top flags.
// Without request rows (record.requests: none) the client sections say so and the code
// lines come from the source-reporter metrics of all hops.
std::string format_report(const Reader& reader, std::int64_t run_id);

}  // namespace meshtwin::results
