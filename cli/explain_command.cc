// `meshtwin explain -f PATH... (--from [NS/]WORKLOAD | --gateway [NS/]WORKLOAD) URL [-H 'k: v']...`:
// one request narrated the way `istioctl proxy-config` shows config, with the reasons
// (model/xds/explain.h). Exit 0 whatever the request's outcome; 2 on bad input.

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/i18n.h"
#include "model/analysis/lint.h"
#include "model/config/loader.h"
#include "model/registry/registry.h"
#include "model/xds/explain.h"

namespace meshtwin::cli {
namespace {

struct ExplainArgs {
  std::vector<std::string> files;
  std::string from;
  std::string gateway;
  std::string url;
  std::vector<std::string> headers;
  std::string method;  // empty: GET, POST for grpc://
  std::string outbound_policy = "ALLOW_ANY";
  std::string format;
  std::string lang;  // --lang: the narration's language (cli/i18n.h)
  bool verbose = false;
  bool allow_unknown_fields = false;
};

// `explain --format json`, schemaVersion 1 (docs/schemas/explain.v1.schema.json): the
// narrated lines plus the names istioctl proxy-config and istiod's simulator report.
std::string to_json(const ExplainArgs& args, const std::vector<std::pair<std::string, std::string>>& request_headers,
                    const xds::ExplainTarget& target, const xds::Explanation& e) {
  nlohmann::ordered_json j;
  j["schemaVersion"] = 1;
  j["kind"] = "explain";
  j["proxy"] = {{"namespace", target.namespace_}, {"workload", target.workload}, {"gateway", target.gateway}};
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const auto& [name, value] : request_headers) headers[name] = value;
  j["request"] = {{"url", args.url}, {"method", args.method}, {"headers", std::move(headers)}};
  j["outcome"] = e.outcome;
  const xds::CallTrace& t = e.trace;
  nlohmann::ordered_json tried = nlohmann::ordered_json::array();
  for (const auto& r : t.routes_tried)
    tried.push_back({{"name", r.route ? r.route->name : std::string()}, {"matched", r.matched}, {"why", r.why}});
  j["trace"] = {{"error", std::string(xds::to_string(t.error))},
                {"listener", t.listener},
                {"filterChain", t.filter_chain},
                {"routeConfig", t.route_config},
                {"virtualHost", t.virtual_host},
                {"route", t.route_name},
                {"cluster", t.cluster},
                {"routesTried", std::move(tried)}};
  j["lines"] = e.lines;
  return j.dump(2) + "\n";
}

xds::ExplainTarget target_of(const std::string& s, bool gateway) {
  xds::ExplainTarget t;
  t.gateway = gateway;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    t.namespace_ = s.substr(0, slash);
    t.workload = s.substr(slash + 1);
  } else {
    // A bare gateway name means Istio's, in istio-system; a bare workload lives in default.
    t.namespace_ = gateway ? "istio-system" : "default";
    t.workload = s;
  }
  return t;
}

// The host of an explain URL (scheme and port removed); xds::explain has already validated it.
std::string url_host(const std::string& url) {
  std::string rest = url;
  if (auto p = rest.find("://"); p != std::string::npos) rest = rest.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  if (rest.find(']') == std::string::npos) rest = rest.substr(0, rest.rfind(':'));
  return rest;
}

