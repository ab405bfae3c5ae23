#include "model/config/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "model/config/input_file.h"
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
    for (const auto& raw : yaml::split_documents(text)) {
      auto node = yaml::parse_document(raw, file, diags_);
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
    const std::string& api_version = *api_version_s;
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

    const auto slash = api_version.find('/');
    const std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
    const std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
    const std::size_t errors_before = diags_.error_count();
    // apiVersion, kind, metadata, spec and status (which `kubectl get -o yaml` adds and no one
    // reads); an EndpointSlice keeps its fields beside metadata.
    doc.set_schema(kind == "EndpointSlice" ? &api::kEndpointSlice : &api::kObject);

    auto finish = [&](auto&& resource) {
      doc.ignore({"status"});
      doc.finish();
      if (diags_.error_count() == errors_before) store_.apply(std::move(resource));
    };
    auto wrong_version = [&](const std::string& use) {
      av->error("apiVersion \"" + api_version + "\" is not served for " + kind + "; use " + use);
    };

    if (group.empty()) {
      if (kind == "Namespace" || kind == "Service" || kind == "Pod") {
        if (version != "v1") return wrong_version("v1");
        if (kind == "Namespace") {
          Namespace r;
          parse::parse_namespace(doc, r);
          return finish(std::move(r));
        }
        if (kind == "Service") {
          Service r;
          parse::parse_service(doc, r);
          return finish(std::move(r));
        }
        Workload r;
        parse::parse_workload(doc, kind, r);
        return finish(std::move(r));
      }
      return skip_note(v, kind + " (" + api_version + ") is not modelled by meshtwin; skipped");
    }

    if (group == "discovery.k8s.io" && kind == "EndpointSlice") {
      EndpointSlice r;
      parse::parse_endpoint_slice(doc, r);
      return finish(std::move(r));
    }

    if (group == "apps" || group == "extensions") {
      if (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" || kind == "DaemonSet") {
        if (group == "extensions" && kind == "StatefulSet") return wrong_version("apps/v1");
        if (group != "apps" || version != "v1") {
          if (version != "v1beta1" && version != "v1beta2") return wrong_version("apps/v1");
          av->warning("apiVersion \"" + api_version + "\" is no longer served by Kubernetes; use apps/v1");
        }
        Workload r;
        parse::parse_workload(doc, kind, r);
        return finish(std::move(r));
      }
      return skip_note(v, kind + " (" + api_version + ") is not modelled by meshtwin; skipped");
    }

    if (group == "networking.istio.io") {
      const bool modelled = kind == "VirtualService" || kind == "DestinationRule" || kind == "Gateway" ||
                            kind == "ServiceEntry" || kind == "Sidecar";
      if (modelled) {
        if (!is_istio_networking_version(version)) return wrong_version("networking.istio.io/v1");
        if (kind == "VirtualService") {
          VirtualService r;
          parse::parse_virtual_service(doc, r);
          return finish(std::move(r));
        }
        if (kind == "DestinationRule") {
          DestinationRule r;
          parse::parse_destination_rule(doc, r);
          return finish(std::move(r));
        }
        if (kind == "Gateway") {
          Gateway r;
          parse::parse_gateway(doc, r);
          return finish(std::move(r));
        }
        if (kind == "ServiceEntry") {
          ServiceEntry r;
          parse::parse_service_entry(doc, r);
          return finish(std::move(r));
        }
        Sidecar r;
        parse::parse_sidecar(doc, r);
        return finish(std::move(r));
      }
    }

    // Kinds kept by name only so that lint can point at them: the rest of Istio's API
    // (security, telemetry, EnvoyFilter, WorkloadEntry, ...), the Kubernetes Gateway API and
    // Ingress. They change traffic in a real mesh, so silently forgetting them would mislead.
    const bool istio = ends_with(group, "istio.io");
    const bool gateway_api = group == "gateway.networking.k8s.io";
    const bool ingress = group == "networking.k8s.io" && kind == "Ingress";
    if (istio || gateway_api || ingress) {
      // Kinds istiod translates into its own config (Ingress, the Gateway API) or that lint reads
      // (PeerAuthentication) are read in full; all of them stay named in unmodelled() as well.
      const bool gateway_api_kind =
          gateway_api && (kind == "Gateway" || kind == "HTTPRoute" || kind == "TCPRoute" || kind == "TLSRoute" ||
                          kind == "GRPCRoute" || kind == "ReferenceGrant");
      const bool peer_auth = group == "security.istio.io" && kind == "PeerAuthentication";
      if (gateway_api_kind || ingress || peer_auth) {
        auto typed = [&](auto&& resource) {
          doc.ignore({"status"});
          doc.finish();
          if (diags_.error_count() == errors_before) store_.apply(std::move(resource));
        };
        if (ingress) {
          Ingress r;
          parse::parse_ingress(doc, r);
          typed(std::move(r));
        } else if (peer_auth) {
          PeerAuthentication r;
          parse::parse_peer_authentication(doc, r);
          typed(std::move(r));
        } else if (kind == "Gateway") {
          GatewayApiGateway r;
          parse::parse_gateway_api_gateway(doc, r);
          typed(std::move(r));
        } else if (kind == "HTTPRoute") {
          GatewayApiHTTPRoute r;
          parse::parse_http_route(doc, r);
          typed(std::move(r));
        } else if (kind == "GRPCRoute") {
          GatewayApiGRPCRoute r;
          parse::parse_grpc_route(doc, r);
          typed(std::move(r));
        } else if (kind == "ReferenceGrant") {
          GatewayApiReferenceGrant r;
          parse::parse_reference_grant(doc, r);
          typed(std::move(r));
        } else {
          GatewayApiL4Route r;
          parse::parse_l4_route(doc, kind, r);
          typed(std::move(r));
        }
        if (diags_.error_count() != errors_before) return;
      }
      UnmodelledResource r;
      r.api_version = api_version;
      r.kind = kind;
      read_unmodelled_meta(doc, r.meta);
      if (kind == "ReferenceGrant") {
        skip_note(v, kind + " (" + api_version + ") is read for the cross-namespace references it permits, as "
                                                 "istiod does");
      } else if (gateway_api_kind || ingress) {
        skip_note(v, kind + " (" + api_version + ") is translated into Istio Gateway and VirtualService config, as "
                                                 "istiod does");
      } else {
        std::string why = gateway_api ? "this Gateway API kind is not translated by meshtwin"
                                      : "it is not simulated; it is kept only so that lint can name it";
        skip_note(v, kind + " (" + api_version + ") is skipped: " + why);
      }
      if (!r.meta.name.empty()) store_.apply(std::move(r));
      return;
    }
    skip_note(v, kind + " (" + api_version + ") is not modelled by meshtwin; skipped");
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

bool read_file(const std::string& path, std::string& out, std::string* error) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (error) *error = std::strerror(errno != 0 ? errno : ENOENT);
    return false;
  }
  out.clear();
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  // Reading a folder opens fine on Linux and then fails with EISDIR here.
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    if (error) *error = std::strerror(err != 0 ? err : EIO);
    return false;
  }
  return true;
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
