// Private to model/config and model/scenario: a thin layer over yaml-cpp that reads typed
// values and reports every problem as a Diagnostic with file:line:col and a field path
// (`spec.http[0].route[1].weight`). yaml-cpp is heavy, so this header must never be included
// from a public header.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/time.h"
#include "model/config/api_fields.h"
#include "model/config/diagnostics.h"

namespace meshtwin::config::yaml {

using engine::SimDuration;
using engine::SimTime;
using StringMap = std::vector<std::pair<std::string, std::string>>;

// One document of a YAML stream, cut at `---` lines the way kubectl does, so a syntax error
// in one document does not hide the others.
struct RawDocument {
  std::string text;
  int line_offset = 0;  // lines of the file before `text` begins
};
std::vector<RawDocument> split_documents(std::string_view text);

// Parses one document. A syntax error becomes an error at file:line:col (no field path) and
// nullopt; yaml-cpp exceptions never escape.
std::optional<YAML::Node> parse_document(const RawDocument& doc, const std::string& file,
                                         Diagnostics& diags);

// Appends a field name to a path: `spec` + `http` = `spec.http`. Names that are not plain
// identifiers (labels such as `app.kubernetes.io/name`) are bracketed and quoted so the path
// stays unambiguous.
std::string join_path(const std::string& path, std::string_view key);
std::string index_path(const std::string& path, std::size_t index);

// A value quoted for a message: `"abc"`, with quotes and backslashes escaped; a value longer
// than 80 characters is cut, e.g. `"aaaa..." (1048576 characters)`.
std::string quote_value(std::string_view s);
// A number as messages print it: `0.5`, `1000000`.
std::string number_text(double v);

// Edit distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);

// Where diagnostics go, and how node marks map back to the file.
class Reader {
 public:
  Reader(std::string file, Diagnostics& diags, int line_offset = 0)
      : file_(std::move(file)), diags_(&diags), line_offset_(line_offset) {}

  const std::string& file() const { return file_; }
  Diagnostics& diags() const { return *diags_; }
  std::size_t error_count() const { return diags_->error_count(); }

  // 1-based; nodes that were not read from the file (built by `--set`) report
  // `unplaced_file` with no line.
  SourceLocation location(const YAML::Node& node) const;

  void report(Severity s, const YAML::Node& at, const std::string& path, std::string message) const {
    diags_->add(s, location(at), path, std::move(message));
  }

  // Paths written by `--set`: an unknown field on them is an error (the user asked for it
  // explicitly), not a warning. Second element: the override text, for the message.
  std::vector<std::pair<std::string, std::string>> strict_paths;
  std::string unplaced_file = "--set";
  // A field no one reads and no schema defines is an error (a typo such as `serviceTme` would
  // otherwise silently change the run); `--allow-unknown-fields` makes it a warning again.
  bool allow_unknown_fields = false;
  // Checks the Kubernetes API server makes on top of the schema (unique port names, ...) become
  // warnings: istiod's own tests feed objects to a fake API server that does not make them.
  bool lenient_api_checks = false;

 private:
  std::string file_;
  Diagnostics* diags_;
  int line_offset_;
};

// A YAML node together with its field path.
class Value {
 public:
  Value() = default;
  Value(const Reader* reader, YAML::Node node, std::string path)
      : reader_(reader), node_(std::move(node)), path_(std::move(path)) {}

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const Reader& reader() const { return *reader_; }
  SourceLocation location() const { return reader_->location(node_); }
  // The last segment of the path (`weight`, `hosts[0]`), used to name the field in messages.
  std::string name() const;

  bool is_null() const { return !node_.IsDefined() || node_.IsNull(); }
  bool is_map() const { return node_.IsMap(); }
  bool is_seq() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool quoted() const { return node_.IsScalar() && node_.Tag() == "!"; }
  // For "got ...": `"abc"`, `5`, `a list`, `a map`, `nothing`.
  std::string describe() const;

  void error(std::string message) const { reader_->report(Severity::Error, node_, path_, std::move(message)); }
  void warning(std::string message) const { reader_->report(Severity::Warning, node_, path_, std::move(message)); }
  void note(std::string message) const { reader_->report(Severity::Note, node_, path_, std::move(message)); }

  Value at(std::size_t index) const;

