// load_scenario: the scenario file of DESIGN §3.2 (reference: docs/scenario-reference.md).
// Reading goes through config's yaml_reader so that scenario diagnostics look exactly like
// manifest diagnostics: file:line:col, field path, a sentence to act on.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "model/config/loader.h"
#include "model/scenario/scenario_spec.h"
#include "model/scenario/scenario_values.h"

namespace meshtwin::scenario {
namespace {

namespace fs = std::filesystem;
using config::Severity;
using config::yaml::MapReader;
using config::yaml::Value;
using detail::read_duration_distribution;

constexpr const char* kApiVersion = "meshtwin.dev/v1alpha1";

void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(Severity::Error, at.node(), config::yaml::join_path(at.path(), key), std::move(message));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool http_token(const std::string& s) {
  static const std::string kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c > 32 && c < 127 && kSeparators.find(static_cast<char>(c)) == std::string::npos;
  });
}

// Kubernetes object names as they appear in `workload: name` and app keys.
bool object_name(const std::string& s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::islower(c) || std::isdigit(c) || c == '-' || c == '.';
         });
}

// `name` or `namespace/name`.
bool split_ref(const std::string& s, std::string& ns, std::string& name) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) {
    ns.clear();
    name = s;
    return object_name(name);
  }
  ns = s.substr(0, slash);
  name = s.substr(slash + 1);
  return object_name(ns) && object_name(name) && ns.find('.') == std::string::npos;
}

std::optional<Url> read_url(const Value& v) {
  auto s = v.as_string();
  if (!s) return std::nullopt;
  std::string error;
  auto url = parse_url(*s, &error);
  if (!url) v.error(v.name() + ": " + error);
  return url;
}

bool read_method(MapReader& m, std::string& out) {
  auto v = m.get("method");
  if (!v) return false;
  auto s = v->as_string();
  if (!s) return false;
  if (!http_token(*s)) {
    v->error("method must be an HTTP method such as GET or POST, got " + v->describe());
    return false;
  }
  out = *s;
  return true;
}

// `all`, `none` or a fraction in [0, 1].
bool read_fraction(MapReader& m, std::string_view key, double& out) {
  auto v = m.get(key);
  if (!v) return false;
  if (v->is_scalar() && (v->node().Scalar() == "all" || v->node().Scalar() == "none")) {
    out = v->node().Scalar() == "all" ? 1.0 : 0.0;
    return true;
  }
  auto d = v->as_number(-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity());
  if (!d) return false;
  if (*d < 0 || *d > 1) {
    v->error(std::string(key) + " must be all, none or a fraction between 0 and 1, got " + v->node().Scalar());
    return false;
  }
  out = *d;
  return true;
}

bool read_distribution_field(MapReader& m, std::string_view key, engine::Distribution& out) {
  auto v = m.get(key);
  if (!v) return false;
  auto d = read_duration_distribution(*v);
  if (!d) return false;
  out = *d;
  return true;
}

// ------------------------------------------------------------------ apps

std::optional<CallSpec> read_call(const Value& v) {
  MapReader m(v);
  if (!m.ok()) return std::nullopt;
  CallSpec c;
  c.location = v.location();
  bool ok = true;
  if (auto to = m.require("to", "to is required: the URL to call, e.g. \"http://reviews:9080/reviews/0\"")) {
    if (auto url = read_url(*to))
      c.to = *url;
    else
      ok = false;
  } else {
    ok = false;
  }
  read_method(m, c.method);
  m.read_duration("timeout", c.timeout);
  if (auto a = m.get("attempts")) {
    if (auto n = a->as_int(1, 1000))
      c.attempts = static_cast<int>(*n);
    else
      ok = false;
  }
  std::vector<std::string> headers;
  if (m.read("forwardHeaders", headers)) {
    for (auto& h : headers) c.forward_headers.push_back(lower(h));
  }
  std::string on_failure;
  if (m.read_enum("onFailure", on_failure, {"fail", "continue"}))
    c.on_failure = on_failure == "continue" ? CallSpec::OnFailure::Continue : CallSpec::OnFailure::Fail;
  m.finish();
  if (!ok) return std::nullopt;
  return c;
}

void read_calls(const Value& v, std::vector<CallStep>& out) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) {
    MapReader probe(item);
    if (!probe.ok()) continue;
    if (probe.has("parallel")) {
      CallStep step;
      step.parallel = true;
      auto group = probe.get("parallel");
      probe.finish();  // anything beside `parallel` is a misplaced call field
      if (auto calls = group->as_list()) {
        if (calls->empty()) group->error("parallel must list at least one call");
        for (const Value& c : *calls) {
          if (auto call = read_call(c)) step.calls.push_back(std::move(*call));
        }
      }
      out.push_back(std::move(step));
    } else if (auto call = read_call(item)) {
      out.push_back(CallStep{{std::move(*call)}, false});
    }
  }
}

