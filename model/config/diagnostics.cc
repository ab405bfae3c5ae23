#include "model/config/diagnostics.h"

#include <algorithm>
#include <cctype>
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

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const char x = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i - 1])));
      const char y = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j - 1])));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x == y ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates) {
  // Two edits catch most typos (`serviceTme`, `reviws`); long host names get a little more room.
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 4);
  std::string best;
  std::size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    if (c == word) continue;
    const std::size_t d = edit_distance(word, c);
    if (d < best_d && d < c.size()) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string n = nearest_name(word, candidates);
  return n.empty() ? std::string() : "; did you mean \"" + n + "\"?";
}

void Diagnostics::add(Severity severity, SourceLocation location, std::string field_path,
                      std::string message) {
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
  if (severity == Severity::Error) {
    ++errors_;
    auto it = std::find_if(per_file_.begin(), per_file_.end(),
                           [&](const FileCount& f) { return f.file == location.file; });
    if (it == per_file_.end()) it = per_file_.insert(per_file_.end(), FileCount{location.file, 0, 0});
    if (++it->errors > kMaxErrorsPerFile) {
      const std::string text = std::to_string(it->errors - kMaxErrorsPerFile) + " more error(s) in this file not shown (only the first " +
                               std::to_string(kMaxErrorsPerFile) + " are); fix these first";
      if (it->overflow_item == 0) {
        it->overflow_item = items_.size();
        items_.push_back(Diagnostic{Severity::Error, SourceLocation{location.file, 0, 0}, "", text});
      } else {
        items_[it->overflow_item].message = text;
      }
      return;
    }
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
  // Copied as they are: `other` has already capped its files (and counted what it hid).
  const std::size_t offset = items_.size();
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  errors_ += other.errors_;
  for (const auto& f : other.per_file_) {
    auto it = std::find_if(per_file_.begin(), per_file_.end(), [&](const FileCount& x) { return x.file == f.file; });
    if (it == per_file_.end()) {
      per_file_.push_back(FileCount{f.file, f.errors, f.overflow_item == 0 ? 0 : f.overflow_item + offset});
    } else {
      it->errors += f.errors;
      if (it->overflow_item == 0 && f.overflow_item != 0) it->overflow_item = f.overflow_item + offset;
    }
  }
}

}  // namespace meshtwin::config
