// model/config owns the Kubernetes and Istio resource types, YAML loading and validation.
// It depends on engine/time.h (durations) and yaml-cpp (in .cc files only); it knows nothing
// of the registry, routing, simulation, SQLite or the command line.
#pragma once

#include <string>
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

class Diagnostics {
 public:
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
};

}  // namespace meshtwin::config
