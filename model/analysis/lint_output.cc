// lint's machine outputs (model/analysis/lint.h): istioctl analyze's field names inside a
// versioned envelope. nlohmann/json and yaml-cpp stay in this file.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "model/analysis/lint.h"

namespace meshtwin::analysis {
namespace {

using nlohmann::ordered_json;

std::string reference_of(const Finding& f) {
  if (f.location.file.empty()) return {};
  return f.location.line ? f.location.file + ":" + std::to_string(f.location.line) : f.location.file;
}

ordered_json envelope(const std::vector<Finding>& findings) {
  ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "lint";
  ordered_json messages = ordered_json::array();
  std::size_t errors = 0, warnings = 0, infos = 0;
  for (const Finding& f : findings) {
    // istioctl's diag.Message.Unstructured(): code, level, origin, reference, message,
    // documentationUrl; then what meshtwin knows beyond it.
    ordered_json m;
    m["code"] = f.code;
    m["level"] = level_name(f.severity);
    if (!f.resource.empty()) m["origin"] = f.resource;
    if (const std::string ref = reference_of(f); !ref.empty()) m["reference"] = ref;
    m["message"] = f.message;
    m["documentationUrl"] = documentation_url(f.code);
    m["name"] = f.name;
    m["fieldPath"] = f.field_path;
    m["file"] = f.location.file;
    m["line"] = f.location.line;
    m["column"] = f.location.column;
    messages.push_back(std::move(m));
    if (f.severity == config::Severity::Error) ++errors;
    else if (f.severity == config::Severity::Warning) ++warnings;
    else ++infos;
  }
  j["messages"] = std::move(messages);
  j["summary"] = {{"errors", errors}, {"warnings", warnings}, {"infos", infos}};
  return j;
}

void emit(YAML::Emitter& out, const ordered_json& j) {
  if (j.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << k << YAML::Value;
      emit(out, v);
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& v : j) emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    // Quoted so that a message such as "yes" or "1.10" stays a string.
    out << YAML::DoubleQuoted << j.get<std::string>();
  } else if (j.is_number_integer()) {
    out << j.get<std::int64_t>();
  } else if (j.is_boolean()) {
    out << j.get<bool>();
  } else {
    out << YAML::Null;
  }
}

}  // namespace

std::string format_findings_json(const std::vector<Finding>& findings) { return envelope(findings).dump(2) + "\n"; }

std::string format_findings_yaml(const std::vector<Finding>& findings) {
  YAML::Emitter out;
  emit(out, envelope(findings));
  return std::string(out.c_str()) + "\n";
}

}  // namespace meshtwin::analysis