int grpc_code(const std::string& name) {
  static const char* const kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                       "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                       "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  for (int i = 0; i < 17; ++i)
    if (name == kNames[i]) return i;
  return -1;
}

void read_failures(const Value& v, std::vector<FailureSpec>& out) {
  auto items = v.as_list();
  if (!items) return;
  double total = 0;
  bool all_ok = true;
  for (const Value& item : *items) {
    MapReader m(item);
    if (!m.ok()) {
      all_ok = false;
      continue;
    }
    FailureSpec f;
    f.location = item.location();
    if (m.require("rate", "rate is required: the probability per request, e.g. 0.05")) {
      if (!m.read_number("rate", f.rate, 0, 1)) all_ok = false;
    } else {
      all_ok = false;
    }
    std::string kind = "status";
    m.read_enum("kind", kind, {"status", "reset", "hang", "refuse", "grpc"});
    f.kind = kind == "reset"    ? FailureSpec::Kind::Reset
             : kind == "hang"   ? FailureSpec::Kind::Hang
             : kind == "refuse" ? FailureSpec::Kind::Refuse
             : kind == "grpc"   ? FailureSpec::Kind::Grpc
                                : FailureSpec::Kind::Status;
    if (auto st = m.get("status")) {
      if (f.kind != FailureSpec::Kind::Status)
        st->error("status applies only to failures of kind status");
      else if (auto n = st->as_int(100, 599))
        f.status = static_cast<int>(*n);
    }
    if (auto g = m.get("grpcStatus")) {
      if (f.kind != FailureSpec::Kind::Grpc) {
        g->error("grpcStatus applies only to failures of kind grpc");
      } else if (g->is_scalar() && !g->node().Scalar().empty() && std::isdigit(static_cast<unsigned char>(g->node().Scalar()[0]))) {
        if (auto n = g->as_int(0, 16)) f.grpc_status = static_cast<int>(*n);
      } else if (auto s = g->as_string()) {
        const int code = grpc_code(*s);
        if (code < 0)
          g->error("grpcStatus must be a gRPC code (0-16) or its name such as UNAVAILABLE, got " + g->describe());
        else
          f.grpc_status = code;
      }
    }
    if (auto w = m.get("when")) {
      std::string when;
      if (f.kind != FailureSpec::Kind::Reset) {
        w->error("when applies only to failures of kind reset");
      } else if (auto s = w->as_string()) {
        if (*s == "beforeHeaders" || *s == "afterHeaders")
          f.after_headers = *s == "afterHeaders";
        else
          w->error("when must be beforeHeaders or afterHeaders, got " + w->describe());
      }
    }
    m.finish();
    total += f.rate;
    out.push_back(f);
  }
  // One uniform draw picks at most one failure kind, so the rates share a single [0, 1].
  if (all_ok && total > 1 + 1e-9)
    v.error("failure rates add up to " + std::to_string(total) + "; together they must not exceed 1");
}

void read_app(const std::string& key, const Value& v, AppSpec& app) {
  app.location = v.location();
  if (!split_ref(key, app.namespace_, app.workload)) {
    v.reader().report(Severity::Error, v.node(), v.path(),
                      "apps are keyed by workload name or namespace/name (lower-case letters, digits, '-' and '.'), "
                      "got \"" + key + "\"");
  }
  MapReader m(v);
  if (!m.ok()) return;
  if (auto w = m.get("workers")) {
    if (auto n = w->as_int(0, 1'000'000)) app.workers = static_cast<int>(*n);
  }
  read_distribution_field(m, "serviceTime", app.service_time);
  if (auto calls = m.get("calls")) read_calls(*calls, app.calls);
  if (auto failures = m.get("failures")) read_failures(*failures, app.failures);
  if (auto es = m.get("errorStatus")) {
    if (auto n = es->as_int(100, 599)) app.error_status = static_cast<int>(*n);
  }
  m.finish();
}

// ------------------------------------------------------------------ clients

void read_from(const Value& v, ClientSpec& c) {
  MapReader m(v);
  if (!m.ok()) return;
  const bool has_workload = m.has("workload");
  const bool has_gateway = m.has("gateway");
  if (has_workload && has_gateway) {
    error_at(v, "gateway", "from takes either workload or gateway, not both");
  } else if (!has_workload && !has_gateway) {
    v.error("from needs workload (e.g. {workload: sleep}) or gateway (e.g. {gateway: istio-system/istio-ingressgateway})");
  }
  for (const char* key : {"workload", "gateway"}) {
    if (auto w = m.get(key)) {
      auto s = w->as_string();
      if (!s) continue;
      std::string ns, name;
      if (!split_ref(*s, ns, name)) {
        w->error(std::string(key) + " must be a name or namespace/name, got " + w->describe());
        continue;
      }
      c.from_kind = std::string(key) == "gateway" ? ClientSpec::FromKind::Gateway : ClientSpec::FromKind::Workload;
      c.from_namespace = ns;
      c.from_name = name;
    }
  }
  m.finish();
}

