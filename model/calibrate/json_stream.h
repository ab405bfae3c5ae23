// A streaming JSON reader for the calibration inputs (Prometheus query_range results, Zipkin
// and OTLP traces): nlohmann-json's SAX parser with the byte offset of every event, so that a
// reader can name `file:line:col` and the field path of what it rejects without holding a DOM
// (a day of 15 s samples for 100 workloads is hundreds of MB of JSON).
// nlohmann-json stays in the .cc file: this header is small on purpose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/config/diagnostics.h"

namespace meshtwin::calibrate {

// One step of the path from the document root to the current value: an object key or an
// array index.
struct PathStep {
  std::string key;       // empty for an array element
  std::size_t index = 0;  // array elements
  bool in_array = false;
};

// A scalar JSON value as the visitor sees it.
struct Scalar {
  enum class Kind { Null, Bool, Number, String };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;       // every JSON number (int64 values above 2^53 lose precision here)
  bool is_integer = false;  // an integer literal: `integer` holds it exactly
  std::int64_t integer = 0;
  std::string_view text;   // String: the decoded string; Number: as written
};

// The reader's answer to malformed input: one diagnostic (file:line:col, field path, message).
struct InputError : std::runtime_error {
  explicit InputError(config::Diagnostic d) : std::runtime_error(d.format()), diagnostic(std::move(d)) {}
  config::Diagnostic diagnostic;
};

class JsonVisitor {
 public:
  virtual ~JsonVisitor() = default;
  // `path` ends with the step of the value itself (empty at the root).
  virtual void begin_container(const std::vector<PathStep>& path, bool is_array) = 0;
  virtual void end_container(const std::vector<PathStep>& path, bool is_array) = 0;
  virtual void scalar(const std::vector<PathStep>& path, const Scalar& value) = 0;
};

class JsonStream {
 public:
  // `file` is what diagnostics name; `text` must outlive the stream.
  JsonStream(std::string file, std::string_view text) : file_(std::move(file)), text_(text) {}
  // Parses the whole text, calling `visitor`; throws InputError on a syntax error (with the
  // parser's position) or when the visitor throws one through error().
  void parse(JsonVisitor& visitor);

  // Where the parser is now (1-based line and column of the byte last read).
  config::SourceLocation location() const { return location_at(cursor_); }
  config::SourceLocation location_at(std::size_t offset) const;
  std::size_t offset() const { return cursor_; }
  std::size_t size() const { return text_.size(); }
  // `data.result[3].metric.le`
  static std::string path_text(const std::vector<PathStep>& path);
  [[noreturn]] void error(const std::vector<PathStep>& path, std::string message) const;
  [[noreturn]] void error_at(std::size_t offset, std::string path, std::string message) const;
  const std::string& file() const { return file_; }

  // Internal: the SAX adapter moves the cursor as it reads.
  std::size_t cursor_ = 0;

 private:
  std::string file_;
  std::string_view text_;
  mutable std::vector<std::size_t> line_starts_;  // built on the first error
};

// Reads a whole file; throws InputError (file, the system's reason) when it cannot.
std::string read_input_file(const std::string& path);

}  // namespace meshtwin::calibrate
