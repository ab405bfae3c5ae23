#include "model/config/loader.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "model/config/input_file.h"
#include "model/config/parse_ahead.h"
#include "model/config/parsers.h"
#include "model/config/yaml_reader.h"

namespace meshtwin::config {
namespace {

namespace fs = std::filesystem;
using yaml::MapReader;
using yaml::Value;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool manifest_extension(const fs::path& p) {
  const std::string name = p.filename().string();
  return ends_with(name, ".yaml") || ends_with(name, ".yml") || ends_with(name, ".json");
}

bool is_istio_networking_version(std::string_view v) { return v == "v1" || v == "v1beta1" || v == "v1alpha3"; }

class Loader {
 public:
  Loader(ConfigStore& store, Diagnostics& diags, LoadOptions options = {})
      : store_(store), diags_(diags), options_(options) {}

  void load_text(std::string_view text, const std::string& file) {
    const std::vector<yaml::RawDocument> docs = yaml::split_documents(text);
    // Documents are parsed ahead on helper threads for large files (yaml-cpp's parse is most of
    // the load time); they are still applied, and diagnosed, one by one in file order.
    yaml::ParseAhead parsed(docs, file, yaml::parse_helpers_for(docs.size(), text.size(), options_.parse_threads));
    for (std::size_t i = 0; i < docs.size(); ++i) {
      const yaml::RawDocument& raw = docs[i];
      auto node = parsed.take(i, diags_);
      if (!node) continue;
      yaml::Reader reader(file, diags_, raw.line_offset);
      reader.lenient_api_checks = options_.lenient_api_checks;
      reader.allow_unknown_fields = options_.allow_unknown_fields;
      try {
        load_object(Value(&reader, *node, ""));
      } catch (const std::exception& e) {
        // Bad input must never crash a caller; this is a bug in meshtwin if it happens.
        diags_.error(SourceLocation{file, raw.line_offset + 1, 1}, "",
                     std::string("internal error while reading this document: ") + e.what());
      }
      parsed.give_back(node);
    }
  }

  void load_path(const std::string& path) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      // The system's reason (No such file or directory, Permission denied on a parent folder, ...).
      diags_.error(SourceLocation{path, 0, 0}, "",
                   "cannot read: " + (ec ? ec.message() : std::generic_category().message(ENOENT)));
      return;
    }
    if (fs::is_directory(st)) {
      load_folder(fs::path(path));
    } else {
      // Like kubectl, a file named explicitly is read whatever its extension.
      load_file(path);
    }
  }