  // Typed reads. Each reports one error at this node naming the expected type and returns
  // nullopt when the value does not fit.
  std::optional<std::string> as_string() const;
  // A string that YAML would not type as a number, boolean or null (label values, where
  // Kubernetes rejects `version: 1`).
  std::optional<std::string> as_strict_string() const;
  std::optional<std::int64_t> as_int(std::int64_t min, std::int64_t max) const;
  std::optional<std::uint64_t> as_uint64() const;
  std::optional<double> as_number(double min, double max) const;
  std::optional<bool> as_bool() const;
  // Go duration syntax (engine::parse_duration), at least `min`.
  std::optional<SimDuration> as_duration(SimDuration min = {}) const;
  // Kubernetes int-or-string (`maxSurge: 1` or `25%`), returned as written.
  std::optional<std::string> as_int_or_string() const;
  std::optional<std::vector<std::string>> as_string_list() const;
  // A map of strings in document order; strict_values as in as_strict_string.
  std::optional<StringMap> as_string_map(bool strict_values = false) const;
  // The items of a sequence (null reads as empty).
  std::optional<std::vector<Value>> as_list() const;

 private:
  const Reader* reader_ = nullptr;
  YAML::Node node_;
  std::string path_;
};

// Reads a mapping field by field and, at finish(), reports every field nobody asked for: an
// error when the field is unknown (neither read nor in `schema`), with a "did you mean" hint;
// for a field the schema defines but nobody read, what the schema says (a warning that meshtwin
// does not model it, or nothing). Duplicate keys are an error, as they are for kubectl.
class MapReader {
 public:
  explicit MapReader(const Value& value, const api::Message* schema = nullptr);
  MapReader(const Value& value, const api::Message& schema) : MapReader(value, &schema) {}

  bool ok() const { return ok_; }
  const Value& value() const { return value_; }
  // For a map whose type is known only after reading a field of it (a document's kind).
  void set_schema(const api::Message* schema) { schema_ = schema; }
  const std::string& path() const { return value_.path(); }

  // The field, marked as read; nullopt when absent or null (null means unset, as in
  // Kubernetes).
  std::optional<Value> get(std::string_view key);
  // Like get(); when absent, reports "<key> is required" at this map.
  std::optional<Value> require(std::string_view key, const std::string& what = "");
  bool has(std::string_view key) const;
  // Fields the APIs define that meshtwin does not model: accepted silently.
  void ignore(std::initializer_list<std::string_view> keys);
  // Every key, in document order (marks all as read).
  std::vector<std::pair<std::string, Value>> entries();
  // Reports unread fields (see the class comment); an unknown field is an error unless the
  // reader allows unknown fields (then a warning), and always an error on a `--set` path.
  void finish();

  // Typed shorthands: assign `out` only when the field is present and valid; return whether
  // the field was present and valid.
  bool read(std::string_view key, std::string& out);
  bool read(std::string_view key, std::optional<std::string>& out);
  bool read(std::string_view key, bool& out);
  bool read(std::string_view key, std::optional<bool>& out);
  bool read(std::string_view key, std::vector<std::string>& out);
  bool read_int(std::string_view key, std::int32_t& out, std::int64_t min, std::int64_t max);
  bool read_uint(std::string_view key, std::uint32_t& out, std::int64_t min, std::int64_t max);
  bool read_uint(std::string_view key, std::optional<std::uint32_t>& out, std::int64_t min,
                 std::int64_t max);
  bool read_number(std::string_view key, double& out, double min, double max);
  bool read_number(std::string_view key, std::optional<double>& out, double min, double max);
  bool read_duration(std::string_view key, SimDuration& out, SimDuration min = {});
  bool read_duration(std::string_view key, std::optional<SimDuration>& out, SimDuration min = {});
  // An instant in run time, written as the duration since the run started (`start: 30s`).
  bool read_duration(std::string_view key, SimTime& out, SimDuration min = {});
  // One of `allowed` (exact spelling).
  bool read_enum(std::string_view key, std::string& out, std::initializer_list<std::string_view> allowed);

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool used = false;
  };
  Entry* find(std::string_view key);
  const Entry* find(std::string_view key) const;

  Value value_;
  const api::Message* schema_ = nullptr;
  bool ok_ = true;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;  // every key asked about, for hints
};

}  // namespace meshtwin::config::yaml
