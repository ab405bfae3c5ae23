#include "model/calibrate/json_stream.h"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "model/config/input_file.h"

namespace meshtwin::calibrate {
namespace {

// An iterator over the text that publishes how far nlohmann's lexer has read: SAX events carry
// no position, so this is how a reader learns where a value is.
struct CountingIterator {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p = nullptr;
  const char* base = nullptr;
  std::size_t* cursor = nullptr;
  reference operator*() const { return *p; }
  CountingIterator& operator++() {
    ++p;
    *cursor = static_cast<std::size_t>(p - base);
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const CountingIterator& o) const { return p == o.p; }
  bool operator!=(const CountingIterator& o) const { return p != o.p; }
};

class Sax {
 public:
  using json = nlohmann::json;
  Sax(JsonStream& stream, JsonVisitor& visitor) : stream_(stream), visitor_(visitor) {}

  bool null() { return emit(Scalar{}); }
  bool boolean(bool v) {
    Scalar s;
    s.kind = Scalar::Kind::Bool;
    s.boolean = v;
    return emit(s);
  }
  bool number_integer(json::number_integer_t v) { return number(static_cast<double>(v), true, v); }
  bool number_unsigned(json::number_unsigned_t v) {
    return number(static_cast<double>(v), v <= static_cast<json::number_unsigned_t>(INT64_MAX),
                  static_cast<std::int64_t>(v));
  }
  bool number_float(json::number_float_t v, const json::string_t&) { return number(v); }
  bool string(json::string_t& v) {
    Scalar s;
    s.kind = Scalar::Kind::String;
    s.text = v;
    return emit(s);
  }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return start(false); }
  bool key(json::string_t& k) {
    pending_key_ = k;
    return true;
  }
  bool end_object() { return end(false); }
  bool start_array(std::size_t) { return start(true); }
  bool end_array() { return end(true); }
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& ex) {
    // nlohmann's message is "[json.exception.parse_error.101] parse error at line 1, column 5:
    // syntax error while parsing value - unexpected end of input; ..."; keep what follows the
    // position, which is the part a person reads.
    std::string what = ex.what();
    const auto colon = what.find(": ", what.find("parse error"));
    if (colon != std::string::npos) what = what.substr(colon + 2);
    // Whatever the lexer was reading when the text ran out, the file is cut short.
    if (last_token.empty() || what.find("end of input") != std::string::npos || position >= stream_.size()) {
      what = "truncated JSON: " + what;
    }
    stream_.error_at(position > 0 ? position - 1 : 0, JsonStream::path_text(path_), what);
  }

 private:
  struct Container {
    bool is_array;
    std::size_t next = 0;
  };
  void push_step() {
    PathStep step;
    if (!stack_.empty()) {
      if (stack_.back().is_array) {
        step.in_array = true;
        step.index = stack_.back().next++;
      } else {
        step.key = std::move(pending_key_);
        pending_key_.clear();
      }
    }
    path_.push_back(std::move(step));
  }
  bool number(double v, bool is_integer = false, std::int64_t integer = 0) {
    Scalar s;
    s.kind = Scalar::Kind::Number;
    s.number = v;
    s.is_integer = is_integer;
    s.integer = integer;
    return emit(s);
  }
  bool emit(const Scalar& s) {
    if (stack_.empty()) {
      visitor_.scalar(path_, s);
      return true;
    }
    push_step();
    visitor_.scalar(path_, s);
    path_.pop_back();
    return true;
  }
  bool start(bool is_array) {
    if (!stack_.empty()) push_step();
    stack_.push_back({is_array});
    visitor_.begin_container(path_, is_array);
    return true;
  }
  bool end(bool is_array) {
    visitor_.end_container(path_, is_array);
    stack_.pop_back();
    if (!stack_.empty()) path_.pop_back();
    return true;
  }

  JsonStream& stream_;
  JsonVisitor& visitor_;
  std::vector<Container> stack_;
  std::vector<PathStep> path_;
  std::string pending_key_;
};

}  // namespace

void JsonStream::parse(JsonVisitor& visitor) {
  cursor_ = 0;
  Sax sax(*this, visitor);
  CountingIterator first{text_.data(), text_.data(), &cursor_};
  CountingIterator last{text_.data() + text_.size(), text_.data(), &cursor_};
  nlohmann::json::sax_parse(first, last, &sax);
}

config::SourceLocation JsonStream::location_at(std::size_t offset) const {
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }
  offset = std::min(offset, text_.size());
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
  const std::size_t col = offset - line_starts_[line - 1] + 1;
  return {file_, static_cast<int>(line), static_cast<int>(col)};
}

std::string JsonStream::path_text(const std::vector<PathStep>& path) {
  std::string out;
  for (const PathStep& s : path) {
    if (s.in_array) {
      out += '[' + std::to_string(s.index) + ']';
    } else if (!s.key.empty()) {
      if (!out.empty()) out += '.';
      out += s.key;
    }
  }
  return out;
}

void JsonStream::error(const std::vector<PathStep>& path, std::string message) const {
  error_at(cursor_ > 0 ? cursor_ - 1 : 0, path_text(path), std::move(message));
}

void JsonStream::error_at(std::size_t offset, std::string path, std::string message) const {
  config::Diagnostic d;
  d.severity = config::Severity::Error;
  d.location = location_at(offset);
  d.field_path = std::move(path);
  d.message = std::move(message);
  throw InputError(std::move(d));
}

std::string read_input_file(const std::string& path) {
  std::string why;
  auto text = config::read_input_file(path, why, config::kMaxTelemetryFileBytes);
  if (!text) {
    config::Diagnostic d;
    d.location.file = path;
    d.message = config::read_error_message("this file", why);
    throw InputError(std::move(d));
  }
  return std::move(*text);
}

}  // namespace meshtwin::calibrate
