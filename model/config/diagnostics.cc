#include "model/config/diagnostics.h"

#include <utility>

namespace meshtwin::config {
namespace {

const char* severity_word(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

}  // namespace

std::string Diagnostic::format() const {
  // Compiler style so editors and CI annotators can jump to the spot. Unknown parts are left
  // out rather than printed as 0, which no editor understands.
  std::string out;
  if (!location.file.empty()) {
    out += location.file;
    if (location.line > 0) {
      out += ':' + std::to_string(location.line);
      if (location.column > 0) out += ':' + std::to_string(location.column);
    }
    out += ": ";
  }
  out += severity_word(severity);
  out += ": ";
  if (!field_path.empty()) {
    out += field_path;
    out += ": ";
  }
  out += message;
  return out;
}

void Diagnostics::add(Severity severity, SourceLocation location, std::string field_path,
                      std::string message) {
  if (severity == Severity::Error) ++errors_;
  items_.push_back(Diagnostic{severity, std::move(location), std::move(field_path), std::move(message)});
}

const Diagnostic* Diagnostics::first_error() const {
  for (const auto& d : items_) {
    if (d.severity == Severity::Error) return &d;
  }
  return nullptr;
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) add(d.severity, d.location, d.field_path, d.message);
}

}  // namespace meshtwin::config
