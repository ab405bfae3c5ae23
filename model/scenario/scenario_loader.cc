// load_scenario: the scenario file of docs/design.md §3.2 (reference: docs/scenario-reference.md).
// Reading goes through config's yaml_reader so that scenario diagnostics look exactly like
// manifest diagnostics: file:line:col, field path, a sentence to act on.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "model/config/input_file.h"
#include "model/config/loader.h"
#include "model/scenario/scenario_spec.h"
#include "model/scenario/scenario_values.h"

namespace meshtwin::scenario {
namespace {

namespace fs = std::filesystem;
using config::Severity;
using config::yaml::MapReader;
using config::yaml::Value;
using detail::read_calls;
using detail::read_duration_distribution;
using detail::read_failures;
using detail::read_method;
using detail::read_url;
using detail::split_ref;

constexpr const char* kApiVersion = "meshtwin.dev/v1alpha1";

void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(Severity::Error, at.node(), config::yaml::join_path(at.path(), key), std::move(message));
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

// `proxyCpu:` `none` (the zero-cost proxy) or a map of durations, each key replacing the
// default it names (docs/semantics.md §19.3). `client_loop` is read only at mesh level.
void read_proxy_cpu(const Value& v, proxy::CpuCosts& costs, SimDuration* client_loop) {
  if (v.is_scalar()) {
    if (auto s = v.as_string(); s && *s == "none") {
      costs = proxy::CpuCosts{};
      if (client_loop) *client_loop = SimDuration{};
    } else if (s) {
      v.error("proxyCpu must be `none` or a map of durations (request, response, afterResponse, "
              "localReply, retry, connect" + std::string(client_loop ? ", clientLoop" : "") + "), got " + v.describe());
    }
    return;
  }
  MapReader m(v);
  if (!m.ok()) return;
  m.read_duration("request", costs.request);
  m.read_duration("response", costs.response);
  m.read_duration("afterResponse", costs.after_response);
  m.read_duration("localReply", costs.local_reply);
  m.read_duration("retry", costs.retry);
  m.read_duration("connect", costs.connect);
  if (client_loop) m.read_duration("clientLoop", *client_loop);
  m.finish();
}

// ------------------------------------------------------------------ apps

// `mesh_cpu`: the mesh's proxy costs, which keys an app's `proxyCpu` leaves out keep.
void read_app(const std::string& key, const Value& v, AppSpec& app, const proxy::CpuCosts& mesh_cpu) {
  app.location = v.location();
  if (!split_ref(key, app.namespace_, app.workload)) {
    v.reader().report(Severity::Error, v.node(), v.path(),
                      "apps are keyed by workload name or namespace/name (lower-case letters, digits, '-' and '.'), "
                      "got \"" + key + "\"");
  }
  MapReader m(v);
  if (!m.ok()) return;
  if (auto w = m.get("workers")) {
    if (auto n = detail::read_workers(*w)) app.workers = *n;
  }
  read_distribution_field(m, "serviceTime", app.service_time);
  if (auto cpu = m.get("proxyCpu")) {
    app.proxy_cpu = mesh_cpu;
    read_proxy_cpu(*cpu, *app.proxy_cpu, nullptr);
  }
  if (auto calls = m.get("calls")) read_calls(*calls, app.calls);
  if (auto failures = m.get("failures")) read_failures(*failures, app.failures);
  if (auto es = m.get("errorStatus")) {
    if (auto n = es->as_int(100, 599)) app.error_status = static_cast<int>(*n);
  }
  if (auto e = m.get("endpoints")) detail::read_endpoints(*e, app.endpoints);
  if (auto l = m.get("locality")) {
    // region[/zone[/subzone]], as the nodes' topology labels would place the pods.
    if (auto text = l->as_string()) {
      const auto parts = std::count(text->begin(), text->end(), '/');
      if (text->empty() || parts > 2 || text->front() == '/' || text->back() == '/')
        l->error("locality must be region, region/zone or region/zone/subzone, got \"" + *text + "\"");
      else
        app.locality = *text;
    }
  }
  m.finish();
}

// `ports:` of an external: per port the scheme it speaks and how it answers (§20.3).
void read_external_ports(const Value& v, std::vector<ExternalPortSpec>& out) {
  auto items = v.as_list();
  if (!items) return;
  std::set<std::uint32_t> seen;
  for (const Value& item : *items) {
    MapReader m(item);
    if (!m.ok()) continue;
    ExternalPortSpec p;
    p.location = item.location();
    if (auto port = m.require("port", "port is required: the port number this entry answers on")) {
      if (auto n = port->as_int(1, 65535)) {
        p.port = static_cast<std::uint32_t>(*n);
        if (!seen.insert(p.port).second) port->error("port " + std::to_string(p.port) + " is listed twice");
      }
    }
    if (auto proto = m.get("protocol")) {
      if (auto s = proto->as_string()) {
        if (*s == "HTTPS" || *s == "HTTP")
          p.tls = *s == "HTTPS";
        else
          proto->error("protocol must be HTTP or HTTPS (the scheme the host speaks on this port), got \"" + *s + "\"");
      }
    }
    if (auto st = m.get("status")) {
      if (auto n = st->as_int(100, 599)) p.status = static_cast<int>(*n);
    }
    if (auto r = m.get("redirectToHttps")) {
      if (auto b = r->as_bool()) {
        p.redirect_to_https = *b;
        if (*b && p.tls)
          r->error("redirectToHttps is for a plain HTTP port; this port speaks HTTPS already");
        if (*b && m.has("status"))
          r->error("redirectToHttps answers 301; leave out status on this port");
      }
    }
    engine::Distribution service_time;
    if (read_distribution_field(m, "serviceTime", service_time)) p.service_time = service_time;
    if (auto failures = m.get("failures")) read_failures(*failures, p.failures.emplace());
    m.finish();
    out.push_back(std::move(p));
  }
}

// Hosts outside the mesh answer like apps without calls; the leg to them may be slower.
void read_external(const std::string& key, const Value& v, ExternalSpec& ext) {
  ext.location = v.location();
  ext.host = detail::lower_case(key);
  const bool host_ok = !ext.host.empty() && ext.host.find('/') == std::string::npos &&
                       std::all_of(ext.host.begin(), ext.host.end(), [](unsigned char c) {
                         return std::isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_';
                       });
  if (!host_ok) {
    v.reader().report(Severity::Error, v.node(), v.path(),
                      "externals are keyed by the DNS name or IP the mesh connects to (e.g. httpbin.org), got \"" +
                          key + "\"");
  }
  MapReader m(v);
  if (!m.ok()) return;
  if (auto w = m.get("workers")) {
    if (auto n = detail::read_workers(*w)) ext.behaviour.workers = *n;
  }
  read_distribution_field(m, "serviceTime", ext.behaviour.service_time);
  if (auto failures = m.get("failures")) read_failures(*failures, ext.behaviour.failures);
  if (auto es = m.get("errorStatus")) {
    if (auto n = es->as_int(100, 599)) ext.behaviour.error_status = static_cast<int>(*n);
  }
  engine::Distribution latency;
  if (read_distribution_field(m, "latency", latency)) ext.latency = latency;
  if (auto ports = m.get("ports")) read_external_ports(*ports, ext.ports);
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

}  // namespace

namespace detail {

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
        for (auto& [k, val] : *map) {
          std::string name = detail::lower_case(k);
          // The authority is where a request is addressed, not a header the mix may vary:
          // clients write it as `authority:` (docs/semantics.md §1.5).
          if (name == "host" || name == ":authority") {
            h->error("the Host header is the client's `authority:` (beside `to:`), not a mix header");
            ok = false;
            continue;
          }
          mix.headers.emplace_back(std::move(name), val);
        }
      }
    }
    m.finish();
    total += mix.weight;
    out.push_back(std::move(mix));
  }
  if (ok && !out.empty() && total <= 0) v.error("mix weights sum to 0; give at least one entry a positive weight");
}

}  // namespace detail

