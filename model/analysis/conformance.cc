// Replays istiod's routing simulation tests (tests/data/conformance/cases.yaml) against meshtwin's
// compile half: the harness defaults of tests/data/conformance/README.md ("Harness environment"),
// one proxy config per case, trace_call for calls and the route-table assertions for
// TestSidecarRoutes.
#include "model/analysis/conformance.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "model/config/loader.h"
#include "model/registry/registry.h"
#include "model/xds/proxy_config.h"
#include "model/xds/trace.h"

namespace meshtwin::analysis {

namespace {

// The harness gives every resource without a creationTimestamp the same time, so such objects
// order by name then namespace (README "Harness environment"); any time after the corpus's
// explicit timestamps does.
constexpr const char* kHarnessTime = "2026-08-22T19:00:53Z";

std::string scalar(const YAML::Node& n, const char* key, std::string fallback = "") {
  if (!n || !n.IsMap() || !n[key] || !n[key].IsScalar()) return fallback;
  return n[key].Scalar();
}

template <class T>
void restamp(const std::vector<T>& items, config::ConfigStore& out) {
  for (T r : items) {
    if (r.meta.creation_timestamp.empty()) r.meta.creation_timestamp = kHarnessTime;
    out.apply(std::move(r));
  }
}

config::ConfigStore stamped(const config::ConfigStore& in) {
  config::ConfigStore out;
  restamp(in.namespaces(), out);
  restamp(in.services(), out);
  restamp(in.workloads(), out);
  restamp(in.virtual_services(), out);
  restamp(in.destination_rules(), out);
  restamp(in.gateways(), out);
  restamp(in.service_entries(), out);
  restamp(in.sidecars(), out);
  restamp(in.unmodelled(), out);
  restamp(in.endpoint_slices(), out);
  restamp(in.ingresses(), out);
  restamp(in.gateway_api_gateways(), out);
  restamp(in.http_routes(), out);
  restamp(in.l4_routes(), out);
  restamp(in.peer_authentications(), out);
  return out;
}

std::string fields(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out;
  for (const auto& [k, v] : kv) out += (out.empty() ? "" : " ") + k + "=" + (v.empty() ? "\"\"" : v);
  return out;
}

// The compiled config of the case's proxy, with load errors noted in `r.detail`.
std::shared_ptr<const xds::ProxyConfig> compile_case(const YAML::Node& c, CaseResult& r) {
  // The configs go to istiod's config store (no DNS suffix: `a` in default is `a.default`), the
  // Kubernetes objects to its fake API server (`<name>.<ns>.svc.cluster.local`).
  config::ConfigStore raw;
  config::Diagnostics load_diags;
  config::LoadOptions lenient;
  lenient.lenient_api_checks = true;  // istiod's fake API server validates less than a real one
  if (c["configs"] && c["configs"].IsScalar())
    config::load_yaml_text(c["configs"].Scalar(), r.name + "/configs", raw, load_diags, lenient);
  if (c["kube_objects"] && c["kube_objects"].IsScalar())
    config::load_yaml_text(c["kube_objects"].Scalar(), r.name + "/kube_objects", raw, load_diags, lenient);
  for (const auto& d : load_diags.items())
    if (d.severity == config::Severity::Error) r.detail += (r.detail.empty() ? "" : "; ") + d.format();
  const config::ConfigStore store = stamped(raw);

  xds::MeshOptions mesh;
  mesh.config_domain = std::string();
  if (c["mesh"] && c["mesh"]["outbound_traffic_policy"])
    mesh.outbound_traffic_policy = c["mesh"]["outbound_traffic_policy"].Scalar();
  const YAML::Node proxy = c["proxy"];
  mesh.istio_version = scalar(proxy, "istio_version", mesh.istio_version);

  config::Diagnostics diags;
  registry::RegistryOptions ropts;
  ropts.default_gateways = false;  // istiod's fake cluster has none
  // Without the IP allocation controller (which the fake server does not run), istiod falls back
  // to its legacy in-push allocator only when the feature is switched off.
  if (c["features"] && c["features"]["PILOT_ENABLE_IP_AUTOALLOCATE"])
    ropts.legacy_ip_autoallocate = c["features"]["PILOT_ENABLE_IP_AUTOALLOCATE"].Scalar() == "false";
  const registry::Registry reg = registry::Registry::build(store, diags, ropts);

  xds::ProxyIdentity id;
  id.namespace_ = scalar(proxy, "config_namespace", "default");
  if (proxy["labels"] && proxy["labels"].IsMap())
    for (const auto& kv : proxy["labels"]) id.labels[kv.first.Scalar()] = kv.second.Scalar();
  if (proxy["ip_addresses"] && proxy["ip_addresses"].IsSequence())
    for (const auto& ip : proxy["ip_addresses"]) id.ip_addresses.push_back(ip.Scalar());
  id.dns_auto_allocate = scalar(proxy, "dns_capture", "false") == "true" && scalar(proxy, "dns_auto_allocate", "false") == "true";
  id.workload = "app.test";
  const bool router = scalar(proxy, "type", "sidecar") == "router";
  return router ? xds::compile_gateway(store, reg, id, mesh) : xds::compile_sidecar(store, reg, id, mesh);
}

// TestSidecarRoutes: the named route configuration must exist; every listed domain maps to
// the sorted clusters its virtual host forwards to (null: no such virtual host, or none).
void check_route_table(const xds::ProxyConfig& cfg, const YAML::Node& expect, CaseResult& r) {
  const std::string rc_name = scalar(expect, "route_config");
  const xds::RouteConfiguration* rc = cfg.find_route_config(rc_name);
  std::vector<std::pair<std::string, std::string>> want, got;
  bool ok = rc != nullptr;
  want.emplace_back("route_config", rc_name);
  got.emplace_back("route_config", rc ? rc_name : "(missing)");
  for (const auto& kv : expect["virtual_host_domains"]) {
    const std::string domain = kv.first.Scalar();
    std::string expected_clusters = "null";
    if (kv.second && kv.second.IsSequence()) {
      expected_clusters.clear();
      for (const auto& x : kv.second) expected_clusters += (expected_clusters.empty() ? "" : ",") + x.Scalar();
    }
    std::set<std::string> clusters;
    bool found = false;
    if (rc) {
      for (const auto& vh : rc->virtual_hosts) {
        if (std::find(vh.domains.begin(), vh.domains.end(), domain) == vh.domains.end()) continue;
        found = true;
        for (const auto& route : vh.routes)
          if (route.action == xds::Route::Action::Forward)
            for (const auto& wc : route.clusters) clusters.insert(wc.name);
        break;
      }
    }
    std::string got_clusters = "null";
    if (found && !clusters.empty()) {
      got_clusters.clear();
      for (const auto& x : clusters) got_clusters += (got_clusters.empty() ? "" : ",") + x;
    }
    want.emplace_back(domain, expected_clusters);
    got.emplace_back(domain, got_clusters);
    if (expected_clusters != got_clusters) ok = false;
  }
  r.expected = fields(want);
  r.got = fields(got);
  r.status = ok ? CaseResult::Status::Pass : CaseResult::Status::Fail;
}

// A call: replay it and compare like istiod's Result.Matches (the error always; other fields
// when the case gives them, or all of them when strict).
void check_call(const xds::ProxyConfig& cfg, const YAML::Node& call, const YAML::Node& expect, CaseResult& r) {
  xds::Call x;
  x.address = scalar(call, "address");
  x.port = static_cast<std::uint32_t>(std::stoul(scalar(call, "port", "0")));
  const std::string proto = scalar(call, "protocol");
  x.protocol = proto == "http"    ? xds::Call::Protocol::Http
               : proto == "http2" ? xds::Call::Protocol::Http2
               : proto == "tcp"   ? xds::Call::Protocol::Tcp
                                  : xds::Call::Protocol::Unset;
  const std::string tls = scalar(call, "tls", "plaintext");
  x.tls = tls == "tls" ? xds::Call::Tls::Tls : tls == "mtls" ? xds::Call::Tls::Mtls : xds::Call::Tls::Plaintext;
  x.alpn = scalar(call, "alpn");
  x.sni = scalar(call, "sni");
  x.host = scalar(call, "host");
  x.path = scalar(call, "path");
  x.inbound = scalar(call, "mode") == "inbound";
  x.path_only = true;
  const xds::CallTrace t = xds::trace_call(cfg, x);

  const bool strict = scalar(expect, "strict") == "true";
  const std::pair<const char*, std::string> got_fields[] = {
      {"listener", t.listener},         {"filter_chain", t.filter_chain}, {"route_config", t.route_config},
      {"virtual_host", t.virtual_host}, {"route_name", t.route_name},     {"cluster", t.cluster}};
  std::vector<std::pair<std::string, std::string>> want{{"error", scalar(expect, "error", "none")}};
  std::vector<std::pair<std::string, std::string>> got{{"error", std::string(xds::to_string(t.error))}};
  bool ok = want[0].second == got[0].second;
  for (const auto& [key, value] : got_fields) {
    const bool given = expect[key] && expect[key].IsScalar();
    const std::string expected = given ? expect[key].Scalar() : "";
    if (!strict && expected.empty()) continue;
    want.emplace_back(key, expected);
    got.emplace_back(key, value);
    if (expected != value) ok = false;
  }
  r.expected = fields(want);
  r.got = fields(got);
  r.status = ok ? CaseResult::Status::Pass : CaseResult::Status::Fail;
}

CaseResult replay(const YAML::Node& c) {
  CaseResult r;
  r.name = scalar(c, "name");
  r.category = scalar(c, "category");
  const std::string kind = scalar(c, "kind", "call");
  const auto cfg = compile_case(c, r);
  if (kind == "route_table") check_route_table(*cfg, c["expect"], r);
  else check_call(*cfg, c["call"], c["expect"], r);
  return r;
}

}  // namespace

std::optional<ConformanceReport> run_conformance(const std::string& path, config::Diagnostics& diags,
                                                 const std::string& only) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    diags.error({path, 0, 0}, "", "cannot read file");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    diags.error({path, e.mark.line + 1, e.mark.column + 1}, "", e.msg);
    return std::nullopt;
  }
  if (!root.IsMap() || !root["cases"] || !root["cases"].IsSequence()) {
    diags.error({path, 1, 1}, "cases", "not a conformance corpus: a top-level `cases` list is required");
    return std::nullopt;
  }
  ConformanceReport report;
  for (const auto& c : root["cases"]) {
    if (!only.empty() && scalar(c, "name") != only) continue;
    CaseResult r;
    try {
      r = replay(c);
    } catch (const std::exception& e) {
      r.name = scalar(c, "name");
      r.category = scalar(c, "category");
      r.status = CaseResult::Status::Fail;
      r.got = std::string("internal error: ") + e.what();
    }
    switch (r.status) {
      case CaseResult::Status::Pass: ++report.passed; break;
      case CaseResult::Status::Fail: ++report.failed; break;
      case CaseResult::Status::Skip: ++report.skipped; break;
    }
    report.results.push_back(std::move(r));
  }
  return report;
}