void read_mix(const Value& v, std::vector<HeaderMix>& out) {
  auto items = v.as_list();
  if (!items) return;
  double total = 0;
  bool ok = true;
  for (const Value& item : *items) {
    MapReader m(item);
    if (!m.ok()) {
      ok = false;
      continue;
    }
    HeaderMix mix;
    if (m.has("weight") && !m.read_number("weight", mix.weight, 0, std::numeric_limits<double>::infinity()))
      ok = false;
    if (auto h = m.get("headers")) {
      if (auto map = h->as_string_map()) {
        for (auto& [k, val] : *map) mix.headers.emplace_back(lower(k), val);
      }
    }
    m.finish();
    total += mix.weight;
    out.push_back(std::move(mix));
  }
  if (ok && !out.empty() && total <= 0) v.error("mix weights sum to 0; give at least one entry a positive weight");
}

void read_client(const Value& v, ClientSpec& c, std::size_t index) {
  c.location = v.location();
  MapReader m(v);
  if (!m.ok()) return;
  if (m.require("name", "name is required: it identifies the client in the results")) m.read("name", c.name);
  if (auto from = m.require("from", "from is required: {workload: sleep} or {gateway: istio-system/istio-ingressgateway}"))
    read_from(*from, c);
  if (auto to = m.require("to", "to is required: the URL to request, e.g. http://productpage:9080/productpage")) {
    if (auto url = read_url(*to)) c.to = *url;
  }
  read_method(m, c.method);
  if (auto rate = m.require("rate", "rate is required, e.g. {poisson: 200} or {closed: {connections: 2}}")) {
    if (auto r = detail::read_rate(*rate)) c.rate = *r;
  }
  if (auto n = m.get("requests")) {
    if (auto x = n->as_int(1, std::numeric_limits<std::int64_t>::max())) c.max_requests = static_cast<std::uint64_t>(*x);
  }
  m.read_duration("timeout", c.timeout, 1);
  if (auto mix = m.get("mix")) read_mix(*mix, c.mix);
  m.finish();
  (void)index;
}

// ------------------------------------------------------------------ spec

void read_mesh(const Value& v, MeshSpec& mesh) {
  MapReader m(v);
  if (!m.ok()) return;
  m.read_enum("outboundTrafficPolicy", mesh.outbound_traffic_policy, {"ALLOW_ANY", "REGISTRY_ONLY"});
  read_distribution_field(m, "configPushDelay", mesh.config_push_delay);
  if (auto w = m.get("proxyWorkers")) {
    if (auto n = w->as_int(1, 1024)) mesh.proxy_workers = static_cast<int>(*n);
  }
  read_distribution_field(m, "proxyOverhead", mesh.proxy_overhead);
  if (auto iv = m.get("istioVersion")) {
    if (auto s = iv->as_string()) {
      const auto dot = s->find('.');
      const bool ok = dot != std::string::npos && dot > 0 && dot + 1 < s->size() &&
                      std::all_of(s->begin(), s->end(), [](unsigned char c) { return std::isdigit(c) || c == '.'; }) &&
                      s->find('.', dot + 1) == std::string::npos;
      if (!ok)
        iv->error("istioVersion must be a major.minor version such as \"1.31\", got " + iv->describe());
      else
        mesh.istio_version = *s;
    }
  }
  m.finish();
}

void read_record(const Value& v, RecordSpec& r) {
  MapReader m(v);
  if (!m.ok()) return;
  read_fraction(m, "requests", r.requests);
  read_fraction(m, "spans", r.spans);
  m.read_duration("metricsInterval", r.metrics_interval, engine::kMillisecond);
  m.finish();
}

void read_manifests(const Value& v, const fs::path& base_dir, std::vector<std::string>& out) {
  auto items = v.as_list();
  if (!items) return;
  if (items->empty()) v.error("manifests must list at least one file or folder");
  for (const Value& item : *items) {
    auto s = item.as_string();
    if (!s) continue;
    if (s->empty()) {
      item.error("manifest path must not be empty");
      continue;
    }
    fs::path p(*s);
    if (p.is_relative()) p = base_dir / p;
    p = p.lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      item.error("manifest \"" + *s + "\" not found (looked for " + p.string() +
                 "); paths are relative to the scenario file's folder");
      continue;
    }
    out.push_back(p.string());
  }
}