namespace {

using detail::read_mix;

void read_client(const Value& v, ClientSpec& c, const std::string& base_dir) {
  c.location = v.location();
  MapReader m(v);
  if (!m.ok()) return;
  if (m.require("name", "name is required: it identifies the client in the results")) m.read("name", c.name);
  if (auto from = m.require("from", "from is required: {workload: sleep} or {gateway: istio-system/istio-ingressgateway}"))
    read_from(*from, c);
  if (auto to = m.require("to", "to is required: the URL to request, e.g. http://productpage:9080/productpage")) {
    if (auto url = read_url(*to)) c.to = *url;
  }
  if (auto a = m.get("authority")) {
    // The Host header, when it is not the URL's host: the virtual host is chosen by it, the
    // listener by where the request is sent (docs/semantics.md §1.5).
    if (auto s = a->as_string()) {
      if (s->empty() || s->find_first_of(" /\t") != std::string::npos)
        a->error("authority must be a host or host:port (the Host header), got " + a->describe());
      else if (c.to.scheme != "http")
        a->error("authority is the Host header of an http:// request; a " + c.to.scheme +
                 ":// connection has none (its SNI is the URL's host)");
      else
        c.authority = detail::lower_case(*s);
    }
  }
  read_method(m, c.method);
  // Without a rate the client waits for a timeline step to give it one (checked after the
  // timeline is read).
  if (auto rate = m.get("rate")) {
    if (auto r = detail::read_rate(*rate, base_dir)) c.rate = *r;
  } else {
    c.has_rate = false;
  }
  m.read_duration("start", c.start);
  if (auto n = m.get("requests")) {
    if (auto x = n->as_int(1, std::numeric_limits<std::int64_t>::max())) c.max_requests = static_cast<std::uint64_t>(*x);
  }
  m.read_duration("timeout", c.timeout, engine::kNanosecond);
  if (auto mix = m.get("mix")) read_mix(*mix, c.mix);
  if (auto f = m.get("followRedirects")) {
    // true | false | a number of redirects, as curl's -L with --max-redirs.
    const std::string text = f->is_scalar() ? f->node().Scalar() : "";
    const bool number = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char ch) { return std::isdigit(ch); });
    if (text == "true" || text == "false") {
      c.follow_redirects = text == "true" ? kCurlMaxRedirs : 0;
    } else if (!number) {
      f->error("followRedirects must be true, false or how many redirects to follow (0 to 1000), got " + f->describe());
    } else if (auto n = f->as_int(0, 1000)) {
      c.follow_redirects = static_cast<int>(*n);
    }
    if (c.follow_redirects > 0 && c.to.scheme == "tcp")
      f->error("followRedirects is for http:// and https:// requests; a tcp:// connection gets no redirect");
  }
  m.finish();
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
  if (auto cpu = m.get("proxyCpu")) read_proxy_cpu(*cpu, mesh.proxy_cpu, &mesh.client_loop);
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
  std::string headers;
  if (m.read_enum("headers", headers, {"mentioned", "all", "none"}))
    r.headers = headers == "all"    ? RecordSpec::Headers::All
                : headers == "none" ? RecordSpec::Headers::None
                                    : RecordSpec::Headers::Mentioned;
  m.finish();
}