std::optional<std::vector<ExpectedFailure>> load_expected_failures(const std::string& path,
                                                                   config::Diagnostics& diags) {
  std::ifstream in(path);
  if (!in) {
    diags.error({path, 0, 0}, "", "cannot read file");
    return std::nullopt;
  }
  std::vector<ExpectedFailure> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    const auto end = line.find_first_of(" \t", start);
    ExpectedFailure f;
    f.name = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (end != std::string::npos) {
      const auto rs = line.find_first_not_of(" \t", end);
      if (rs != std::string::npos) f.reason = line.substr(rs);
    }
    f.line = n;
    if (f.reason.empty()) {
      diags.error({path, n, static_cast<int>(start) + 1}, "",
                  "expected failure " + f.name + " has no reason; write `name  reason` on one line");
      return std::nullopt;
    }
    out.push_back(std::move(f));
  }
  return out;
}

ExpectedComparison compare_with_expected(const ConformanceReport& report, const std::vector<ExpectedFailure>& expected,
                                         bool have_list, bool only) {
  ExpectedComparison c;
  c.have_list = have_list;
  std::map<std::string, const ExpectedFailure*> listed;
  for (const auto& f : expected) listed.emplace(f.name, &f);
  std::set<std::string> seen;
  for (const auto& r : report.results) {
    seen.insert(r.name);
    const bool is_listed = listed.count(r.name) > 0;
    if (r.status == CaseResult::Status::Pass && is_listed) c.unexpected_passes.push_back(r.name);
    if (r.status == CaseResult::Status::Fail)
      (is_listed ? c.expected_failures : c.unexpected_failures).push_back(r.name);
  }
  if (!only)
    for (const auto& f : expected)
      if (!seen.count(f.name)) c.unknown.push_back(&f);
  return c;
}