void read_spec(const Value& v, ScenarioSpec& spec) {
  MapReader m(v);
  if (!m.ok()) return;
  if (auto seed = m.get("seed")) {
    if (auto n = seed->as_uint64()) spec.seed = *n;
  }
  m.read_duration("duration", spec.duration, 1);
  if (auto manifests = m.require("manifests", "manifests is required: the Kubernetes and Istio YAML files that make up the mesh"))
    read_manifests(*manifests, spec.base_dir, spec.manifests);
  if (auto mesh = m.get("mesh")) read_mesh(*mesh, spec.mesh);
  if (auto network = m.get("network")) {
    MapReader nm(*network);
    if (nm.ok()) {
      read_distribution_field(nm, "latency", spec.network.latency);
      nm.finish();
    }
  }
  if (auto apps = m.get("apps")) {
    MapReader am(*apps);
    if (am.ok()) {
      for (auto& [key, app_v] : am.entries()) {
        AppSpec app;
        read_app(key, app_v, app);
        spec.apps.push_back(std::move(app));
      }
    }
  }
  if (auto clients = m.get("clients")) {
    if (auto items = clients->as_list()) {
      std::set<std::string> names;
      for (std::size_t i = 0; i < items->size(); ++i) {
        ClientSpec c;
        read_client((*items)[i], c, i);
        if (!c.name.empty() && !names.insert(c.name).second)
          error_at((*items)[i], "name", "duplicate client name \"" + c.name + "\"; client names must be unique");
        spec.clients.push_back(std::move(c));
      }
    }
  }
  if (auto record = m.get("record")) read_record(*record, spec.record);
  for (const char* key : {"timeline", "assertions"}) {
    if (auto x = m.get(key)) {
      x->reader().report(Severity::Error, x->node(), x->path(),
                         std::string(key) +
                             " is not supported yet (it arrives with the timeline issue); remove it or run the "
                             "scenario without it");
    }
  }
  m.finish();
}

}  // namespace

std::optional<ScenarioSpec> load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                                          config::Diagnostics& diags) {
  const std::size_t errors_before = diags.error_count();
  ScenarioSpec spec;
  spec.path = path;
  {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    if (!in || fs::is_directory(path, ec)) {
      diags.error(config::SourceLocation{path, 0, 0}, "", "cannot read the scenario file");
      return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    spec.text = ss.str();
  }
  spec.base_dir = fs::path(path).parent_path().string();
  if (spec.base_dir.empty()) spec.base_dir = ".";
  spec.name = fs::path(path).stem().string();

  try {
    // One document; `---` separated extras are a mistake worth naming.
    std::optional<YAML::Node> root;
    int root_offset = 0;
    for (const auto& raw : config::yaml::split_documents(spec.text)) {
      auto node = config::yaml::parse_document(raw, path, diags);
      if (!node) return std::nullopt;
      if (node->IsNull()) continue;
      if (root) {
        diags.error(config::SourceLocation{path, raw.line_offset + 1, 1}, "",
                    "a scenario file holds one document; move the others to their own files");
        return std::nullopt;
      }
      root = *node;
      root_offset = raw.line_offset;
    }
    if (!root) {
      diags.error(config::SourceLocation{path, 1, 1}, "", "the scenario file is empty");
      return std::nullopt;
    }
    config::yaml::Reader reader(path, diags, root_offset);
    if (!root->IsMap()) {
      Value(&reader, *root, "").error("a scenario must be a map with apiVersion, kind, metadata and spec");
      return std::nullopt;
    }
    if (!detail::apply_overrides(*root, overrides, reader.strict_paths, diags)) return std::nullopt;

    MapReader doc(Value(&reader, *root, ""));
    if (!doc.ok()) return std::nullopt;
    if (auto av = doc.require("apiVersion", std::string("apiVersion is required: ") + kApiVersion)) {
      if (auto s = av->as_string(); s && *s != kApiVersion)
        av->error(std::string("apiVersion must be ") + kApiVersion + ", got " + av->describe());
    }
    if (auto kind = doc.require("kind", "kind is required: Scenario")) {
      if (auto s = kind->as_string(); s && *s != "Scenario") kind->error("kind must be Scenario, got " + kind->describe());
    }
    if (auto meta = doc.get("metadata")) {
      MapReader mm(*meta);
      if (mm.ok()) {
        mm.read("name", spec.name);
        mm.ignore({"labels", "annotations"});
        mm.finish();
      }
    }
    if (auto s = doc.require("spec", "spec is required: manifests, apps and clients")) read_spec(*s, spec);
    doc.finish();
  } catch (const std::exception& e) {
    diags.error(config::SourceLocation{path, 0, 0}, "", std::string("internal error while reading the scenario: ") + e.what());
    return std::nullopt;
  }
  if (diags.error_count() != errors_before) return std::nullopt;
  return spec;
}

}  // namespace meshtwin::scenario
