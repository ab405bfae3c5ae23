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
  // A safety net for messages that quote user text without yaml::quote_value (which cuts values
  // at 80 characters): a diagnostic stays one readable line even when a value is megabytes.
  // The middle goes, so that the field's name at the start and a hint at the end both stay.
  constexpr std::size_t kHead = 300, kTail = 200;
  if (message.size() > kHead + kTail + 64) {
    std::size_t head = kHead, tail = message.size() - kTail;
    while (head > 0 && (static_cast<unsigned char>(message[head]) & 0xC0) == 0x80) --head;
    while (tail < message.size() && (static_cast<unsigned char>(message[tail]) & 0xC0) == 0x80) ++tail;
    message = message.substr(0, head) + " ... (" + std::to_string(tail - head) + " characters cut) ... " +
              message.substr(tail);
  }
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
