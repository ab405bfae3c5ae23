// model/config owns the Kubernetes and Istio resource types, YAML loading and validation.
// It depends on engine/time.h (durations) and yaml-cpp (in .cc files only); it knows nothing
// of the registry, routing, simulation, SQLite or the command line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace meshtwin::config {

// Where a value came from. Lines and columns are 1-based; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

enum class Severity { Error, Warning, Note };

// One finding about user input: file, line, column, the field path inside the document
// (`spec.http[0].route[1].weight`) and a sentence the user can act on.
struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLocation location;
  std::string field_path;  // may be empty (e.g. a YAML syntax error)
  std::string message;

  // One line: `file:line:col: error: spec.http[0].route[1].weight: weight must be ...`.
  std::string format() const;
};

// Edit distance (Levenshtein, ASCII case-insensitive), for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a likely slip (at most 2 edits,
// or a quarter of the word for long names, and fewer edits than the candidate is long); empty
// otherwise. Ties go to the earlier candidate, so callers list the most likely ones first.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

// `; did you mean "x"?` for nearest_name's answer, or empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

class Diagnostics {
 public:
  // At most this many errors are kept per file (a person fixes the first screenful, and a file
  // in the wrong format would otherwise bury everything else); the rest are counted and named
  // in one closing line per file.
  static constexpr std::size_t kMaxErrorsPerFile = 20;

  void add(Severity severity, SourceLocation location, std::string field_path, std::string message);
  void error(SourceLocation location, std::string field_path, std::string message) {
    add(Severity::Error, std::move(location), std::move(field_path), std::move(message));
  }
  void warning(SourceLocation location, std::string field_path, std::string message) {
    add(Severity::Warning, std::move(location), std::move(field_path), std::move(message));
  }
  void note(SourceLocation location, std::string field_path, std::string message) {
    add(Severity::Note, std::move(location), std::move(field_path), std::move(message));
  }

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  const std::vector<Diagnostic>& items() const { return items_; }
  const Diagnostic* first_error() const;
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  // Errors per file and where the file's "N more errors" line sits in items_, once there is one.
  struct FileCount {
    std::string file;
    std::size_t errors = 0;
    std::size_t overflow_item = 0;  // 0: none yet (index 0 can never be an overflow line)
  };
  std::vector<FileCount> per_file_;
};

}  // namespace meshtwin::config
