// Building the simulate half from a scenario (docs/design.md §1 step 2): manifests → registry,
// pods and outside hosts, apps and where their calls go, proxies with their compiled configs,
// clients. Problems go to the diagnostics; nothing here runs the simulation.

#include <algorithm>
#include <cstdio>
#include <functional>
#include <set>

#include "model/config/loader.h"
#include "model/scenario/mesh_impl.h"

namespace meshtwin::scenario {

// ====================================================================== build

MeshImpl::MeshImpl()
    : overhead_rng_(0, "unused"),
      streams_([this](engine::StableVector<Stream>& d) {
        d.emplace_back(sim_, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_route_timeout>,
                       &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_per_try_timeout>,
                       &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_backoff_done>, this);
      }),
      server_reqs_([](engine::StableVector<ServerReq>& d) { d.emplace_back(); }),
      app_calls_([this](engine::StableVector<AppCall>& d) {
        d.emplace_back(sim_, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_app_call_timeout>,
                       this);
      }),
      client_reqs_([this](engine::StableVector<ClientReq>& d) {
        d.emplace_back(sim_, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_client_timeout>,
                       this);
      }),
      connect_ops_([](engine::StableVector<ConnectOp>& d) { d.emplace_back(); }) {
  unknown_ = strings_.intern("unknown");
  dash_ = strings_.intern("-");
  http_ = strings_.intern("http");
  grpc_ = strings_.intern("grpc");
  tcp_ = strings_.intern("tcp");
}

bool MeshImpl::build(const ScenarioSpec& spec, config::Diagnostics& diags) {
  spec_ = spec;
  seed_ = spec.seed;
  recorded_headers_ = mentioned_headers(spec_);
  config::load_paths(spec_.manifests, store_, diags, manifest_options());
  if (diags.has_errors()) return false;
  // An app's `locality` places its pods as the topology labels of their nodes would (§7.5).
  std::vector<config::Workload> placed;
  for (const AppSpec& app : spec_.apps) {
    if (app.locality.empty()) continue;
    for (config::Workload w : store_.workloads()) {
      if (w.meta.name != app.workload || (!app.namespace_.empty() && w.meta.namespace_ != app.namespace_))
        continue;
      const std::string& l = app.locality;
      const auto first = l.find('/');
      const auto second = first == std::string::npos ? std::string::npos : l.find('/', first + 1);
      w.pod_labels["topology.kubernetes.io/region"] = l.substr(0, first);
      if (first != std::string::npos)
        w.pod_labels["topology.kubernetes.io/zone"] = l.substr(first + 1, second - first - 1);
      if (second != std::string::npos) w.pod_labels["topology.istio.io/subzone"] = l.substr(second + 1);
      placed.push_back(std::move(w));
    }
  }
  for (config::Workload& w : placed) store_.apply(std::move(w));
  registry_ = registry::Registry::build(store_, diags);
  if (diags.has_errors()) return false;

  latency_ = spec_.network.latency;
  inbound_retries_ = !istio_version_before(spec_.mesh.istio_version, 1, 24);
  sends_unhealthy_endpoints_ = !istio_version_before(spec_.mesh.istio_version, 1, 31);
  proxy_overhead_ = spec_.mesh.proxy_overhead;
  overhead_is_zero_ = proxy_overhead_.is_constant() && proxy_overhead_.mean() == 0;

  if (static_cast<std::int64_t>(registry_.pods().size()) > kMaxPodsPerRun) {
    diags.error(config::SourceLocation{spec_.path, 0, 0}, "spec.manifests",
                "the manifests ask for " + std::to_string(registry_.pods().size()) + " pods; meshtwin simulates at most " +
                    std::to_string(kMaxPodsPerRun) + " pods in one run");
    return false;
  }
  pod_maps_.emplace_back();
  for (std::uint32_t i = 0; i < registry_.pods().size(); ++i) {
    pod_maps_.back().push_back(make_pod(i, registry_));
    const auto& pod = registry_.pods()[i];
    plan_.by_workload[pod.namespace_ + "/" + pod.workload].push_back({pod.ordinal, pod.ready, nullptr});
    auto& next = next_ordinal_[pod.namespace_ + "/" + pod.workload];
    next = std::max(next, pod.ordinal + 1);
  }
  build_externals();
  // Apps and clients are both checked before giving up, so every mistake in them is reported
  // at once (not one per attempt); the timeline needs both.
  const bool apps_ok = build_apps(diags);
  if (apps_ok) {
    warn_call_cycles(diags);
    build_proxies();
  }
  const bool clients_ok = build_clients(diags);
  if (!apps_ok || !clients_ok) return false;
  if (!build_timeline(diags)) return false;
  return !diags.has_errors();
}

bool MeshImpl::resolve_call(const CallSpec& call, std::string_view from_namespace, CallRt& out,
                            config::Diagnostics& diags, const char* what) {
  out.spec = &call;
  out.timeout = call.timeout;
  out.attempts = call.attempts;
  out.continue_on_failure = call.on_failure == CallSpec::OnFailure::Continue;
  if (!resolve_target(call.to, call.method, from_namespace, out.target, diags, call.location, what))
    return false;
  for (const auto& h : call.forward_headers) out.forward_headers.push_back(strings_.intern(h));
  return true;
}

// What a request to `url` carries: transport, method, authority, path, port and SNI (a TCP
// connection: method "TCP", path "-").
void MeshImpl::request_parts(const Url& url, const std::string& method, Target& out) {
  out.transport = url.scheme == "tcp"     ? Target::Transport::Tcp
                  : url.scheme == "https" ? Target::Transport::Tls
                                          : Target::Transport::Http;
  out.method = strings_.intern(out.transport == Target::Transport::Tcp ? "TCP" : method);
  out.authority = strings_.intern(url.authority());
  out.path = strings_.intern(out.transport == Target::Transport::Tcp ? "-" : url.path);
  out.port = url.port;
  if (out.transport == Target::Transport::Tls) out.sni = strings_.intern(url.host);
}

// What the app's connection dials (DNS as its pod resolves names) and, for a host the registry
// does not know, the outside host that answers there.
bool MeshImpl::resolve_target(const Url& url, const std::string& method,
                              std::string_view from_namespace, Target& out,
                              config::Diagnostics& diags, const config::SourceLocation& location,
                              const std::string& where) {
  request_parts(url, method, out);
  const registry::Registry::Dial dial = registry_.dial(url.host, from_namespace);
  out.address = strings_.intern(dial.address);
  out.service = dial.service;
  if (!out.service) {
    // No Service or ServiceEntry has the name. A cluster-local name then fails DNS in the pod;
    // any other name is what the Internet's DNS answers: a host outside the mesh, reached by
    // passthrough or blocked by REGISTRY_ONLY (§12.2).
    const std::string domain(registry_.domain());
    const bool cluster_local = !registry::is_ip_address(url.host) &&
                               (url.host.find('.') == std::string::npos ||
                                url.host.ends_with(".svc") || url.host.find(".svc.") != std::string::npos ||
                                url.host.ends_with("." + domain));
    if (cluster_local) {
      const std::string near = registry_.nearest_host(url.host, from_namespace);
      diags.error(location, where,
                  "host \"" + url.host + "\" resolves to no Service or ServiceEntry from namespace " +
                      std::string(from_namespace) + (near.empty() ? "" : "; did you mean \"" + near + "\"?"));
      return false;
    }
    out.outside = outside_pod(registry::is_ip_address(url.host) ? dial.address : url.host, url.host);
    return true;
  }
  if (out.service->origin != registry::Service::Origin::ServiceEntry && !out.service->find_port(out.port)) {
    diags.error(location, where,
                "Service " + out.service->hostname + " has no port " + std::to_string(out.port));
    return false;
  }
  if (out.service->pods.empty()) {
    // A ServiceEntry (or selector-less Service) whose endpoints are outside: without a sidecar,
    // or through passthrough, the app reaches what DNS gave it.
    const auto& externals = out.service->external_endpoints;
    const std::string address = registry::is_ip_address(dial.address) && dial.address != registry::kOutsideAddress
                                    ? dial.address
                                : !externals.empty() ? registry_.external_endpoints()[externals.front()].address
                                                     : url.host;
    out.outside = outside_pod(address, out.service->hostname);
  }
  return true;
}

PodId MeshImpl::outside_pod(std::string_view address, std::string_view service_host) {
  const std::string key(address);
  if (auto it = outside_by_address_.find(key); it != outside_by_address_.end()) return it->second;
  const PodId id = pods_.next_id();
  PodRt& pod = pods_.emplace_back(seed_, "outside/" + key);
  pod.outside = true;
  pod.name = strings_.intern(key);
  pod.workload = pod.version = unknown_;
  pod.namespace_ = pod.app_label = pod.principal = unknown_;
  pod.key = "outside/" + key;
  pod.ip = pod.name;
  pod.service = strings_.intern(service_host.empty() ? key : std::string(service_host));
  // Its own address's entry first, else its ServiceEntry host's.
  for (std::string_view candidate : {address, service_host}) {
    if (candidate.empty() || !outside_app_.count(std::string(candidate))) continue;
    pod.behaviour_key = strings_.intern(candidate);
    pod.app = outside_app_.at(std::string(candidate));
    if (const ExternalSpec* ext = spec_.find_external(candidate); ext && ext->latency)
      pod.latency = &*ext->latency;
    break;
  }
  outside_by_address_.emplace(key, id);
  return id;
}

// The behaviour of every `spec.externals` host, before any pod stands for one.
void MeshImpl::build_externals() {
  for (const ExternalSpec& ext : spec_.externals) {
    AppRt& app = outside_apps_.emplace_back();
    app.workers = static_cast<std::uint32_t>(std::max(ext.behaviour.workers, 0));
    app.service_time = ext.behaviour.service_time;
    app.error_status = ext.behaviour.error_status;
    for (const FailureSpec& f : ext.behaviour.failures) app.failures.push_back(failure_of(f));
    for (const ExternalPortSpec& port : ext.ports) {
      app::Endpoint& ep = app.endpoints.emplace_back();
      ep.service_time = port.service_time;
      ep.status = port.redirect_to_https ? 301 : port.status;
      if (port.failures) {
        ep.failures.emplace();
        for (const FailureSpec& f : *port.failures) ep.failures->push_back(failure_of(f));
      }
      app.endpoint_steps.emplace_back();
      app.ports.push_back({port.port, port.tls, port.redirect_to_https, static_cast<int>(app.endpoints.size() - 1)});
    }
    outside_app_[ext.host] = &app;
  }
}

PodId MeshImpl::endpoint_pod(const xds::ClusterEndpoint& ep, const PodMap& pod_map,
                             std::string_view service_host) {
  return ep.is_pod() ? pod_map[ep.pod] : outside_pod(ep.address, service_host);
}

bool MeshImpl::build_apps(config::Diagnostics& diags) {
  apps_.reserve(spec_.apps.size());
  bool ok = true;
  for (const AppSpec& app : spec_.apps) {
    // The app's pods: its workload in the given namespace, or in any namespace.
    std::vector<PodId> pods;
    for (std::uint32_t i = 0; i < registry_.pods().size(); ++i) {
      const auto& p = registry_.pods()[i];
      if (p.workload == app.workload && (app.namespace_.empty() || p.namespace_ == app.namespace_))
        pods.push_back(pod_maps_.front()[i]);
    }
    const std::string where = "spec.apps." + app.workload;
    if (pods.empty()) {
      diags.error(app.location, where,
                  "no Deployment (or other workload) named \"" + app.workload +
                      "\" is in the manifests; apps are keyed by workload name");
      ok = false;
      continue;
    }
    AppRt& rt = apps_.emplace_back();
    rt.workers = static_cast<std::uint32_t>(std::max(app.workers, 0));
    rt.service_time = app.service_time;
    rt.error_status = app.error_status;
    const std::string ns(pods_[pods.front()].namespace_);
    auto resolve_steps = [&](const std::vector<CallStep>& calls, const std::string& at, std::vector<StepRt>& out) {
      for (std::size_t s = 0; s < calls.size(); ++s) {
        StepRt& step = out.emplace_back();
        for (std::size_t c = 0; c < calls[s].calls.size(); ++c) {
          std::string path = at + ".calls[" + std::to_string(s) + "]";
          if (calls[s].parallel) path += ".parallel[" + std::to_string(c) + "]";
          path += ".to";
          if (!resolve_call(calls[s].calls[c], ns, step.calls.emplace_back(), diags, path.c_str())) ok = false;
        }
      }
    };
    resolve_steps(app.calls, where, rt.steps);
    for (const FailureSpec& f : app.failures) rt.failures.push_back(failure_of(f));
    for (std::size_t i = 0; i < app.endpoints.size(); ++i) {
      const EndpointSpec& e = app.endpoints[i];
      app::Endpoint& ep = rt.endpoints.emplace_back();
      ep.match = e.match;
      ep.service_time = e.service_time;
      ep.delay = e.delay;
      ep.status = e.status;
      ep.status_ref = e.status_ref;
      if (e.failures) {
        ep.failures.emplace();
        for (const FailureSpec& f : *e.failures) ep.failures->push_back(failure_of(f));
      }
      ep.error_status = e.error_status.value_or(0);
      ep.has_calls = e.calls.has_value();
      auto& steps = rt.endpoint_steps.emplace_back();
      if (e.calls) resolve_steps(*e.calls, where + ".endpoints[" + std::to_string(i) + "]", steps);
    }
    for (PodId p : pods) {
      pods_[p].app = &rt;
      app_of_workload_[pods_[p].key] = &rt;
    }
  }
  return ok;
}

void MeshImpl::warn_call_cycles(config::Diagnostics& diags) const {
  // apps_[i] belongs to spec_.apps[i] (build_apps appends one per entry, in order).
  const std::size_t n = apps_.size();
  struct Edge {
    std::size_t to;
    const CallSpec* call;
    std::string path;
  };
  std::vector<std::vector<Edge>> edges(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t s = 0; s < apps_[i].steps.size(); ++s) {
      for (std::size_t c = 0; c < apps_[i].steps[s].calls.size(); ++c) {
        const CallRt& call = apps_[i].steps[s].calls[c];
        if (call.target.service == nullptr) continue;
        std::string path = "spec.apps." + spec_.apps[i].workload + ".calls[" + std::to_string(s) + "]";
        if (spec_.apps[i].calls[s].parallel) path += ".parallel[" + std::to_string(c) + "]";
        for (std::size_t j = 0; j < n; ++j) {
          const AppSpec& to = spec_.apps[j];
          const bool selected = std::any_of(call.target.service->pods.begin(), call.target.service->pods.end(),
                                            [&](std::uint32_t p) {
                                              const auto& pod = registry_.pods()[p];
                                              return pod.workload == to.workload &&
                                                     (to.namespace_.empty() || pod.namespace_ == to.namespace_);
                                            });
          if (selected && !apps_[j].steps.empty()) edges[i].push_back({j, call.spec, path + ".to"});
        }
      }
    }
  }
  // Depth-first search; a back edge closes a cycle. Each cycle is reported once, at the call
  // that closes it, as the chain of workloads around it.
  std::vector<int> state(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<std::size_t> stack;
  std::set<std::vector<std::size_t>> seen;
  std::function<void(std::size_t)> visit = [&](std::size_t u) {
    state[u] = 1;
    stack.push_back(u);
    for (const Edge& e : edges[u]) {
      if (state[e.to] == 1) {
        std::vector<std::size_t> cycle(std::find(stack.begin(), stack.end(), e.to), stack.end());
        std::vector<std::size_t> key = cycle;
        std::rotate(key.begin(), std::min_element(key.begin(), key.end()), key.end());
        if (!seen.insert(key).second) continue;
        std::string chain;
        for (std::size_t k : cycle) chain += spec_.apps[k].workload + " -> ";
        chain += spec_.apps[e.to].workload;
        diags.warning(e.call->location, e.path,
                      "call cycle " + chain + ": every request goes around it until spec.maxCallDepth (" +
                          std::to_string(spec_.max_call_depth) +
                          ") cuts the call, recorded with sim_outcome call_depth_exceeded");
      } else if (state[e.to] == 0) {
        visit(e.to);
      }
    }
    stack.pop_back();
    state[u] = 2;
  };
  for (std::size_t i = 0; i < n; ++i)
    if (state[i] == 0) visit(i);
}

void MeshImpl::build_proxies() {
  const auto classes = compile_classes(registry_, pod_maps_.front());
  for (std::uint32_t i = 0; i < registry_.pods().size(); ++i) {
    const auto& rp = registry_.pods()[i];
    if (!rp.has_sidecar && !rp.gateway_proxy) continue;
    make_proxy(pod_maps_.front()[i], snapshots_[classes[i]]);
  }
}

bool MeshImpl::build_clients(config::Diagnostics& diags) {
  clients_.reserve(spec_.clients.size());
  bool ok = true;
  for (std::size_t i = 0; i < spec_.clients.size(); ++i) {
    const ClientSpec& c = spec_.clients[i];
    const std::string where = "spec.clients[" + std::to_string(i) + "]";
    const bool via_gateway = c.from_kind == ClientSpec::FromKind::Gateway;
    const std::string ns =
        c.from_namespace.empty() ? (via_gateway ? "istio-system" : "default") : c.from_namespace;
    ClientRt& rt = clients_.emplace_back(seed_, c.name);
    rt.spec = &c;
    rt.rate = c.rate;
    rt.has_rate = c.has_rate;
    rt.max_requests = c.max_requests;
    rt.name = strings_.intern(c.name);
    for (std::uint32_t p : registry_.pods_of_workload(ns, c.from_name)) rt.source_pods.push_back(pod_maps_.front()[p]);
    if (via_gateway) {
      // From outside the mesh through an ingress gateway (§11): the request starts at a
      // gateway pod, on the port its Service maps the URL's port to, and the Host header picks
      // the virtual host; there is no DNS lookup of the host.
      if (rt.source_pods.empty() || !pods_[rt.source_pods[0]].gateway) {
        diags.error(c.location, where + ".from.gateway",
                    "no gateway workload \"" + c.from_name + "\" in namespace " + ns +
                        "; Istio's default istio-system/istio-ingressgateway exists unless a "
                        "manifest replaces it");
        ok = false;
        continue;
      }
      client_target(rt, c.to, c.method, rt.target, diags, where + ".to");
    } else if (rt.source_pods.empty()) {
      diags.error(c.location, where + ".from.workload",
                  "no workload \"" + c.from_name + "\" in namespace " + ns +
                      "; add its Deployment to the manifests (e.g. Istio's sleep or curl sample)");
      ok = false;
      continue;
    } else if (!client_target(rt, c.to, c.method, rt.target, diags, where + ".to")) {
      ok = false;
      continue;
    }
    // `authority:` — the Host header the client writes; the URL still says where it connects
    // (docs/semantics.md §1.5). A TLS or TCP connection carries no Host header.
    if (!c.authority.empty() && rt.target.transport == Target::Transport::Http)
      rt.target.authority = strings_.intern(c.authority);
    rebuild_mix(rt, c.mix);
  }
  return ok;
}

// Where a client's request to `url` goes: from a workload, what its DNS lookup and sidecar see
// (resolve_target); from a gateway (§11), the gateway pod itself, on the port its Service maps
// the URL's port to, the URL's host being the Host header (or SNI) with no DNS lookup. Used for
// the client's URL and for each redirect it follows.
bool MeshImpl::client_target(const ClientRt& rt, const Url& url, const std::string& method, Target& t,
                             config::Diagnostics& diags, const std::string& where) {
  const ClientSpec& c = *rt.spec;
  if (c.from_kind != ClientSpec::FromKind::Gateway) {
    const std::string ns = c.from_namespace.empty() ? "default" : c.from_namespace;
    return resolve_target(url, method, ns, t, diags, c.location, where);
  }
  request_parts(url, method, t);
  const std::uint32_t gateway = initial_registry_index(rt.source_pods[0]);
  t.address = registry_.pods()[gateway].ip;
  for (const auto& service : registry_.services()) {
    if (std::find(service.pods.begin(), service.pods.end(), gateway) == service.pods.end()) continue;
    if (const auto* port = service.find_port(url.port)) {
      t.port = port->target_port_number ? port->target_port_number : port->port;
      break;
    }
  }
  return true;
}

// The cumulative weights and header sets a client draws from (its spec's, or a timeline's).
void MeshImpl::rebuild_mix(ClientRt& rt, const std::vector<HeaderMix>& mix) {
  rt.mix_cumulative.clear();
  rt.mix_headers.clear();
  if (mix.empty()) {
    rt.mix_cumulative.push_back(1);
    rt.mix_headers.emplace_back();
  }
  double total = 0;
  for (const HeaderMix& m : mix) total += m.weight;
  double cumulative = 0;
  for (const HeaderMix& m : mix) {
    cumulative += m.weight / total;
    rt.mix_cumulative.push_back(cumulative);
    HeaderSet& hs = rt.mix_headers.emplace_back();
    for (const auto& [name, value] : m.headers) hs.add(strings_.intern(name), strings_.intern(value));
  }
}

}  // namespace meshtwin::scenario
