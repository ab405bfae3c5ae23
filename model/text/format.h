// trf ("translate, then format"): formats a translated message template with fmt's named fields:
//   text::trf("attempt {attempt} to {pod}", fmt::arg("attempt", 2), fmt::arg("pod", name))
// The template is looked up with tr() first. A translation whose fields do not match the id's
// would throw at run time; tests/i18n/catalogue_test.sh checks every translation's fields.
#pragma once

#include <fmt/core.h>

#include <string>

#include "model/text/i18n.h"

namespace meshtwin::text {

template <class... Args>
std::string trf(const char* msgid, Args&&... args) {
  return fmt::format(fmt::runtime(tr(msgid)), std::forward<Args>(args)...);
}

}  // namespace meshtwin::text
