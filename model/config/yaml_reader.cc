#include "model/config/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace meshtwin::config::yaml {
namespace {

bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A document boundary the way kubectl's YAML reader sees it: `---` or `...` at column 0,
// followed by nothing or whitespace.
bool marker_line(std::string_view line, std::string_view marker) {
  if (line.substr(0, 3) != marker) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t';
}

bool looks_like_int(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), is_digit);
}

bool looks_like_float(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::size_t i = 0, digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// YAML 1.1 booleans, which is what Kubernetes' YAML decoder (go-yaml v2) accepts.
std::optional<bool> yaml_bool(std::string_view s) {
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (auto t : kTrue)
    if (s == t) return true;
  for (auto f : kFalse)
    if (s == f) return false;
  return std::nullopt;
}

bool yaml_null(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// True when a plain scalar would be typed as something other than a string.
bool typed_plain_scalar(std::string_view s) {
  return looks_like_int(s) || looks_like_float(s) || yaml_bool(s).has_value() || yaml_null(s);
}

std::string quote(std::string_view s) { return quote_value(s); }

std::string range_phrase(std::int64_t min, std::int64_t max) {
  const bool open_top = max >= std::numeric_limits<std::int32_t>::max();
  if (min == 0 && open_top) return "a non-negative integer";
  if (min == 1 && open_top) return "a positive integer";
  if (open_top) return "an integer of at least " + std::to_string(min);
  return "an integer between " + std::to_string(min) + " and " + std::to_string(max);
}

}  // namespace

std::string number_text(double v) {
  std::string s = std::to_string(v);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s;
}

namespace {

std::string number_range_phrase(double min, double max) {
  const double inf = std::numeric_limits<double>::infinity();
  if (min == -inf && max == inf) return "a number";
  if (max == inf) return "a number of at least " + number_text(min);
  return "a number between " + number_text(min) + " and " + number_text(max);
}

}  // namespace

std::string quote_value(std::string_view s) {
  // A 1 MB value quoted whole would make a one-line diagnostic unreadable (and slow every
  // terminal and CI log that shows it): keep the start, and say how long it really was.
  constexpr std::size_t kShown = 80;
  std::string_view shown = s;
  const bool cut = s.size() > kShown;
  if (cut) {
    std::size_t n = kShown - 3;
    // Never split a UTF-8 sequence: back up over continuation bytes.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    shown = s.substr(0, n);
  }
  std::string out = "\"";
  for (char c : shown) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  if (cut) out += "...";
  out += '"';
  if (cut) out += " (" + std::to_string(s.size()) + " characters)";
  return out;
}

std::vector<RawDocument> split_documents(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  std::vector<RawDocument> docs;
  RawDocument current;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
    if (marker_line(bare, "---")) {
      docs.push_back(std::move(current));
      current = RawDocument{};
      current.line_offset = line_no;
      // Content after `---` on the same line belongs to the new document; blanking the
      // marker keeps every column where the user sees it.
      current.text.append("   ");
      current.text.append(line.substr(3));
      current.text += '\n';
    } else if (marker_line(bare, "...")) {
      docs.push_back(std::move(current));
      current = RawDocument{};
      current.line_offset = line_no + 1;
    } else if (!bare.empty() && bare[0] == '%') {
      current.text += '\n';  // a directive: only meaningful before `---`, which we cut at
    } else {
      current.text.append(line);
      if (!last) current.text += '\n';
    }
    if (last) break;
    pos = end + 1;
    ++line_no;
  }
  docs.push_back(std::move(current));
  return docs;
}

std::optional<YAML::Node> parse_document(const RawDocument& doc, const std::string& file,
                                         Diagnostics& diags) {
  try {
    return YAML::Load(doc.text);
  } catch (const YAML::ParserException& e) {
    SourceLocation loc{file, 0, 0};
    if (e.mark.line >= 0) {
      loc.line = e.mark.line + 1 + doc.line_offset;
      loc.column = e.mark.column + 1;
    }
    diags.error(std::move(loc), "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    diags.error(SourceLocation{file, doc.line_offset + 1, 1}, "", std::string("invalid YAML: ") + e.what());
  }
  return std::nullopt;
}

std::string join_path(const std::string& path, std::string_view key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), is_ident_char);
  if (plain) return path.empty() ? std::string(key) : path + "." + std::string(key);
  return path + "[" + quote(key) + "]";
}

std::string index_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::size_t edit_distance(std::string_view a, std::string_view b) { return config::edit_distance(a, b); }

// ---------------------------------------------------------------- Reader

