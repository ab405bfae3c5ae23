#include "model/calibrate/import.h"

#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "model/config/config_store.h"
#include "model/config/loader.h"
#include "model/registry/registry.h"

namespace meshtwin::calibrate {
namespace {

// Kinds whose objects the twin makes pods from: a ReplicaSet or Pod one of them owns is the
// controller's doing, and loading both would double the pods.
const std::set<std::string> kControllers = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"};

void flatten(const YAML::Node& doc, std::vector<YAML::Node>& out) {
  if (!doc.IsMap()) return;
  const YAML::Node kind = doc["kind"];
  if (kind && kind.IsScalar() && kind.as<std::string>().ends_with("List") && doc["items"] && doc["items"].IsSequence()) {
    for (const auto& item : doc["items"]) flatten(item, out);
    return;
  }
  out.push_back(doc);
}

// yaml-cpp's emitter writes every scalar plain, so `"false"` or `"1.4"` would come back as a
// bool or a number. A scalar that was quoted in the dump (non-specific tag "!") stays quoted.
void emit_node(YAML::Emitter& e, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      e << YAML::BeginMap;
      for (const auto& kv : n) {
        e << YAML::Key;
        emit_node(e, kv.first);
        e << YAML::Value;
        emit_node(e, kv.second);
      }
      e << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      e << YAML::BeginSeq;
      for (const auto& item : n) emit_node(e, item);
      e << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (n.Tag() == "!") e << YAML::DoubleQuoted;
      e << n.Scalar();
      break;
    default:
      e << YAML::Null;
  }
}

std::string emit(const YAML::Node& n) {
  YAML::Emitter e;
  emit_node(e, n);
  return e.c_str();
}

}  // namespace

ImportResult import_kubectl_dump(const std::string& text, const std::string& file, const std::string& manifests_path,
                                 const std::string& name, config::Diagnostics& diags) {
  ImportResult r;
  // Load once as the twin would, so that a dump with errors is reported with its own lines.
  {
    config::ConfigStore store;
    config::load_yaml_text(text, file, store, diags);
    if (diags.has_errors()) return r;
  }
  std::vector<YAML::Node> objects;
  try {
    for (const auto& doc : YAML::LoadAll(text)) flatten(doc, objects);
  } catch (const YAML::Exception& e) {
    diags.error({file, e.mark.line + 1, e.mark.column + 1}, "", e.msg);
    return r;
  }
  r.objects = objects.size();
  // Controllers in the dump, by namespace/kind/name.
  std::set<std::string> controllers;
  for (const auto& o : objects) {
    const std::string kind = o["kind"] ? o["kind"].as<std::string>("") : "";
    if (!kControllers.count(kind)) continue;
    const YAML::Node md = o["metadata"];
    controllers.insert((md && md["namespace"] ? md["namespace"].as<std::string>("") : "") + "/" + kind + "/" +
                       (md && md["name"] ? md["name"].as<std::string>("") : ""));
  }
  std::ostringstream manifests;
  for (const auto& o : objects) {
    const std::string kind = o["kind"] ? o["kind"].as<std::string>("") : "";
    const YAML::Node md = o["metadata"];
    const std::string ns = md && md["namespace"] ? md["namespace"].as<std::string>("") : "";
    bool owned = false;
    if (md && md["ownerReferences"] && md["ownerReferences"].IsSequence()) {
      for (const auto& ref : md["ownerReferences"]) {
        const std::string okind = ref["kind"] ? ref["kind"].as<std::string>("") : "";
        const std::string oname = ref["name"] ? ref["name"].as<std::string>("") : "";
        if (controllers.count(ns + "/" + okind + "/" + oname)) owned = true;
      }
    }
    if (owned) {
      ++r.owned[kind];
      continue;
    }
    const std::string doc = emit(o);
    // Whether the twin models it: the loader notes what it skips.
    config::ConfigStore scratch;
    config::Diagnostics d;
    config::load_yaml_text(doc, file, scratch, d);
    bool skipped = false;
    for (const auto& item : d.items()) {
      if (item.severity == config::Severity::Note && item.message.find("skipped") != std::string::npos) skipped = true;
    }
    if (skipped) {
      ++r.not_modelled[kind.empty() ? "(no kind)" : kind];
      continue;
    }
    manifests << "---\n" << doc << "\n";
    ++r.kept;
  }
  r.manifests = manifests.str();
  if (r.kept == 0) {
    diags.error({file, 1, 1}, "",
                "none of its " + std::to_string(r.objects) +
                    " objects is one meshtwin models (is it `kubectl get ... -o yaml` output?)");
    return r;
  }

  // The skeleton: every workload of the kept manifests an app entry.
  config::ConfigStore store;
  config::Diagnostics d;
  config::load_yaml_text(r.manifests, manifests_path, store, d);
  const auto reg = registry::Registry::build(store, d);
  struct W {
    std::string kind;
    std::size_t pods = 0;
    bool sidecar = false;
    bool gateway = false;
  };
  std::map<std::string, W> workloads;
  for (const auto& p : reg.pods()) {
    if (p.generated) continue;
    W& w = workloads[p.namespace_ + "/" + p.workload];
    w.kind = p.workload_kind;
    ++w.pods;
    w.sidecar = w.sidecar || p.has_sidecar;
    w.gateway = w.gateway || p.gateway_proxy;
  }
  std::ostringstream s;
  std::string summary;
  for (const auto& [k, n] : r.not_modelled) summary += (summary.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  std::string owned;
  for (const auto& [k, n] : r.owned) owned += (owned.empty() ? "" : ", ") + std::to_string(n) + " " + k;
  for (const auto& [key, w] : workloads) {
    if (w.gateway) ++r.gateways;
    else {
      ++r.workloads;
      r.with_sidecar += w.sidecar ? 1 : 0;
    }
  }
  s << "# Skeleton written by `meshtwin import --kubectl-dump " << file << "`: " << r.kept << " of " << r.objects
    << " objects kept, " << r.workloads << " workloads (" << r.with_sidecar << " with a sidecar), " << r.gateways
    << " gateway(s).\n";
  if (!summary.empty()) s << "# Not modelled by meshtwin, left out: " << summary << ".\n";
  if (!owned.empty()) s << "# Owned by a controller in the dump (the twin makes their pods from it), left out: " << owned << ".\n";
  s << "# Fill apps and clients from the mesh's telemetry: `meshtwin calibrate --prometheus RANGE.json --scenario "
       "THIS_FILE -o calibrated.yaml` (docs/calibrate.md).\n"
    << "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: " << name << "}\nspec:\n"
    << "  duration: 60s\n  manifests: [" << manifests_path << "]\n  apps:\n";
  if (r.workloads == 0) s << "    {}\n";
  for (const auto& [key, w] : workloads) {
    if (w.gateway) continue;
    s << "    " << key << ": {}  # " << w.kind << ", " << w.pods << " pod(s), "
      << (w.sidecar ? "sidecar injected" : "no sidecar (injection disabled by its labels or namespace)") << "\n";
  }
  for (const auto& [key, w] : workloads) {
    if (w.gateway) s << "  # gateway " << key << ": clients enter with `from: {gateway: " << key << "}`\n";
  }
  s << "  clients: []\n";
  r.scenario = s.str();
  return r;
}

}  // namespace meshtwin::calibrate