namespace {

// "A, B, C and 5 more": a summary line stays one readable line.
std::string some_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 3;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out;
}

std::string counted(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string summary_line(const ConformanceReport& report, const ExpectedComparison& c) {
  std::string out = std::to_string(report.passed) + " passed, " + std::to_string(report.failed) + " failed, " +
                    std::to_string(report.skipped) + " skipped";
  if (!c.have_list) {
    if (report.failed > 0) out += " (no --expected-failures list)";
  } else if (report.failed > 0) {
    if (c.expected_failures.size() == report.failed)
      out += " (all " + std::to_string(report.failed) + " expected)";
    else
      out += " (" + std::to_string(c.expected_failures.size()) + " expected)";
  }
  if (!c.unexpected_failures.empty())
    out += "; " + counted(c.unexpected_failures.size(), "unexpected failure", "unexpected failures") + ": " +
           some_names(c.unexpected_failures);
  if (!c.unexpected_passes.empty())
    out += "; " + counted(c.unexpected_passes.size(), "expected failure now passes", "expected failures now pass") +
           ": " + some_names(c.unexpected_passes);
  if (!c.unknown.empty()) {
    std::vector<std::string> names;
    for (const auto* f : c.unknown) names.push_back(f->name);
    out += "; " + counted(names.size(), "listed case is not in the corpus", "listed cases are not in the corpus") +
           ": " + some_names(names);
  }
  return out;
}

}  // namespace meshtwin::analysis