SourceLocation Reader::location(const YAML::Node& node) const {
  if (!node.IsDefined()) return SourceLocation{unplaced_file, 0, 0};
  const YAML::Mark m = node.Mark();
  if (m.is_null() || m.line < 0) return SourceLocation{unplaced_file, 0, 0};
  return SourceLocation{file_, m.line + 1 + line_offset_, m.column + 1};
}

// ---------------------------------------------------------------- Value

std::string Value::name() const {
  std::size_t start = 0;
  int depth = 0;
  bool in_quote = false;
  for (std::size_t i = 0; i < path_.size(); ++i) {
    const char c = path_[i];
    if (in_quote) {
      if (c == '\\') ++i;
      else if (c == '"') in_quote = false;
    } else if (c == '"') {
      in_quote = true;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    } else if (c == '.' && depth == 0) {
      start = i + 1;
    }
  }
  return path_.substr(start);
}

std::string Value::describe() const {
  if (is_null()) return "nothing";
  if (is_map()) return "a map";
  if (is_seq()) return "a list";
  const std::string& s = node_.Scalar();
  if (!quoted() && s.size() <= 80 && (looks_like_int(s) || looks_like_float(s) || yaml_bool(s))) return s;
  return quote(s);
}

Value Value::at(std::size_t index) const {
  return Value(reader_, node_[index], index_path(path_, index));
}