void read_spec(const Value& v, ScenarioSpec& spec) {
  MapReader m(v);
  if (!m.ok()) return;
  if (auto seed = m.get("seed")) {
    if (auto n = seed->as_uint64()) spec.seed = *n;
  }
  m.read_duration("duration", spec.duration, engine::kNanosecond);
  m.read_duration("drain", spec.drain);
  if (auto w = m.get("warmup")) {
    m.read_duration("warmup", spec.warmup);
    // Summaries over what is left after the warm-up: none at all is a mistake, not a result.
    if (spec.warmup >= spec.duration)
      w->error("warmup must be shorter than duration (" + engine::human_duration(spec.duration) +
               "); it is the part of the run left out of summaries");
  }
  if (auto d = m.get("maxCallDepth")) {
    if (auto n = d->as_int(1, 1000)) spec.max_call_depth = static_cast<int>(*n);
  }
  if (auto manifests = m.require("manifests", "manifests is required: the Kubernetes and Istio YAML files that make up the mesh")) {
    if (manifests->is_seq() && manifests->node().size() == 0)
      manifests->error("manifests must list at least one file or folder");
    else
      detail::read_paths(*manifests, spec.base_dir, spec.manifests);
  }
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
        read_app(key, app_v, app, spec.mesh.proxy_cpu);
        spec.apps.push_back(std::move(app));
      }
    }
  }
  if (auto externals = m.get("externals")) {
    MapReader em(*externals);
    if (em.ok()) {
      for (auto& [key, ext_v] : em.entries()) {
        ExternalSpec ext;
        read_external(key, ext_v, ext);
        spec.externals.push_back(std::move(ext));
      }
    }
  }
  std::vector<Value> client_items;
  if (auto clients = m.get("clients")) {
    if (auto items = clients->as_list()) {
      client_items = *items;
      std::set<std::string> names;
      for (std::size_t i = 0; i < items->size(); ++i) {
        ClientSpec c;
        read_client((*items)[i], c, spec.base_dir);
        if (!c.name.empty() && !names.insert(c.name).second)
          error_at((*items)[i], "name", "duplicate client name \"" + c.name + "\"; client names must be unique");
        spec.clients.push_back(std::move(c));
      }
    }
  }
  if (auto record = m.get("record")) read_record(*record, spec.record);
  // Assertions before rollouts (analyses name assertions), clients before the timeline.
  if (auto assertions = m.get("assertions")) detail::read_assertions(*assertions, spec);
  if (auto timeline = m.get("timeline")) detail::read_timeline(*timeline, spec);
  for (std::size_t i = 0; i < spec.clients.size(); ++i) {
    const ClientSpec& c = spec.clients[i];
    if (c.has_rate || c.name.empty()) continue;
    const bool given = std::any_of(spec.timeline.begin(), spec.timeline.end(), [&](const TimelineEntry& e) {
      return std::any_of(e.client.begin(), e.client.end(),
                         [&](const auto& change) { return change.client == c.name && change.rate; });
    });
    if (!given && i < client_items.size())
      error_at(client_items[i], "rate", "rate is required, e.g. {poisson: 200} or {closed: {connections: 2}}, unless a "
                        "timeline step gives the client its rate ({at: 10s, client: {" + c.name +
                            ": {rate: ...}}})");
  }
  if (auto rollout = m.get("rollout")) detail::read_rollouts(*rollout, spec);
  m.finish();
}

}  // namespace

std::optional<ScenarioSpec> load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                                          config::Diagnostics& diags) {
  return load_scenario(path, overrides, diags, LoadScenarioOptions{});
}

std::optional<ScenarioSpec> load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                                          config::Diagnostics& diags, const LoadScenarioOptions& options) {
  const std::size_t errors_before = diags.error_count();
  ScenarioSpec spec;
  spec.path = path;
  spec.allow_unknown_fields = options.allow_unknown_fields;
  spec.overrides = overrides;
  {
    std::string error;
    auto text = config::read_input_file(path, error);
    if (!text) {
      diags.error(config::SourceLocation{path, 0, 0}, "", config::read_error_message("the scenario file", error));
      return std::nullopt;
    }
    spec.text = std::move(*text);
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
    reader.allow_unknown_fields = options.allow_unknown_fields;
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