 private:
  void load_folder(const fs::path& dir) {
    std::error_code ec;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    if (ec) {
      diags_.error(SourceLocation{dir.string(), 0, 0}, "", "cannot read folder: " + ec.message());
      return;
    }
    // Byte order of names, as kubectl's filepath.Walk visits them.
    std::sort(entries.begin(), entries.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
    for (const auto& p : entries) {
      std::error_code sec;
      // Like kubectl's filepath.Walk: real folders are descended into, symbolic links to
      // folders are not (which also keeps link cycles from recursing forever).
      const fs::file_status link = fs::symlink_status(p, sec);
      if (fs::is_directory(link))
        load_folder(p);
      else if (manifest_extension(p) && !fs::is_directory(p, sec))
        load_file(p.string());
    }
  }

  void load_file(const std::string& file) {
    std::string error;
    auto text = read_input_file(file, error);
    if (!text) {
      diags_.error(SourceLocation{file, 0, 0}, "", read_error_message("this file", error));
      return;
    }
    load_text(*text, file);
  }

  void skip_note(const Value& doc, const std::string& message) {
    doc.reader().report(Severity::Note, doc.node(), yaml::join_path(doc.path(), "kind"), message);
  }

  void load_object(const Value& v) {
    if (v.is_null()) return;  // an empty document between `---` lines
    if (!v.is_map()) {
      v.error("a document must be a Kubernetes object (a map with apiVersion, kind and metadata), got " +
              v.describe());
      return;
    }
    MapReader doc(v);
    if (!doc.ok()) return;
    auto av = doc.get("apiVersion");
    auto kv = doc.get("kind");
    if (!av || !kv) {
      v.reader().report(Severity::Note, v.node(), yaml::join_path(v.path(), !av ? "apiVersion" : "kind"),
                        "skipped: not a Kubernetes object (no apiVersion and kind)");
      return;
    }
    auto api_version_s = av->as_string();
    auto kind_s = kv->as_string();
    if (!api_version_s || !kind_s) return;
    const std::string& kind = *kind_s;

    if (kind == "List" || (ends_with(kind, "List") && doc.has("items"))) {
      if (auto items_v = doc.get("items")) {
        if (auto items = items_v->as_list()) {
          for (const Value& item : *items) load_object(item);
        }
      }
      doc.ignore({"metadata"});
      doc.finish();
      return;
    }

    const std::string& api_version = *api_version_s;
    const auto slash = api_version.find('/');
    Object o{v, doc, *av, api_version, kind, slash == std::string::npos ? "" : api_version.substr(0, slash),
             slash == std::string::npos ? api_version : api_version.substr(slash + 1), diags_.error_count()};
    // apiVersion, kind, metadata, spec and status (which `kubectl get -o yaml` adds and no one
    // reads); an EndpointSlice keeps its fields beside metadata.
    doc.set_schema(kind == "EndpointSlice" ? &api::kEndpointSlice : &api::kObject);
    if (!load_kubernetes_kind(o) && !load_istio_networking_kind(o) && !load_named_kind(o)) not_modelled(o);
  }

  // One document being loaded, once it is known to be an object of `kind`.
  struct Object {
    const Value& v;
    MapReader& doc;
    const Value& api_version_value;
    const std::string& api_version;
    const std::string& kind;
    std::string group;
    std::string version;
    std::size_t errors_before;
  };

  // Parses the document into an R with `parse` and applies it when it reported no error.
  template <class R, class Parse>
  void apply_parsed(Object& o, Parse parse) {
    R r;
    parse(o.doc, r);
    o.doc.ignore({"status"});
    o.doc.finish();
    if (diags_.error_count() == o.errors_before) store_.apply(std::move(r));
  }

  void load_workload(Object& o) {
    apply_parsed<Workload>(o, [&](MapReader& doc, Workload& r) { parse::parse_workload(doc, o.kind, r); });
  }

  bool not_modelled(const Object& o) {
    skip_note(o.v, o.kind + " (" + o.api_version + ") is not modelled by meshtwin; skipped");
    return true;
  }

  void wrong_version(const Object& o, const std::string& use) {
    o.api_version_value.error("apiVersion \"" + o.api_version + "\" is not served for " + o.kind + "; use " + use);
  }

  // The core and apps groups; true when the document was handled.
  bool load_kubernetes_kind(Object& o) {
    const std::string& kind = o.kind;
    if (o.group.empty()) {
      if (kind == "Namespace" || kind == "Service" || kind == "Pod") {
        if (o.version != "v1") wrong_version(o, "v1");
        else if (kind == "Namespace") apply_parsed<Namespace>(o, parse::parse_namespace);
        else if (kind == "Service") apply_parsed<Service>(o, parse::parse_service);
        else load_workload(o);
        return true;
      }
      return not_modelled(o);
    }
    if (o.group == "discovery.k8s.io" && kind == "EndpointSlice") {
      apply_parsed<EndpointSlice>(o, parse::parse_endpoint_slice);
      return true;
    }
    if (o.group != "apps" && o.group != "extensions") return false;
    if (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" || kind == "DaemonSet") {
      if (o.group == "extensions" && kind == "StatefulSet") {
        wrong_version(o, "apps/v1");
        return true;
      }
      if (o.group != "apps" || o.version != "v1") {
        if (o.version != "v1beta1" && o.version != "v1beta2") {
          wrong_version(o, "apps/v1");
          return true;
        }
        o.api_version_value.warning("apiVersion \"" + o.api_version +
                                    "\" is no longer served by Kubernetes; use apps/v1");
      }
      load_workload(o);
      return true;
    }
    return not_modelled(o);
  }

  // The networking.istio.io kinds meshtwin simulates; true when the document was handled.
  bool load_istio_networking_kind(Object& o) {
    if (o.group != "networking.istio.io") return false;
    const std::string& kind = o.kind;
    if (kind != "VirtualService" && kind != "DestinationRule" && kind != "Gateway" && kind != "ServiceEntry" &&
        kind != "Sidecar")
      return false;
    if (!is_istio_networking_version(o.version)) wrong_version(o, "networking.istio.io/v1");
    else if (kind == "VirtualService") apply_parsed<VirtualService>(o, parse::parse_virtual_service);
    else if (kind == "DestinationRule") apply_parsed<DestinationRule>(o, parse::parse_destination_rule);
    else if (kind == "Gateway") apply_parsed<Gateway>(o, parse::parse_gateway);
    else if (kind == "ServiceEntry") apply_parsed<ServiceEntry>(o, parse::parse_service_entry);
    else apply_parsed<Sidecar>(o, parse::parse_sidecar);
    return true;
  }

  // Kinds kept by name only so that lint can point at them: the rest of Istio's API
  // (security, telemetry, EnvoyFilter, WorkloadEntry, ...), the Kubernetes Gateway API and
  // Ingress. They change traffic in a real mesh, so silently forgetting them would mislead.
  // True when the document was handled.
  bool load_named_kind(Object& o) {
    const std::string& kind = o.kind;
    const bool istio = ends_with(o.group, "istio.io");
    const bool gateway_api = o.group == "gateway.networking.k8s.io";
    const bool ingress = o.group == "networking.k8s.io" && kind == "Ingress";
    if (!istio && !gateway_api && !ingress) return false;
    // Kinds istiod translates into its own config (Ingress, the Gateway API) or that lint reads
    // (PeerAuthentication) are read in full; all of them stay named in unmodelled() as well.
    const bool gateway_api_kind =
        gateway_api && (kind == "Gateway" || kind == "HTTPRoute" || kind == "TCPRoute" || kind == "TLSRoute" ||
                        kind == "GRPCRoute" || kind == "ReferenceGrant");
    const bool peer_auth = o.group == "security.istio.io" && kind == "PeerAuthentication";
    if (gateway_api_kind || ingress || peer_auth) {
      load_translated_kind(o, ingress, peer_auth);
      if (diags_.error_count() != o.errors_before) return true;
    }
    UnmodelledResource r;
    r.api_version = o.api_version;
    r.kind = kind;
    read_unmodelled_meta(o.doc, r.meta);
    const std::string what = kind + " (" + o.api_version + ")";
    if (kind == "ReferenceGrant") {
      skip_note(o.v, what + " is read for the cross-namespace references it permits, as istiod does");
    } else if (gateway_api_kind || ingress) {
      skip_note(o.v, what + " is translated into Istio Gateway and VirtualService config, as istiod does");
    } else {
      std::string why = gateway_api ? "this Gateway API kind is not translated by meshtwin"
                                    : "it is not simulated; it is kept only so that lint can name it";
      skip_note(o.v, what + " is skipped: " + why);
    }
    if (!r.meta.name.empty()) store_.apply(std::move(r));
    return true;
  }

  // Ingress, PeerAuthentication and the Gateway API kinds, read in full.
  void load_translated_kind(Object& o, bool ingress, bool peer_auth) {
    const std::string& kind = o.kind;
    if (ingress) apply_parsed<Ingress>(o, parse::parse_ingress);
    else if (peer_auth) apply_parsed<PeerAuthentication>(o, parse::parse_peer_authentication);
    else if (kind == "Gateway") apply_parsed<GatewayApiGateway>(o, parse::parse_gateway_api_gateway);
    else if (kind == "HTTPRoute") apply_parsed<GatewayApiHTTPRoute>(o, parse::parse_http_route);
    else if (kind == "GRPCRoute") apply_parsed<GatewayApiGRPCRoute>(o, parse::parse_grpc_route);
    else if (kind == "ReferenceGrant") apply_parsed<GatewayApiReferenceGrant>(o, parse::parse_reference_grant);
    else apply_parsed<GatewayApiL4Route>(o, [&](MapReader& doc, GatewayApiL4Route& r) { parse::parse_l4_route(doc, kind, r); });
  }

  // Best effort and silent: the document is not validated, only named.
  static void read_unmodelled_meta(MapReader& doc, ObjectMeta& meta) {
    meta.location = doc.value().location();
    Diagnostics scratch;
    yaml::Reader quiet(doc.value().reader().file(), scratch);
    const YAML::Node& node = doc.value().node();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() != "metadata" || !it->second.IsMap()) continue;
      MapReader m(Value(&quiet, it->second, "metadata"));
      if (auto name = m.get("name"); name && name->is_scalar()) meta.name = name->node().Scalar();
      if (auto ns = m.get("namespace"); ns && ns->is_scalar()) meta.namespace_ = ns->node().Scalar();
      if (auto labels = m.get("labels")) {
        if (auto l = labels->as_string_map()) meta.labels = parse::to_labels(*l);
      }
      if (auto ts = m.get("creationTimestamp"); ts && ts->is_scalar() && parse_rfc3339(ts->node().Scalar()))
        meta.creation_timestamp = ts->node().Scalar();
    }
  }

  ConfigStore& store_;
  Diagnostics& diags_;
  LoadOptions options_;
};

}  // namespace

void load_paths(const std::vector<std::string>& paths, ConfigStore& store, Diagnostics& diags) {
  load_paths(paths, store, diags, LoadOptions{});
}

void load_paths(const std::vector<std::string>& paths, ConfigStore& store, Diagnostics& diags,
                const LoadOptions& options) {
  Loader loader(store, diags, options);
  for (const auto& p : paths) loader.load_path(p);
}

void load_yaml_text(std::string_view text, const std::string& file_name, ConfigStore& store, Diagnostics& diags) {
  Loader loader(store, diags);
  loader.load_text(text, file_name);
}

void load_yaml_text(std::string_view text, const std::string& file_name, ConfigStore& store, Diagnostics& diags,
                    const LoadOptions& options) {
  Loader loader(store, diags, options);
  loader.load_text(text, file_name);
}

}  // namespace meshtwin::config