std::optional<std::string> Value::as_string() const {
  if (!is_scalar()) {
    error(name() + " must be a string, got " + describe());
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::string> Value::as_strict_string() const {
  if (!is_scalar()) {
    error(name() + " must be a string, got " + describe());
    return std::nullopt;
  }
  const std::string& s = node_.Scalar();
  if (node_.Tag() == "?" && typed_plain_scalar(s)) {
    error(name() + " must be a string, got " + describe() + "; quote it: " + quote(s));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Value::as_int(std::int64_t min, std::int64_t max) const {
  const std::string expected = name() + " must be " + range_phrase(min, max);
  if (!is_scalar()) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  const std::string& s = node_.Scalar();
  if (!looks_like_int(s)) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  if (quoted()) {
    error(expected + ", got the string " + quote(s) + "; remove the quotes");
    return std::nullopt;
  }
  std::int64_t v = 0;
  std::string_view digits = s;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || v < min || v > max) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint64_t> Value::as_uint64() const {
  const std::string expected = name() + " must be a non-negative integer";
  if (!is_scalar() || quoted()) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  std::string_view s = node_.Scalar();
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  return v;
}

std::optional<double> Value::as_number(double min, double max) const {
  const std::string expected = name() + " must be " + number_range_phrase(min, max);
  if (!is_scalar() || !looks_like_float(node_.Scalar())) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  if (quoted()) {
    error(expected + ", got the string " + quote(node_.Scalar()) + "; remove the quotes");
    return std::nullopt;
  }
  const double v = std::strtod(node_.Scalar().c_str(), nullptr);
  // 1e400 reads as infinity and would pass an open-ended range: no field means infinity.
  if (!std::isfinite(v)) {
    error(name() + " must be a finite number, got " + describe() + ", which is too large to represent");
    return std::nullopt;
  }
  if (!(v >= min && v <= max)) {
    error(expected + ", got " + describe());
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Value::as_bool() const {
  if (is_scalar() && !quoted()) {
    if (auto b = yaml_bool(node_.Scalar())) return b;
  }
  error(name() + " must be true or false, got " + describe());
  return std::nullopt;
}

std::optional<SimDuration> Value::as_duration(SimDuration min) const {
  if (!is_scalar()) {
    error(name() + " must be a duration such as \"5s\" or \"300ms\", got " + describe());
    return std::nullopt;
  }
  const std::string& s = node_.Scalar();
  auto d = engine::parse_duration(s);
  if (!d) {
    error(name() + " must be a duration with a unit (ns, us, ms, s, m or h) such as \"5s\", \"300ms\" or \"1m30s\", got " +
          describe());
    return std::nullopt;
  }
  if (*d < min) {
    if (min == SimDuration{})
      error(name() + " must not be negative, got " + quote(s));
    else
      error(name() + " must be at least " + engine::human_duration(min) + ", got " + quote(s));
    return std::nullopt;
  }
  return d;
}

std::optional<std::string> Value::as_int_or_string() const {
  if (!is_scalar()) {
    error(name() + " must be an integer or a percentage such as \"25%\", got " + describe());
    return std::nullopt;
  }
  return node_.Scalar();
}

std::optional<std::vector<std::string>> Value::as_string_list() const {
  if (is_null()) return std::vector<std::string>{};
  if (!is_seq()) {
    error(name() + " must be a list of strings, got " + describe());
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    auto s = at(i).as_string();
    if (s)
      out.push_back(std::move(*s));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<StringMap> Value::as_string_map(bool strict_values) const {
  MapReader m(*this);
  if (!m.ok()) return std::nullopt;
  StringMap out;
  bool ok = true;
  for (auto& [key, v] : m.entries()) {
    auto s = strict_values ? v.as_strict_string() : v.as_string();
    if (s)
      out.emplace_back(key, std::move(*s));
    else
      ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<Value>> Value::as_list() const {
  if (is_null()) return std::vector<Value>{};
  if (!is_seq()) {
    error(name() + " must be a list, got " + describe());
    return std::nullopt;
  }
  std::vector<Value> out;
  out.reserve(node_.size());
  for (std::size_t i = 0; i < node_.size(); ++i) out.push_back(at(i));
  return out;
}

// ---------------------------------------------------------------- MapReader

MapReader::MapReader(const Value& value, const api::Message* schema) : value_(value), schema_(schema) {
  if (value.is_null()) return;
  if (!value.is_map()) {
    value.error(value.name() + " must be a map of fields, got " + value.describe());
    ok_ = false;
    return;
  }
  const YAML::Node& node = value.node();
  // One dereference per field: each `it->first` / `it->second` builds a fresh key/value pair
  // of node handles (reference-counted copies), and Entry's nodes have no move constructor, so
  // the vector is sized up front rather than copying every entry as it grows.
  entries_.reserve(node.size());
  for (const auto& kv : node) {
    const YAML::Node& k = kv.first;
    if (!k.IsScalar()) {
      value.reader().report(Severity::Error, k, value.path(), "field names must be plain strings, got a " +
                                                                   std::string(k.IsMap() ? "map" : "list"));
      ok_ = false;
      continue;
    }
    const std::string& key = k.Scalar();
    if (const Entry* prev = find(key)) {
      const SourceLocation first = value.reader().location(prev->key_node);
      value.reader().report(Severity::Error, k, join_path(value.path(), key),
                            "duplicate field \"" + key + "\"; it is already set on line " +
                                std::to_string(first.line) + " (remove one of them)");
      ok_ = false;
      continue;
    }
    entries_.push_back(Entry{key, k, kv.second, false});
  }
}

MapReader::Entry* MapReader::find(std::string_view key) {
  for (auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const MapReader::Entry* MapReader::find(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

std::optional<Value> MapReader::get(std::string_view key) {
  known_.emplace_back(key);
  Entry* e = find(key);
  if (e == nullptr) return std::nullopt;
  e->used = true;
  if (e->value.IsNull()) return std::nullopt;
  return Value(&value_.reader(), e->value, join_path(value_.path(), key));
}

std::optional<Value> MapReader::require(std::string_view key, const std::string& what) {
  auto v = get(key);
  if (!v && ok_) {
    const std::string path = join_path(value_.path(), key);
    value_.reader().report(Severity::Error, value_.node(), path,
                           what.empty() ? std::string(key) + " is required" : what);
  }
  return v;
}

bool MapReader::has(std::string_view key) const {
  const Entry* e = find(key);
  return e != nullptr && !e->value.IsNull();
}

void MapReader::ignore(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    known_.emplace_back(k);
    if (Entry* e = find(k)) e->used = true;
  }
}

std::vector<std::pair<std::string, Value>> MapReader::entries() {
  std::vector<std::pair<std::string, Value>> out;
  for (auto& e : entries_) {
    e.used = true;
    out.emplace_back(e.key, Value(&value_.reader(), e.value, join_path(value_.path(), e.key)));
  }
  return out;
}

void MapReader::finish() {
  const Reader& r = value_.reader();
  for (auto& e : entries_) {
    if (e.used) continue;
    e.used = true;  // report once even if finish() is called again
    const std::string path = join_path(value_.path(), e.key);
    const std::pair<std::string, std::string>* forced = nullptr;
    for (const auto& sp : r.strict_paths) {
      const std::string& p = sp.first;
      // The unknown field is on the override's path, or inside the value it wrote.
      auto under = [](const std::string& inner, const std::string& outer) {
        return inner == outer || (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
                                  (inner[outer.size()] == '.' || inner[outer.size()] == '['));
      };
      if (under(p, path) || under(path, p)) {
        forced = &sp;
        break;
      }
    }
    // A field of the API that meshtwin does not read: valid config, not modelled.
    if (forced == nullptr && schema_ != nullptr && schema_->has(e.key)) {
      if (schema_->unread == api::Unread::Warn)
        r.report(Severity::Warning, e.key_node, path,
                 "\"" + e.key + "\" is valid " + std::string(schema_->name) +
                     " config that meshtwin does not model; the simulation ignores it");
      continue;
    }
    std::vector<std::string> candidates = known_;
    if (schema_ != nullptr)
      for (auto f : schema_->fields) candidates.emplace_back(f);
    const std::string hint = did_you_mean(e.key, candidates);
    const std::string of = schema_ != nullptr ? " (not a field of " + std::string(schema_->name) + ")" : "";
    if (forced != nullptr) {
      r.report(Severity::Error, e.key_node, path,
               "unknown field \"" + e.key + "\" (set by --set " + forced->second + ")" + hint);
    } else if (r.allow_unknown_fields) {
      r.report(Severity::Warning, e.key_node, path, "unknown field \"" + e.key + "\"" + of + " is ignored" + hint);
    } else {
      r.report(Severity::Error, e.key_node, path,
               "unknown field \"" + e.key + "\"" + of + hint +
                   (hint.empty() ? "; remove it (--allow-unknown-fields makes this a warning)" : ""));
    }
  }
}

bool MapReader::read(std::string_view key, std::string& out) {
  auto v = get(key);
  if (!v) return false;
  auto s = v->as_string();
  if (!s) return false;
  out = std::move(*s);
  return true;
}

bool MapReader::read(std::string_view key, std::optional<std::string>& out) {
  std::string s;
  if (!read(key, s)) return false;
  out = std::move(s);
  return true;
}

bool MapReader::read(std::string_view key, bool& out) {
  auto v = get(key);
  if (!v) return false;
  auto b = v->as_bool();
  if (!b) return false;
  out = *b;
  return true;
}

bool MapReader::read(std::string_view key, std::optional<bool>& out) {
  bool b = false;
  if (!read(key, b)) return false;
  out = b;
  return true;
}

bool MapReader::read(std::string_view key, std::vector<std::string>& out) {
  auto v = get(key);
  if (!v) return false;
  auto l = v->as_string_list();
  if (!l) return false;
  out = std::move(*l);
  return true;
}

bool MapReader::read_int(std::string_view key, std::int32_t& out, std::int64_t min, std::int64_t max) {
  auto v = get(key);
  if (!v) return false;
  auto i = v->as_int(min, max);
  if (!i) return false;
  out = static_cast<std::int32_t>(*i);
  return true;
}

bool MapReader::read_uint(std::string_view key, std::uint32_t& out, std::int64_t min, std::int64_t max) {
  auto v = get(key);
  if (!v) return false;
  auto i = v->as_int(min, max);
  if (!i) return false;
  out = static_cast<std::uint32_t>(*i);
  return true;
}

bool MapReader::read_uint(std::string_view key, std::optional<std::uint32_t>& out, std::int64_t min,
                          std::int64_t max) {
  std::uint32_t x = 0;
  if (!read_uint(key, x, min, max)) return false;
  out = x;
  return true;
}

bool MapReader::read_number(std::string_view key, double& out, double min, double max) {
  auto v = get(key);
  if (!v) return false;
  auto d = v->as_number(min, max);
  if (!d) return false;
  out = *d;
  return true;
}

bool MapReader::read_number(std::string_view key, std::optional<double>& out, double min, double max) {
  double d = 0;
  if (!read_number(key, d, min, max)) return false;
  out = d;
  return true;
}

bool MapReader::read_duration(std::string_view key, SimDuration& out, SimDuration min) {
  auto v = get(key);
  if (!v) return false;
  auto d = v->as_duration(min);
  if (!d) return false;
  out = *d;
  return true;
}

bool MapReader::read_duration(std::string_view key, SimTime& out, SimDuration min) {
  SimDuration d{};
  if (!read_duration(key, d, min)) return false;
  out = SimTime{} + d;
  return true;
}

bool MapReader::read_duration(std::string_view key, std::optional<SimDuration>& out, SimDuration min) {
  SimDuration d{};
  if (!read_duration(key, d, min)) return false;
  out = d;
  return true;
}

bool MapReader::read_enum(std::string_view key, std::string& out, std::initializer_list<std::string_view> allowed) {
  auto v = get(key);
  if (!v) return false;
  auto s = v->as_string();
  if (!s) return false;
  for (auto a : allowed) {
    if (*s == a) {
      out = std::move(*s);
      return true;
    }
  }
  std::string list;
  std::size_t i = 0;
  for (auto a : allowed) {
    if (i > 0) list += (i + 1 == allowed.size()) ? " or " : ", ";
    list += a;
    ++i;
  }
  v->error(v->name() + " must be one of " + list + ", got " + v->describe());
  return false;
}

}  // namespace meshtwin::config::yaml