int cmd_explain(const ExplainArgs& args) {
  if (args.from.empty() == args.gateway.empty()) {
    std::cerr << "meshtwin explain: give exactly one of --from WORKLOAD or --gateway GATEWAY\n";
    return kExitBadInput;
  }
  if (std::string error; !use_language(args.lang, &error)) {
    std::cerr << "meshtwin explain: " << error << '\n';
    return kExitBadInput;
  }
  config::ConfigStore store;
  config::Diagnostics diags;
  config::LoadOptions load_options;
  load_options.allow_unknown_fields = args.allow_unknown_fields;
  load_options.parse_threads = 0;  // large files parse on every core; nothing runs after the load
  config::load_paths(args.files, store, diags, load_options);
  if (diags.has_errors()) {
    print_diagnostics(diags, args.verbose);
    return kExitBadInput;
  }
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& h : args.headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "meshtwin explain: -H " << h << ": write a header as 'name: value'\n";
      return kExitBadInput;
    }
    std::string name = h.substr(0, colon), value = h.substr(colon + 1);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    headers.emplace_back(name, value);
  }
  const registry::Registry reg = registry::Registry::build(store, diags);
  analysis::warn_unsimulated(store, diags);
  const auto target = target_of(args.gateway.empty() ? args.from : args.gateway, !args.gateway.empty());
  std::string error;
  auto id = xds::proxy_identity(reg, target, &error);
  if (!id) {
    print_diagnostics(diags, args.verbose);
    std::cerr << "meshtwin explain: " << error << '\n';
    return kExitBadInput;
  }
  xds::MeshOptions mesh;
  mesh.outbound_traffic_policy = args.outbound_policy;
  mesh.domain = std::string(reg.domain());
  auto cfg = target.gateway ? xds::compile_gateway(store, reg, *id, mesh, &diags)
                            : xds::compile_sidecar(store, reg, *id, mesh, &diags);
  print_diagnostics(diags, args.verbose);
  xds::ExplainRequest request;
  request.url = args.url;
  request.headers = headers;
  request.method = args.method;
  auto e = xds::explain(*cfg, reg, *id, request, &error);
  if (!e) {
    std::cerr << "meshtwin explain: " << error << '\n';
    return kExitBadInput;
  }
  if (args.format == "json") {
    std::cout << to_json(args, headers, target, *e);
    return kExitOk;
  }
  for (const auto& line : e->lines) std::cout << line << '\n';
  // A host no Service or ServiceEntry answers for is legal (it leaves the mesh, or is blocked), but
  // most often a slip: name the nearest known host.
  const std::string host = url_host(args.url);
  if (!host.empty() && reg.resolve_dns(host, id->namespace_) == nullptr) {
    const std::string near = reg.nearest_host(host, id->namespace_);
    if (!near.empty())
      std::cerr << "meshtwin explain: note: host \"" << host << "\" is no Service or ServiceEntry known from namespace "
                << id->namespace_ << "; did you mean \"" << near << "\"?\n";
  }
  return kExitOk;
}

}  // namespace

void register_explain(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<ExplainArgs>();
  auto* cmd = app.add_subcommand("explain",
                                 "Narrate how one request is routed: listener, filter chain, route configuration, "
                                 "virtual host, every route tried, cluster, endpoints and policies");
  cmd->add_option("-f,--filename", args->files, "Manifest files or folders (like kubectl apply -f)")->required();
  cmd->add_option("--from", args->from, "The calling workload, [NAMESPACE/]NAME (its sidecar routes the request)");
  cmd->add_option("--gateway", args->gateway,
                  "A gateway workload, [NAMESPACE/]NAME (istio-ingressgateway, or <gateway>-istio for a Gateway API "
                  "Gateway); a bare name means istio-system");
  cmd->add_option("URL", args->url,
                  "http://host[:port]/path, https://..., grpc://host[:port]/package.Service/Method (an HTTP/2 POST "
                  "with content-type application/grpc), tcp://host:port")
      ->required();
  cmd->add_option("-H,--header", args->headers, "A request header, 'name: value' (repeatable); 'Host: h' is the authority, which picks the virtual host on the URL's port");
  cmd->add_option("-X,--method", args->method, "The HTTP method (default GET; POST for a grpc:// URL)");
  cmd->add_option("--outbound-traffic-policy", args->outbound_policy,
                  "meshConfig.outboundTrafficPolicy.mode: ALLOW_ANY, REGISTRY_ONLY or ALLOW_ANY_DYNAMIC_DNS")
      ->check(CLI::IsMember({"ALLOW_ANY", "REGISTRY_ONLY", "ALLOW_ANY_DYNAMIC_DNS"}))
      ->capture_default_str();
  add_format_option(*cmd, args->format, {"text", "json"});
  add_lang_option(*cmd, args->lang);
  cmd->add_flag("-v,--verbose", args->verbose, "Also print notes (skipped documents, ...)");
  cmd->add_flag("--allow-unknown-fields", args->allow_unknown_fields, kAllowUnknownFieldsHelp);
  commands.push_back({cmd, [args] { return cmd_explain(*args); }});
}

}  // namespace meshtwin::cli
