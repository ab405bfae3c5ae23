#include "model/config/regex_check.h"

#include <re2/re2.h>

namespace meshtwin::config {

std::optional<std::string> regex_error(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);  // the error goes into a diagnostic, not to stderr
  const RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (re.ok()) return std::nullopt;
  return re.error();
}

}  // namespace meshtwin::config
