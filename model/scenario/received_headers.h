#pragma once

// What the upstream app received, as spans record it (docs/results-schema.md `spans`
// received_headers; docs/scenario-reference.md `record.headers`): which request headers are
// recorded, and their JSON text.

#include <string>
#include <vector>

#include "model/proxy/headers.h"
#include "model/scenario/scenario_spec.h"

namespace meshtwin::scenario {

// The header names the scenario mentions, lower case, sorted, once each: its clients' headers
// (and those timeline steps give them), its apps' and externals' endpoint header matches, and
// the headers its apps' calls forward. A header nobody names cannot change what a scenario
// shows, so by default it is left out of the rows.
std::vector<std::string> mentioned_headers(const ScenarioSpec& spec);

// The JSON object text of the headers in `headers` that `mode` records (Mentioned: those in
// `mentioned`, sorted), written into `out`: names in sorted order, the values of a name given
// more than once joined by "," as HTTP allows; `{}` when none. Mode None leaves `out` empty
// (the column NULL).
void received_headers_json(const proxy::HeaderSet& headers, RecordSpec::Headers mode,
                           const std::vector<std::string>& mentioned, std::string& out);

}  // namespace meshtwin::scenario
