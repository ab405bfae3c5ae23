#include "model/scenario/mesh.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "model/config/input_file.h"
#include "model/config/loader.h"
#include "model/scenario/mesh_impl.h"
#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin::scenario {

namespace {

using telemetry::SpanKind;
namespace flag = telemetry;

constexpr std::uint64_t kRequestSampleSalt = 0x7265717565737473ull;  // "requests"
constexpr std::uint64_t kSpanSampleSalt = 0x7370616e73616d70ull;     // "spansamp"

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The text of a manifest as loaded (it was read the same way when the mesh was built).
std::string read_file(const std::string& path) {
  std::string error;
  auto text = config::read_input_file(path, error);
  return text ? std::move(*text) : std::string();
}

// The manifest files a path stands for, in the order `kubectl apply -f` reads them.
void collect_manifest_files(const std::filesystem::path& path, std::vector<std::string>& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(path, ec)) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& e : entries) {
      if (fs::is_directory(e, ec)) {
        collect_manifest_files(e, out);
      } else {
        const auto ext = e.extension().string();
        if (ext == ".yaml" || ext == ".yml" || ext == ".json") out.push_back(e.string());
      }
    }
  } else {
    out.push_back(path.string());
  }
}

using telemetry::is_success;

// "1.23" < (1, 24); an unparsable version counts as current.
bool istio_version_before(const std::string& version, int major, int minor) {
  int ma = 0, mi = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &ma, &mi) < 2) return false;
  return ma < major || (ma == major && mi < minor);
}

}  // namespace

// ====================================================================== build

MeshImpl::MeshImpl()
    : overhead_rng_(0, "unused"),
      streams_([this](std::deque<Stream>& d) {
        d.emplace_back(sim_, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_route_timeout>,
                       &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_per_try_timeout>,
                       &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_backoff_done>, this);
      }),
      server_reqs_([](std::deque<ServerReq>& d) { d.emplace_back(); }),
      app_calls_([this](std::deque<AppCall>& d) {
        d.emplace_back(sim_, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_app_call_timeout>,
                       this);
      }),
      client_reqs_([this](std::deque<ClientReq>& d) {
        d.emplace_back(sim_, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_client_timeout>,
                       this);
      }),
      connect_ops_([](std::deque<ConnectOp>& d) { d.emplace_back(); }) {
  unknown_ = strings_.intern("unknown");
  dash_ = strings_.intern("-");
  http_ = strings_.intern("http");
  grpc_ = strings_.intern("grpc");
  tcp_ = strings_.intern("tcp");
}

bool MeshImpl::build(const ScenarioSpec& spec, config::Diagnostics& diags) {
  spec_ = spec;
  seed_ = spec.seed;
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
  if (!resolve_target(call.to, call.method, from_namespace, out.target, diags, call.location, what))
    return false;
  for (const auto& h : call.forward_headers) out.forward_headers.push_back(strings_.intern(h));
  return true;
}

// What the app's connection dials (DNS as its pod resolves names) and, for a host the registry
// does not know, the outside host that answers there.
bool MeshImpl::resolve_target(const Url& url, const std::string& method,
                              std::string_view from_namespace, Target& out,
                              config::Diagnostics& diags, const config::SourceLocation& location,
                              const std::string& where) {
  out.transport = url.scheme == "tcp"     ? Target::Transport::Tcp
                  : url.scheme == "https" ? Target::Transport::Tls
                                          : Target::Transport::Http;
  out.method = strings_.intern(out.transport == Target::Transport::Tcp ? "TCP" : method);
  out.authority = strings_.intern(url.authority());
  out.path = strings_.intern(out.transport == Target::Transport::Tcp ? "-" : url.path);
  out.port = url.port;
  if (out.transport == Target::Transport::Tls) out.sni = strings_.intern(url.host);
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

std::uint32_t MeshImpl::outside_pod(std::string_view address, std::string_view service_host) {
  const std::string key(address);
  if (auto it = outside_by_address_.find(key); it != outside_by_address_.end()) return it->second;
  const auto index = static_cast<std::uint32_t>(pods_.size());
  PodRt& pod = pods_.emplace_back(seed_, "outside/" + key);
  pod.index = index;
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
  outside_by_address_.emplace(key, index);
  return index;
}

// The behaviour of every `spec.externals` host, before any pod stands for one.
void MeshImpl::build_externals() {
  for (const ExternalSpec& ext : spec_.externals) {
    AppRt& app = outside_apps_.emplace_back();
    app.workers = static_cast<std::uint32_t>(std::max(ext.behaviour.workers, 0));
    app.service_time = ext.behaviour.service_time;
    app.error_status = ext.behaviour.error_status;
    for (const FailureSpec& f : ext.behaviour.failures) app.failures.push_back(failure_of(f));
    outside_app_[ext.host] = &app;
  }
}

std::uint32_t MeshImpl::endpoint_pod(const xds::ClusterEndpoint& ep,
                                     const std::vector<std::uint32_t>& pod_map,
                                     std::string_view service_host) {
  return ep.is_pod() ? pod_map[ep.pod] : outside_pod(ep.address, service_host);
}

bool MeshImpl::build_apps(config::Diagnostics& diags) {
  apps_.reserve(spec_.apps.size());
  bool ok = true;
  for (const AppSpec& app : spec_.apps) {
    // The app's pods: its workload in the given namespace, or in any namespace.
    std::vector<std::uint32_t> pods;
    for (std::uint32_t i = 0; i < registry_.pods().size(); ++i) {
      const auto& p = registry_.pods()[i];
      if (p.workload == app.workload && (app.namespace_.empty() || p.namespace_ == app.namespace_))
        pods.push_back(i);
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
    const std::string ns = registry_.pods()[pods.front()].namespace_;
    for (std::size_t s = 0; s < app.calls.size(); ++s) {
      StepRt& step = rt.steps.emplace_back();
      for (std::size_t c = 0; c < app.calls[s].calls.size(); ++c) {
        std::string path = where + ".calls[" + std::to_string(s) + "]";
        if (app.calls[s].parallel) path += ".parallel[" + std::to_string(c) + "]";
        path += ".to";
        if (!resolve_call(app.calls[s].calls[c], ns, step.calls.emplace_back(), diags,
                          path.c_str()))
          ok = false;
      }
    }
    for (const FailureSpec& f : app.failures) rt.failures.push_back(failure_of(f));
    for (std::uint32_t p : pods) {
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
    make_proxy(i, snapshots_[classes[i]]);
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
    rt.source_pods = registry_.pods_of_workload(ns, c.from_name);
    if (via_gateway) {
      // From outside the mesh through an ingress gateway (§11): the request starts at a
      // gateway pod, on the port its Service maps the URL's port to, and the Host header picks
      // the virtual host; there is no DNS lookup of the host.
      if (rt.source_pods.empty() || !registry_.pods()[rt.source_pods[0]].gateway_proxy) {
        diags.error(c.location, where + ".from.gateway",
                    "no gateway workload \"" + c.from_name + "\" in namespace " + ns +
                        "; Istio's default istio-system/istio-ingressgateway exists unless a "
                        "manifest replaces it");
        ok = false;
        continue;
      }
      Target& t = rt.target;
      t.transport = c.to.scheme == "tcp"     ? Target::Transport::Tcp
                    : c.to.scheme == "https" ? Target::Transport::Tls
                                             : Target::Transport::Http;
      t.method = strings_.intern(t.transport == Target::Transport::Tcp ? "TCP" : c.method);
      t.authority = strings_.intern(c.to.authority());
      t.path = strings_.intern(t.transport == Target::Transport::Tcp ? "-" : c.to.path);
      t.port = c.to.port;
      if (t.transport == Target::Transport::Tls) t.sni = strings_.intern(c.to.host);
      t.address = registry_.pods()[rt.source_pods[0]].ip;
      for (const auto& service : registry_.services()) {
        if (std::find(service.pods.begin(), service.pods.end(), rt.source_pods[0]) ==
            service.pods.end())
          continue;
        if (const auto* port = service.find_port(c.to.port)) {
          t.port = port->target_port_number ? port->target_port_number : port->port;
          break;
        }
      }
    } else if (rt.source_pods.empty()) {
      diags.error(c.location, where + ".from.workload",
                  "no workload \"" + c.from_name + "\" in namespace " + ns +
                      "; add its Deployment to the manifests (e.g. Istio's sleep or curl sample)");
      ok = false;
      continue;
    } else if (!resolve_target(c.to, c.method, ns, rt.target, diags, c.location, where + ".to")) {
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

// ====================================================================== helpers

SimTime MeshImpl::overhead(ProxyRt& p) {
  if (overhead_is_zero_) return 0;
  return proxy_overhead_.sample_duration(p.fault_rng);
}

SimTime MeshImpl::network_leg(PodRt& from, const PodRt* to) {
  const engine::Distribution* d = to && to->latency ? to->latency : from.latency;
  if (d) return d->sample_duration(from.net_rng);
  if (latency_.is_constant()) return static_cast<SimTime>(latency_.mean());
  return latency_.sample_duration(from.net_rng);
}

bool MeshImpl::sample(std::uint64_t request_id, std::uint64_t salt, double fraction) const {
  if (fraction >= 1.0) return true;
  if (fraction <= 0.0) return false;
  // A hash of (seed, request id): sampling draws from no stream, so recording choices never
  // shift the random numbers the simulation itself uses.
  const std::uint64_t h = splitmix64(seed_ ^ salt ^ splitmix64(request_id));
  return static_cast<double>(h >> 11) * 0x1.0p-53 < fraction;
}

void MeshImpl::emit_span(Stream& s, SpanKind kind, SimTime start, int code, std::uint32_t flags) {
  if (s.proxy == kNone) return;  // spans are written by caller-side proxies only
  telemetry::SpanRecord r;
  r.request_id = s.request_id;
  r.span_id = kind != SpanKind::LocalReply ? s.span_id : next_span_id_++;
  r.parent_span_id = s.parent_span;
  r.kind = kind;
  const PodRt& src = pods_[s.src_pod];
  r.source_workload = src.workload;
  r.source_pod = src.name;
  r.destination_service = destination_service(s);
  if (s.dest_pod != kNone) {
    const PodRt& d = pods_[s.dest_pod];
    r.destination_version = d.version;
    r.destination_workload = d.workload;
    r.destination_pod = d.name;
  } else {
    r.destination_version = r.destination_workload = r.destination_pod = unknown_;
  }
  r.cluster = s.cluster_name;
  r.route_name = s.route_name;
  r.attempt = std::max(s.router.attempt(), 1);
  r.app_attempt = s.app_attempt;
  r.config_version = s.config_version;
  r.start = start;
  r.duration = sim_.now() - start;
  r.response_code = code;
  r.response_flags = flags;
  r.upstream_flags = kind != SpanKind::LocalReply ? s.upstream_flags : 0;
  // An unfinished attempt has no response yet: it stays out of the Envoy metrics.
  r.reached_upstream = kind != SpanKind::LocalReply && s.attempt_reached && span_outcome_.empty();
  r.sampled = s.sampled;
  r.sim_outcome = span_outcome_;
  if (r.reached_upstream) r.peers = peer_labels(s);
  if (kind == SpanKind::Attempt)
    ++stats_.hop_attempts;
  else
    ++stats_.local_replies;
  sink_->on_span(r);
}

// ====================================================================== clients

// An arrival event names its client, its closed-loop connection (or none: open loop) and the
// epoch of the client's arrival process, so that a timeline change can start a new process at
// its `at` and the old one's events are recognised and dropped.
namespace {
constexpr std::uint32_t kOpenLoop = 0xFFFFF;  // connections are at most 1,000,000 < 2^20
std::uint32_t arrival_tag(std::uint32_t connection, std::uint32_t epoch) {
  return ((epoch & 0xFFFu) << 20) | (connection == kNone ? kOpenLoop : connection);
}
std::uint32_t tag_connection(std::uint32_t tag) {
  const std::uint32_t c = tag & 0xFFFFFu;
  return c == kOpenLoop ? kNone : c;
}
std::uint32_t tag_epoch(std::uint32_t tag) { return tag >> 20; }
}  // namespace

void MeshImpl::start_client(std::uint32_t client, SimTime from) {
  ClientRt& c = clients_[client];
  ++c.epoch;
  c.rate_origin = from;
  c.replay_next = 0;
  const RateSpec& rate = c.rate;
  if (from >= spec_.duration) return;
  const auto arrive_at = [&](std::uint32_t connection) {
    ++pending_arrivals_;
    sim_.schedule_at(from, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_arrival>, this,
                     pack(client, arrival_tag(connection, c.epoch)));
  };
  if (rate.kind == RateSpec::Kind::Closed) {
    for (int conn = 0; conn < rate.connections; ++conn) arrive_at(static_cast<std::uint32_t>(conn));
  } else if (rate.kind == RateSpec::Kind::Constant) {
    // An even schedule starts at once (as Fortio's -qps does): N/s for D seconds is N·D.
    arrive_at(kNone);
  } else {
    schedule_next_arrival(client, kNone, from);
  }
}

void MeshImpl::schedule_next_arrival(std::uint32_t client, std::uint32_t connection, SimTime from) {
  ClientRt& c = clients_[client];
  const RateSpec& rate = c.rate;
  SimTime t = from;
  const auto exp_gap = [&](double per_second) {
    return static_cast<SimTime>(-std::log1p(-c.arrival_rng.uniform01()) / per_second *
                                engine::kSecond);
  };
  switch (rate.kind) {
    case RateSpec::Kind::Poisson:
      if (rate.per_second <= 0) return;
      t += exp_gap(rate.per_second);
      break;
    case RateSpec::Kind::Constant:
      if (rate.per_second <= 0) return;
      t += static_cast<SimTime>(engine::kSecond / rate.per_second);
      break;
    case RateSpec::Kind::Closed:
      t += rate.think_time.sample_duration(c.arrival_rng);
      break;
    case RateSpec::Kind::Replay:
      if (!rate.replay_arrivals.empty()) {
        // Recorded arrival times, as they were.
        while (c.replay_next < rate.replay_arrivals.size() &&
               rate.replay_arrivals[c.replay_next] < t)
          ++c.replay_next;
        if (c.replay_next >= rate.replay_arrivals.size()) return;
        t = rate.replay_arrivals[c.replay_next++];
        break;
      }
      [[fallthrough]];  // per-second rates: a Poisson process whose rate follows the CSV
    case RateSpec::Kind::Ramp:
    case RateSpec::Kind::Steps:
    case RateSpec::Kind::Sine:
    case RateSpec::Kind::Bursts: {
      // A Poisson process with a time-varying rate, drawn by thinning against its peak.
      double peak = 0;
      switch (rate.kind) {
        case RateSpec::Kind::Ramp: peak = std::max(rate.per_second, rate.ramp_to); break;
        case RateSpec::Kind::Steps:
          for (const auto& [at, r] : rate.steps) peak = std::max(peak, r);
          break;
        case RateSpec::Kind::Sine: peak = rate.per_second + std::abs(rate.amplitude); break;
        case RateSpec::Kind::Bursts: peak = std::max(rate.per_second, rate.burst_rate); break;
        default:
          for (double r : rate.replay_rates) peak = std::max(peak, r);
          break;
      }
      if (peak <= 0) return;
      for (;;) {
        t += exp_gap(peak);
        if (t >= spec_.duration) break;
        if (c.arrival_rng.uniform01() * peak < rate_at(rate, t, c.rate_origin)) break;
      }
      break;
    }
  }
  if (t >= spec_.duration) return;
  ++pending_arrivals_;
  sim_.schedule_at(t, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_arrival>, this,
                   pack(client, arrival_tag(connection, c.epoch)));
}

// Ends the run once no arrival is pending and nothing is in flight anywhere. Without this the
// clock would run on to the last cancelled timer (e.g. a 30 s client timeout).
void MeshImpl::maybe_stop() {
  if (pending_arrivals_ == 0 && client_in_flight_ == 0 && streams_.in_use() == 0 &&
      server_reqs_.in_use() == 0 && app_calls_.in_use() == 0) {
    sim_.stop();
  }
}

void MeshImpl::on_arrival(std::uint64_t arg) {
  const std::uint32_t client = slot_of(arg);
  const std::uint32_t connection = tag_connection(gen_of(arg));
  ClientRt& c = clients_[client];
  --pending_arrivals_;
  if (sim_.now() >= spec_.duration || tag_epoch(gen_of(arg)) != (c.epoch & 0xFFFu) ||
      (c.max_requests > 0 && c.sent >= c.max_requests)) {
    maybe_stop();
    return;
  }
  ++c.sent;
  // The next arrival is scheduled first: this request may end at once (a local reply), and
  // the run must not look finished meanwhile.
  if (c.rate.kind != RateSpec::Kind::Closed) schedule_next_arrival(client, kNone, sim_.now());

  const std::uint32_t slot = client_reqs_.acquire();
  ClientReq& r = client_reqs_[slot];
  r.client = client;
  r.request_id = next_request_id_++;
  r.start = sim_.now();
  r.connection = connection;
  r.epoch = c.epoch;
  r.src_pod = c.source_pods.size() == 1
                  ? c.source_pods[0]
                  : c.source_pods[c.source_rng.uniform_int(c.source_pods.size())];
  std::size_t mix = 0;
  if (c.mix_cumulative.size() > 1) {
    const double u = c.mix_rng.uniform01();
    while (mix + 1 < c.mix_cumulative.size() && u >= c.mix_cumulative[mix]) ++mix;
  }
  r.headers = c.mix_headers[mix];
  r.record = sample(r.request_id, kRequestSampleSalt, spec_.record.requests);
  r.sampled = sample(r.request_id, kSpanSampleSalt, spec_.record.spans);
  if (c.spec->timeout > 0) r.timeout.arm_in(c.spec->timeout, slot);
  ++client_in_flight_;
  stats_.peak_in_flight = std::max(stats_.peak_in_flight, client_in_flight_);

  r.stream = open_stream(Owner::Client, slot, r.gen, r.src_pod, r.request_id, 0, 1, r.sampled,
                         c.target, r.headers);
  r.stream_gen = streams_[r.stream].gen;
  launch_stream(r.stream);
}

void MeshImpl::on_client_timeout(std::uint64_t slot) {
  ClientReq& r = client_reqs_[static_cast<std::uint32_t>(slot)];
  const std::uint32_t stream =
      r.stream != kNone && streams_[r.stream].gen == r.stream_gen ? r.stream : kNone;
  // The client gives up: Envoy logs the downstream disconnect (code 0, DC, docs/design.md §3.2).
  finish_client(static_cast<std::uint32_t>(slot), 0, flag::kDownstreamConnectionTermination, 0);
  if (stream != kNone) reset_stream_from_downstream(stream);
}

void MeshImpl::finish_client(std::uint32_t slot, int code, std::uint32_t flags, int degraded) {
  ClientReq& r = client_reqs_[slot];
  ClientRt& c = clients_[r.client];
  if (r.record) {
    telemetry::RequestRecord rec;
    rec.request_id = r.request_id;
    rec.client = c.name;
    rec.start = r.start;
    rec.duration = sim_.now() - r.start;
    rec.method = c.target.method;
    rec.authority = c.target.authority;
    rec.path = c.target.path;
    rec.response_code = code;
    rec.response_flags = flags;
    rec.route_name = dash_;
    rec.vs_rule = dash_;
    rec.destination_service = rec.destination_version = rec.destination_workload = unknown_;
    rec.degraded_calls = degraded;
    if (auto it = request_outcome_.find(r.request_id); it != request_outcome_.end()) rec.sim_outcome = it->second;
    if (!span_outcome_.empty()) rec.sim_outcome = span_outcome_;
    if (r.stream != kNone && streams_[r.stream].gen == r.stream_gen) {
      const Stream& s = streams_[r.stream];
      rec.attempts = s.router.attempt();
      rec.route_name = s.route_name;
      rec.vs_rule = s.vs_rule;
      rec.destination_service = destination_service(s);
      if (s.dest_pod != kNone) {
        rec.destination_version = pods_[s.dest_pod].version;
        rec.destination_workload = pods_[s.dest_pod].workload;
      }
    }
    sink_->on_request(rec);
  }
  request_outcome_.erase(r.request_id);
  calls_per_request_.erase(r.request_id);
  ++stats_.client_requests;
  --client_in_flight_;
  const std::uint32_t connection = r.connection;
  const std::uint32_t client = r.client;
  // A closed-loop connection goes on only within its arrival process: after a timeline change
  // the new rate's connections have taken over.
  const bool current = r.epoch == c.epoch;
  r.timeout.cancel();
  r.stream = kNone;
  client_reqs_.release(slot);
  if (connection != kNone && current) schedule_next_arrival(client, connection, sim_.now());
  maybe_stop();
}

// ====================================================================== caller-side proxy

std::uint32_t MeshImpl::open_stream(Owner owner, std::uint32_t owner_slot,
                                    std::uint32_t owner_gen, std::uint32_t src_pod,
                                    std::uint64_t request_id, std::uint64_t parent_span,
                                    int app_attempt, bool sampled, const Target& target,
                                    const HeaderSet& headers) {
  const std::uint32_t slot = streams_.acquire();
  Stream& s = streams_[slot];
  s.owner = owner;
  s.owner_slot = owner_slot;
  s.owner_gen = owner_gen;
  s.proxy = pods_[src_pod].proxy;
  s.src_pod = src_pod;
  s.request_id = request_id;
  s.parent_span = parent_span;
  s.app_attempt = app_attempt;
  s.sampled = sampled;
  s.target = &target;
  s.headers = headers;
  s.route = nullptr;
  s.cluster = xds::kNoCluster;
  s.crt = nullptr;
  s.route_name = s.vs_rule = s.cluster_name = dash_;
  s.config_version = 0;
  s.router.reset();
  s.host = proxy::kNoHost;
  s.dest_pod = kNone;
  s.server_req = kNone;
  s.attempt_in_flight = false;
  s.attempt_reached = false;
  s.start = sim_.now();
  s.depth = 0;
  s.flags = 0;
  s.degraded = 0;
  s.final_code = 0;
  return slot;
}

void MeshImpl::launch_stream(std::uint32_t slot) {
  Stream& s = streams_[slot];
  if (s.proxy == kNone) {
    // No sidecar: the app's connection goes straight to a pod (kube-proxy), bypassing
    // VirtualService routing (docs/design.md §3.1).
    start_attempt(slot);
  } else {
    const SimTime delay = overhead(proxies_[s.proxy]);
    if (delay == 0) {
      route_stream(slot);
    } else {
      sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_stream_at_proxy>,
                       this, pack(slot, s.gen));
    }
  }
}

void MeshImpl::on_stream_at_proxy(std::uint64_t arg) {
  if (streams_[slot_of(arg)].gen != gen_of(arg)) return;
  route_stream(slot_of(arg));
}

// The sidecar's listener side decides (proxy::route_outbound); the stream takes the route and
// cluster it names, then goes on to the fault filter and router, to a tcp_proxy connection, or
// ends in a local reply.
void MeshImpl::route_stream(std::uint32_t slot) {
  Stream& s = streams_[slot];
  ProxyRt& p = proxies_[s.proxy];
  s.config_version = p.config_version;
  s.worker = p.workers > 1 ? static_cast<std::uint32_t>(p.route_rng.uniform_int(p.workers)) : 0;
  const Target& t = *s.target;
  proxy::Downstream downstream;
  downstream.transport = t.transport;
  downstream.address = t.address;
  downstream.port = t.port;
  downstream.sni = t.sni;
  downstream.authority = t.authority;
  downstream.path = t.path;
  downstream.method = t.method;
  downstream.headers = &s.headers;
  const proxy::RouteDecision d = proxy::route_outbound(*p.config, downstream, p.route_rng);
  if (d.route) {
    s.route = d.route;
    if (!d.route->name.empty()) s.route_name = d.route->name;
  }
  if (d.has_vs_rule) s.vs_rule = d.vs_rule.empty() ? dash_ : d.vs_rule;
  if (d.picked) {
    s.weighted_pick = d.weighted_pick;
    s.cluster = d.cluster;
    s.cluster_name = d.cluster_name;
  }
  if (d.kind == proxy::RouteDecision::Kind::LocalReply) {
    local_reply(slot, d.status, d.flags);
    return;
  }
  s.route_random = d.random;
  s.crt = &ensure_cluster(p, s.cluster);
  if (d.kind == proxy::RouteDecision::Kind::Tcp) {
    start_attempt(slot);  // a tcp_proxy never retries (one connect attempt)
    return;
  }
  // Fault filter (§6): delay roll first; the abort roll happens after the delay, or at once.
  if (proxy::roll_fault_delay(*s.route, p.fault_rng)) {
    s.flags |= flag::kDelayInjected;
    sim_.schedule_in(s.route->fault->delay->duration,
                     &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_fault_delay_done>, this,
                     pack(slot, s.gen));
    return;
  }
  forward_stream(slot);
}

// The host index of `pod` in an ORIGINAL_DST cluster, added on first use. O(hosts): such a
// cluster has one host per distinct destination a proxy has sent to.
std::int32_t MeshImpl::original_dst_host(ClusterRt& c, std::uint32_t pod) {
  for (std::size_t h = 0; h < c.endpoints.size(); ++h)
    if (c.endpoints[h].pod == pod) return static_cast<std::int32_t>(h);
  const PodRt& d = pods_[pod];
  c.endpoints.push_back({pod, d.name, d.workload, d.version});
  c.active.push_back(0);
  c.pools.add_host();
  return static_cast<std::int32_t>(c.endpoints.size() - 1);
}

// Where the app's own connection lands without a load balancer (kube-proxy for a caller
// without a sidecar, ORIGINAL_DST clusters): a pod of the Service it resolved, or the host
// outside the mesh at the address it dialled; kNone when nothing answers.
std::uint32_t MeshImpl::original_destination(const Stream& s, engine::RngStream& rng) const {
  const Target& t = *s.target;
  if (t.service && !t.service->pods.empty())
    return t.service->pods[rng.uniform_int(t.service->pods.size())];
  return t.outside;
}

// Istio's destination_service label: the cluster's service, else (passthrough) the host the
// app addressed, else the Service its DNS lookup answered; "unknown" when none.
std::string_view MeshImpl::destination_service(const Stream& s) {
  if (s.crt && s.crt->service != unknown_) return s.crt->service;
  if (s.dest_pod != kNone && pods_[s.dest_pod].outside) return pods_[s.dest_pod].service;
  if (!s.crt && s.target && s.target->service) return strings_.intern(s.target->service->hostname);
  return unknown_;
}

// The runtime state of one cluster in one proxy, built on first use.
ClusterRt& MeshImpl::ensure_cluster(ProxyRt& p, std::int32_t index) {
  std::unique_ptr<ClusterRt>& slot = p.clusters[index];
  if (slot) return *slot;
  {
    const xds::Cluster& cluster = p.config->clusters[index];
    engine::RngStream seed_rng(seed_, "proxy/" + std::string(p.name) + "/lb/" + cluster.name);
    // What istiod sends this proxy for the cluster: LB settings, weights, priorities and
    // locality groups from the caller's locality (§7.4–7.6, §8).
    const registry::Pod* caller =
        p.registry->find_pod(std::string(pods_[p.pod].namespace_), std::string(p.name));
    proxy::LbSetup setup = proxy::lb_setup_for(
        cluster, *p.registry, caller, !istio_version_before(spec_.mesh.istio_version, 1, 31));
    auto rt = std::make_unique<ClusterRt>(
        setup.settings, p.workers, seed_rng,
        proxy::resolve_thresholds(cluster.connection_pool, cluster.retry_budget, cluster.protocol),
        static_cast<std::uint32_t>(cluster.endpoints.size()), *this);
    rt->name = cluster.name;
    rt->service = cluster.service_hostname.empty() ? unknown_
                                                   : strings_.intern(cluster.service_hostname);
    for (std::uint32_t e = 0; e < cluster.endpoints.size(); ++e) {
      const auto& ep = cluster.endpoints[e];
      // A ServiceEntry endpoint (or DNS host) is a host outside the mesh answering as the
      // scenario's `externals` say (§12.1).
      const std::uint32_t pod_index = endpoint_pod(ep, *p.pod_map, cluster.service_hostname);
      const PodRt& pod = pods_[pod_index];
      rt->endpoints.push_back({pod_index, pod.name, pod.workload, pod.version});
      rt->active.push_back(0);
      rt->healthy_in_eds += ep.healthy;
    }
    rt->lb.set_hosts(std::move(setup.hosts), std::move(setup.locality_weights), sim_.now());
    rt->proxy = p.index;
    rt->cluster = &cluster;
    if (cluster.outlier_detection) {
      rt->outlier = std::make_unique<proxy::OutlierDetector>(
          proxy::resolve_outlier_detection(*cluster.outlier_detection),
          static_cast<std::uint32_t>(cluster.endpoints.size()));
      rt->outlier->set_monitored_host_count(setup.hosts_in_eds);
      // One periodic timer per cluster, armed when the detector is created (§10.4).
      outlier_clusters_.push_back(rt.get());
      sim_.schedule_in(rt->outlier->interval(),
                       &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_outlier_tick>, this,
                       outlier_clusters_.size() - 1);
    }
    slot = std::move(rt);
  }
  return *slot;
}

void MeshImpl::on_fault_delay_done(std::uint64_t arg) {
  if (streams_[slot_of(arg)].gen != gen_of(arg)) return;
  forward_stream(slot_of(arg));
}

// A mirrored copy of the request to `cluster` (§3.5): its own stream through the shadow
// cluster's load balancer and pools, no retries, the route's timeout, response ignored;
// written as a span of kind `shadow`. Current Istio keeps the Host unchanged.
void MeshImpl::start_shadow(std::uint32_t slot, std::int32_t cluster) {
  const Stream& main = streams_[slot];
  const std::uint32_t shadow =
      open_stream(Owner::Shadow, 0, 0, main.src_pod, main.request_id, main.parent_span,
                  main.app_attempt, main.sampled, *main.target, main.headers);
  Stream& s = streams_[shadow];
  s.depth = main.depth;
  ProxyRt& p = proxies_[s.proxy];
  s.config_version = main.config_version;
  s.worker = main.worker;
  s.route = main.route;
  s.route_name = main.route_name;
  s.vs_rule = main.vs_rule;
  s.cluster = cluster;
  s.cluster_name = p.config->clusters[cluster].name;
  s.crt = &ensure_cluster(p, cluster);
  if (s.route && s.route->timeout > 0) s.route_timer.arm_in(s.route->timeout, shadow);
  start_attempt(shadow);
}

void MeshImpl::forward_stream(std::uint32_t slot) {
  Stream& s = streams_[slot];
  ProxyRt& p = proxies_[s.proxy];
  const xds::Route& route = *s.route;
  if (const std::optional<int> status = proxy::roll_fault_abort(route, p.fault_rng)) {
    // An abort never reaches the router: no attempt, no retry, no outlier input (§6).
    local_reply(slot, *status, s.flags | flag::kFaultInjected);
    return;
  }
  proxy::apply_header_ops(s.headers, route.request_headers);
  proxy::apply_header_ops(s.headers, route.clusters[s.weighted_pick].request_headers);
  for (const xds::MirrorPolicy& mirror : route.mirrors) {
    if (mirror.cluster != xds::kNoCluster && s.route_random % 1'000'000 < mirror.per_million)
      start_shadow(slot, mirror.cluster);
  }
  s.router.begin(route);
  // The route timeout starts when the router has the whole request, after any fault delay
  // (§4.1, §6).
  if (route.timeout > 0) s.route_timer.arm_in(route.timeout, slot);
  start_attempt(slot);
}

void MeshImpl::start_attempt(std::uint32_t slot) {
  Stream& s = streams_[slot];
  s.router.begin_attempt();
  std::uint32_t dest = kNone;
  if (s.proxy == kNone) {
    // kube-proxy: a uniformly random pod of the Service (or the outside host DNS gave).
    dest = original_destination(s, pods_[s.src_pod].net_rng);
    if (dest == kNone) {
      finish_stream(slot, 503, flag::kNoHealthyUpstream);
      return;
    }
  } else {
    ProxyRt& p = proxies_[s.proxy];
    if (s.crt->retired) {
      // A retry after an EDS change: Envoy's cluster object stays, its host set is the new
      // one. Continue on the current runtime of the same cluster name (§3.3, §5.5).
      const std::int32_t index = p.config->find_cluster(s.crt->name);
      if (index != xds::kNoCluster) {
        s.cluster = index;
        s.crt = &ensure_cluster(p, index);
        s.router.forget_hosts();
      }
    }
    ClusterRt& c = *s.crt;
    const xds::Cluster& cluster = *c.cluster;
    if (cluster.type == xds::Cluster::Type::OriginalDst) {
      // ORIGINAL_DST (PassthroughCluster, headless services, ServiceEntry resolution NONE): to
      // the address the app dialled — a Service's pods via kube-proxy, or the host outside the
      // mesh — each distinct destination a host of the cluster made on demand, with its own
      // connection pools (§12.1).
      dest = original_destination(s, p.lb_rng);
      if (dest != kNone) s.host = original_dst_host(c, dest);
    } else {
      proxy::LoadBalancer::Pick pick;
      pick.worker = s.worker;
      pick.now = sim_.now();
      pick.active_requests = c.active;
      if (cluster.lb.hash) {
        xds::RequestAttributes request;
        request.authority = s.target->authority;
        request.path = s.target->path;
        request.method = s.target->method;
        request.headers = s.headers.items.data();
        request.header_count = s.headers.count;
        pick.hash = proxy::request_hash(*cluster.lb.hash, request, pods_[s.src_pod].ip).hash;
      }
      if (s.router.avoid_previous_hosts()) {
        pick.avoid = s.router.hosts_tried();
        pick.max_selection_retries = s.router.policy()->host_selection_retry_max_attempts;
      }
      const std::int32_t host = c.lb.choose(pick, p.lb_rng);
      if (host != proxy::kNoHost) {
        s.host = host;
        s.router.remember_host(host);
        dest = c.endpoints[host].pod;
      }
    }
    if (dest == kNone) {
      local_reply(slot, 503, flag::kNoHealthyUpstream);  // §3.2, §8.5
      return;
    }
  }
  s.dest_pod = dest;
  s.attempt_start = sim_.now();
  s.span_id = next_span_id_++;
  s.attempt_in_flight = true;
  s.attempt_reached = false;
  s.pool = kNone;
  s.conn = kNone;
  s.pending = false;
  if (s.proxy != kNone && s.host != proxy::kNoHost) {
    acquire_upstream(slot);
  } else {
    send_to_server(slot);
  }
}

// ---------------------------------------------------------------- connection pools (§9)

// The attempt asks its host's pool for a connection (proxy::ConnPool::acquire): it starts at
// once, waits in the queue, or overflows.
void MeshImpl::acquire_upstream(std::uint32_t slot) {
  Stream& s = streams_[slot];
  ClusterRt& c = *s.crt;
  s.pool = c.pools.index(static_cast<std::uint32_t>(s.host), s.worker);
  const bool tcp_proxy = s.target->is_connection() && !c.limits().http2;
  const auto result = c.pools.acquire(
      s.pool, {slot, s.gen, static_cast<std::uint32_t>(s.router.attempt())}, tcp_proxy, sim_.now());
  switch (result.kind) {
    case proxy::ConnPool::Acquired::Attached:
      pool_attached(c, slot, result.conn);
      return;
    case proxy::ConnPool::Acquired::Overflow:
      overflow(slot);
      return;
    case proxy::ConnPool::Acquired::Queued:
      s.pending = true;
      return;
  }
}

void ClusterRt::open_connection(std::uint32_t pool) { mesh->open_connection(*this, pool); }
bool ClusterRt::claim(const proxy::PoolRequest& request) { return mesh->claim_pending(request); }
void ClusterRt::attached(const proxy::PoolRequest& request, std::uint32_t conn) {
  mesh->pool_attached(*this, request.slot, conn);
}
void ClusterRt::overflowed(const proxy::PoolRequest& request) { mesh->pool_overflowed(request.slot); }

// TCP (and mTLS) setup: one round trip to the host. An address nobody answers any more (a
// crashed pod whose removal has not reached this proxy) costs the whole connect timeout (DR
// connectionPool.tcp.connectTimeout, mesh default 10 s) before Envoy gives up (§4.3).
void MeshImpl::open_connection(ClusterRt& c, std::uint32_t pool) {
  ProxyRt& p = proxies_[c.proxy];
  const std::uint32_t op = connect_ops_.acquire();
  ConnectOp& o = connect_ops_[op];
  o.cluster = &c;
  o.pool = pool;
  PodRt& from = pods_[p.pod];
  PodRt& to = pods_[c.endpoints[c.pools.host_of(pool)].pod];
  const SimTime delay =
      to.alive ? network_leg(from, &to) + network_leg(from, &to) : c.limits().connect_timeout;
  sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_connected>, this,
                   pack(op, o.gen));
}

void MeshImpl::on_connected(std::uint64_t arg) {
  ConnectOp& o = connect_ops_[slot_of(arg)];
  if (o.gen != gen_of(arg)) return;
  ClusterRt& c = *o.cluster;
  const std::uint32_t pool = o.pool;
  connect_ops_.release(slot_of(arg));
  if (pods_[c.endpoints[c.pools.host_of(pool)].pod].alive) {
    c.pools.connected(pool, sim_.now());
    return;
  }
  // Nobody answers at the address any more: the connect timed out and Envoy fails the
  // requests waiting for it (UF, retriable by connect-failure) (§4.3, §9.2).
  std::vector<proxy::PoolRequest> failed;
  failed.swap(failed_connects_);
  failed.clear();
  c.pools.connect_failed(pool, failed);
  proxy::AttemptResult result;
  result.outcome.kind = proxy::AttemptOutcome::Kind::ConnectFailure;
  result.code = 503;
  result.flags = flag::kUpstreamConnectionFailure;
  for (const proxy::PoolRequest& r : failed) decide_after_attempt(r.slot, result);
  failed_connects_.swap(failed);
}

// A queued entry is live while its stream is on the same attempt and still waiting.
bool MeshImpl::claim_pending(const proxy::PoolRequest& request) {
  Stream& s = streams_[request.slot];
  if (s.gen != request.gen || !s.pending || static_cast<std::uint32_t>(s.router.attempt()) != request.attempt)
    return false;
  s.pending = false;
  return true;
}

// The attempt holds a connection (the pool counted it): it leaves for the server.
void MeshImpl::pool_attached(ClusterRt& c, std::uint32_t slot, std::uint32_t conn) {
  Stream& s = streams_[slot];
  if (c.overflowing) {
    c.overflowing = false;
    sink_->on_event({sim_.now(), "overflow_ended", std::string(proxies_[s.proxy].name), std::string(c.name)});
  }
  ++c.active[s.host];  // rq_active: requests attached to a connection (§8.2)
  if (c.outlier) c.outlier->on_connect_success(static_cast<std::uint32_t>(s.host));
  s.conn = conn;
  send_to_server(slot);
}

// A local 503 UO: never retried (§5.2, §9.3).
void MeshImpl::overflow(std::uint32_t slot) {
  Stream& s = streams_[slot];
  ProxyRt& p = proxies_[s.proxy];
  ClusterRt& c = *s.crt;
  if (!c.overflowing) {
    c.overflowing = true;
    sink_->on_event({sim_.now(), "overflow_began", std::string(p.name), std::string(c.name)});
  }
  s.attempt_in_flight = false;
  s.per_try_timer.cancel();
  local_reply(slot, 503, flag::kUpstreamOverflow);
}

// Ends the attempt's use of its pool: a dispatched request frees its connection (an HTTP/1.1
// connection whose stream was reset is closed), a queued one leaves the queue.
void MeshImpl::release_upstream(std::uint32_t slot, bool reset) {
  Stream& s = streams_[slot];
  if (s.proxy == kNone || s.pool == kNone) return;
  ClusterRt& c = *s.crt;
  const std::uint32_t pool = s.pool;
  s.pool = kNone;
  if (s.pending) {
    s.pending = false;  // its queue entry is skipped when reached
    c.pools.cancel_pending();
    return;
  }
  if (s.conn == kNone) return;
  --c.active[s.host];
  const std::uint32_t conn = s.conn;
  s.conn = kNone;
  // A tcp_proxy connection ends with its downstream connection.
  c.pools.release(pool, conn, reset || s.target->is_connection(), sim_.now());
}

// Feeds the caller's outlier detector for the attempt's host (§10.2) and, when that ejects
// the host, takes it out of the load balancer's healthy set at once (§10.3).
void MeshImpl::report_outlier(Stream& s, int status, bool local_origin, bool timeout) {
  if (s.proxy == kNone || !s.crt || s.host == proxy::kNoHost) return;
  ProxyRt& p = proxies_[s.proxy];
  ClusterRt* c = s.crt;
  // Hosts of an ORIGINAL_DST cluster come and go on demand; no detector watches them.
  if (!c || !c->outlier || c->cluster->type == xds::Cluster::Type::OriginalDst) return;
  const auto host = static_cast<std::uint32_t>(s.host);
  const bool ejected =
      local_origin
          ? c->outlier->on_local_origin_failure(
                host,
                timeout ? proxy::OutlierDetector::LocalOriginFailure::Timeout
                        : proxy::OutlierDetector::LocalOriginFailure::ConnectFailed,
                sim_.now())
          : c->outlier->on_response(host, status, sim_.now());
  if (!ejected) return;
  c->lb.set_ejected(host, true);
  sink_->on_event({sim_.now(), "host_ejected", std::string(c->endpoints[host].pod_name),
                   std::string(p.name) + " " + std::string(c->name)});
}

// The detector's interval timer (§10.4): returns hosts whose ejection time is over, decays
// multipliers, and re-arms while the run goes on.
void MeshImpl::on_outlier_tick(std::uint64_t index) {
  ClusterRt& c = *outlier_clusters_[index];
  c.outlier->on_interval(sim_.now(), returned_hosts_);
  for (std::uint32_t host : returned_hosts_) {
    c.lb.set_ejected(host, false);
    sink_->on_event({sim_.now(), "host_returned", std::string(c.endpoints[host].pod_name),
                     std::string(proxies_[c.proxy].name) + " " + std::string(c.name)});
  }
  if (pending_arrivals_ == 0 && client_in_flight_ == 0) return;  // the run is draining out
  sim_.schedule_in(c.outlier->interval(),
                   &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_outlier_tick>, this, index);
}

void MeshImpl::release_retry(Stream& s) {
  s.router.release_retry(s.crt ? &s.crt->counters() : nullptr);
}

// The request leaves the caller's sidecar for the server pod (pool ready: the per-try timer
// starts here, §4.2).
void MeshImpl::send_to_server(std::uint32_t slot) {
  Stream& s = streams_[slot];
  const std::uint32_t dest = s.dest_pod;
  if (const SimTime per_try = s.router.per_try_timeout(s.route); per_try > 0)
    s.per_try_timer.arm_in(per_try, slot);
  const std::uint32_t req = server_reqs_.acquire();
  ServerReq& r = server_reqs_[req];
  r.pod = dest;
  r.stream = slot;
  r.stream_gen = s.gen;
  r.request_id = s.request_id;
  r.span_id = s.span_id;
  r.depth = static_cast<std::uint16_t>(s.depth + 1);
  r.sampled = s.sampled;
  r.headers = s.headers;
  r.step = 0;
  r.outstanding = 0;
  r.call_failed = false;
  r.failure_status = 0;
  r.degraded = 0;
  r.response_code = 0;
  r.holds_worker = false;
  r.reply = ServerReq::Reply::Response;
  r.grpc_status = -1;
  r.upstream_flags = 0;
  r.failure = nullptr;
  r.hung = false;
  r.finished = false;
  r.inbound_counted = false;
  r.via = s.crt ? s.crt->cluster : nullptr;
  r.target = s.target;
  // The pod port it arrives on: the endpoint's (a Service's targetPort), or for ORIGINAL_DST
  // the port the app dialled.
  r.port = s.host != proxy::kNoHost && s.crt && s.crt->cluster->type != xds::Cluster::Type::OriginalDst
               ? s.crt->cluster->endpoints[static_cast<std::size_t>(s.host)].port
               : s.target->port;
  s.server_req = req;
  s.server_gen = r.gen;
  sim_.schedule_in(network_leg(pods_[s.src_pod], &pods_[dest]),
                   &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_server_arrival>, this,
                   pack(req, r.gen));
}

void MeshImpl::on_backoff_done(std::uint64_t slot) { start_attempt(static_cast<std::uint32_t>(slot)); }

// Ends the attempt in flight (if any) at the caller: frees its pool slot and detaches the
// server-side request, whose eventual response is then dropped.
void MeshImpl::end_attempt(std::uint32_t slot, int code, std::uint32_t flags, bool reset_upstream) {
  Stream& s = streams_[slot];
  if (!s.attempt_in_flight) return;
  s.attempt_in_flight = false;
  s.per_try_timer.cancel();
  release_upstream(slot, reset_upstream);
  if (s.server_req != kNone && server_reqs_[s.server_req].gen == s.server_gen) {
    ServerReq& r = server_reqs_[s.server_req];
    r.stream = kNone;
    // A hung app learns that its caller went away when Envoy resets the inbound stream.
    if (r.hung) free_server_req(s.server_req);
  }
  s.server_req = kNone;
  emit_span(s, s.owner == Owner::Shadow ? SpanKind::Shadow : SpanKind::Attempt, s.attempt_start,
            code, flags);
  s.upstream_flags = 0;
}

void MeshImpl::on_route_timeout(std::uint64_t slot) {
  Stream& s = streams_[static_cast<std::uint32_t>(slot)];
  s.backoff_timer.cancel();
  s.flags |= flag::kUpstreamRequestTimeout;
  if (s.attempt_in_flight && s.conn != kNone) report_outlier(s, 504, true, true);  // §4.1
  end_attempt(static_cast<std::uint32_t>(slot), 504, s.flags, true);
  finish_stream(static_cast<std::uint32_t>(slot), 504, s.flags);  // §4.1
}

void MeshImpl::on_per_try_timeout(std::uint64_t slot) {
  proxy::AttemptResult result;
  result.outcome.kind = proxy::AttemptOutcome::Kind::PerTryTimeout;
  result.code = 504;
  result.flags = flag::kUpstreamRequestTimeout;
  decide_after_attempt(static_cast<std::uint32_t>(slot), result);  // §4.2
}

void MeshImpl::local_reply(std::uint32_t slot, int code, std::uint32_t flags) {
  Stream& s = streams_[slot];
  s.flags |= flags;
  emit_span(s, SpanKind::LocalReply, sim_.now(), code, s.flags);
  finish_stream(slot, code, s.flags);
}

// What the caller's router saw of the server side (proxy::classify_attempt), then its decision.
void MeshImpl::on_attempt_result(std::uint32_t slot, const ServerReq& r) {
  Stream& s = streams_[slot];
  s.degraded = r.degraded;
  s.upstream_flags = r.upstream_flags;
  decide_after_attempt(slot, proxy::classify_attempt(r.reply, r.response_code, r.grpc_status,
                                                     s.crt->limits().http2,
                                                     s.target->transport == Target::Transport::Tcp));
}

// After an attempt (§5.2): the outlier detector hears of it, the router decides (retry after a
// backoff, or finish with this result: URX when retries ran out, UO when the retry breaker
// refused).
void MeshImpl::decide_after_attempt(std::uint32_t slot, const proxy::AttemptResult& result) {
  Stream& s = streams_[slot];
  release_retry(s);  // an active retry is held until the retried attempt is decided
  if (const proxy::OutlierInput in = proxy::outlier_input(result.outcome); in.report)
    report_outlier(s, in.status, in.local_origin, in.timeout);
  ClusterRt* c = s.crt;
  const proxy::Router::Verdict verdict = s.router.decide_after_attempt(
      result, s.flags, c ? &c->counters() : nullptr, c ? &c->limits() : nullptr);
  // A reset or timeout closes an HTTP/1.1 connection; a response leaves it reusable.
  end_attempt(slot, result.code, verdict.flags,
              result.outcome.kind != proxy::AttemptOutcome::Kind::Response);
  if (verdict.decision == proxy::RetryState::Decision::Retry) {
    if (c) s.router.hold_retry(c->counters());
    s.backoff_timer.arm_in(s.router.next_backoff(proxies_[s.proxy].route_rng), slot);
    return;
  }
  s.flags = verdict.flags;
  finish_stream(slot, result.code, verdict.flags);
}

void MeshImpl::finish_stream(std::uint32_t slot, int code, std::uint32_t flags) {
  Stream& s = streams_[slot];
  release_retry(s);
  s.route_timer.cancel();
  s.per_try_timer.cancel();
  s.backoff_timer.cancel();
  emit_hop(s, code, flags);
  // The response passes back through the caller's sidecar to the app.
  const SimTime delay = s.proxy == kNone ? 0 : overhead(proxies_[s.proxy]);
  s.flags = flags;
  s.final_code = code;
  if (delay == 0) {
    on_stream_result(pack(slot, s.gen));
  } else {
    sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_stream_result>,
                     this, pack(slot, s.gen));
  }
}

// One record per stream at a caller-side proxy: Istio's source-reporter request (§3.3).
void MeshImpl::emit_hop(const Stream& s, int code, std::uint32_t flags) {
  if (s.proxy == kNone || s.owner == Owner::Shadow) return;
  telemetry::HopRecord hop;
  hop.start = s.start;
  hop.duration = sim_.now() - s.start;
  hop.source_workload = pods_[s.src_pod].workload;
  hop.destination_service = destination_service(s);
  if (s.dest_pod != kNone) {
    hop.destination_workload = pods_[s.dest_pod].workload;
    hop.destination_version = pods_[s.dest_pod].version;
    hop.destination_pod = pods_[s.dest_pod].name;
  } else {
    hop.destination_workload = hop.destination_version = hop.destination_pod = unknown_;
  }
  hop.response_code = code;
  hop.response_flags = flags;
  hop.peers = peer_labels(s);
  sink_->on_hop(hop);
  if (analysis_keep_ > 0) {
    analysis_log_.push_back({sim_.now(), hop.duration, hop.source_workload,
                             hop.destination_service, hop.destination_version, is_success(code),
                             telemetry::is_non5xx(code)});
    while (!analysis_log_.empty() && analysis_log_.front().end < sim_.now() - analysis_keep_)
      analysis_log_.pop_front();
  }
}

// Istio's default auto-mTLS: a caller-side proxy sends mTLS when the endpoint it picked has an
// Istio proxy (a sidecar or a gateway); hosts outside the mesh and pods without a sidecar get
// plain text. Principals are only known over mTLS (they come from the certificates), as in
// Istio's telemetry; otherwise they read `unknown`.
telemetry::PeerLabels MeshImpl::peer_labels(const Stream& s) const {
  telemetry::PeerLabels p;
  const PodRt& src = pods_[s.src_pod];
  p.source_namespace = src.namespace_;
  p.source_app = src.app_label;
  p.source_version = src.version;
  const PodRt* dst = s.dest_pod != kNone ? &pods_[s.dest_pod] : nullptr;
  p.destination_namespace = dst ? dst->namespace_ : unknown_;
  p.destination_app = dst ? dst->app_label : unknown_;
  p.secure = dst && !dst->outside && dst->proxy != kNone && s.proxy != kNone;
  p.source_principal = p.secure ? src.principal : unknown_;
  p.destination_principal = p.secure ? dst->principal : unknown_;
  p.request_protocol = http_;
  if (s.target && s.target->is_connection()) {
    p.request_protocol = tcp_;
  } else if (s.target && s.target->service) {
    for (const auto& port : s.target->service->ports) {
      if (port.port == s.target->port) {
        if (port.protocol == registry::Protocol::GRPC) p.request_protocol = grpc_;
        break;
      }
    }
  }
  return p;
}

void MeshImpl::on_stream_result(std::uint64_t arg) {
  const std::uint32_t slot = slot_of(arg);
  Stream& s = streams_[slot];
  if (s.gen != gen_of(arg)) return;
  const int code = s.final_code;
  if (s.owner == Owner::Shadow) {
    // Fire and forget: the response of a mirrored request is dropped (§3.5).
  } else if (s.owner == Owner::GatewayForward) {
    gateway_forward_done(s.owner_slot, s.owner_gen, code, s.flags);
  } else if (s.owner == Owner::Client) {
    ClientReq& r = client_reqs_[s.owner_slot];
    if (r.gen == s.owner_gen) finish_client(s.owner_slot, code, s.flags, s.degraded);
  } else {
    AppCall& c = app_calls_[s.owner_slot];
    if (c.gen == s.owner_gen) {
      c.stream = kNone;
      app_call_done(s.owner_slot, code, s.flags, s.degraded);
    }
  }
  streams_.release(slot);
  maybe_stop();
}

void MeshImpl::reset_stream_from_downstream(std::uint32_t slot) {
  Stream& s = streams_[slot];
  // Envoy logs the attempt the app abandoned with code 0 and DC (docs/design.md §3.2); the server
  // keeps working and its response is dropped on arrival.
  s.flags |= flag::kDownstreamConnectionTermination;
  release_retry(s);
  end_attempt(slot, 0, s.flags, true);
  s.route_timer.cancel();
  s.per_try_timer.cancel();
  s.backoff_timer.cancel();
  emit_hop(s, 0, s.flags);
  streams_.release(slot);
  maybe_stop();
}

// ====================================================================== server pods

void MeshImpl::on_server_arrival(std::uint64_t arg) {
  const std::uint32_t req = slot_of(arg);
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg)) return;
  PodRt& pod = pods_[r.pod];
  if (!pod.alive) {
    // The pod crashed: a request on a connection opened before dies with a reset (§14 UC).
    r.reply = ServerReq::Reply::ResetBeforeHeaders;
    respond(req, 0);
    return;
  }
  if (r.stream != kNone && streams_[r.stream].gen == r.stream_gen)
    streams_[r.stream].attempt_reached = true;
  if (pod.proxy != kNone) {
    proxy::InboundGate& in = pod.inbound;
    if (!in.resolved()) in.resolve(*proxies_[pod.proxy].config, r.via);
    switch (in.admit(req)) {
      case proxy::InboundGate::Admit::Pass:
        break;
      case proxy::InboundGate::Admit::Enter:
        r.inbound_counted = true;
        break;
      case proxy::InboundGate::Admit::Wait:
        return;
      case proxy::InboundGate::Admit::Overflow:
        // The server sidecar's own breaker: a 503 that its log marks UO (§9.3).
        r.upstream_flags = flag::kUpstreamOverflow;
        respond(req, 503);
        return;
    }
  }
  enter_app(req);
}

void MeshImpl::enter_app(std::uint32_t req) {
  ServerReq& r = server_reqs_[req];
  PodRt& pod = pods_[r.pod];
  const SimTime delay = pod.proxy == kNone ? 0 : overhead(proxies_[pod.proxy]);
  if (delay == 0) {
    on_app_arrival(pack(req, r.gen));
  } else {
    sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_app_arrival>, this,
                     pack(req, r.gen));
  }
}

void MeshImpl::on_app_arrival(std::uint64_t arg) {
  const std::uint32_t req = slot_of(arg);
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg) || r.finished) return;
  PodRt& pod = pods_[r.pod];
  if (pod.gateway) {
    forward_at_gateway(req);
    return;
  }
  const AppRt* app = pod.app;
  if (!app) {
    respond(req, 200);  // an app not listed answers 200 at once (docs/design.md §3.2)
    return;
  }
  const FailureRt* failure = app::draw_failure(*app, pod.failure_rng);
  if (failure && failure->kind == app::Failure::Kind::Refuse) {
    // The app's listener refuses the connection. Behind a sidecar the inbound route retries
    // reset-before-request twice (Istio ≥ 1.24, §5.1, §16 step 9), each a fresh try of the app;
    // if all are refused the sidecar itself answers 503 (UF,URX in its log). Without a
    // sidecar the caller sees the refused connection.
    const int tries = pod.proxy != kNone && inbound_retries_ ? 3 : 1;
    for (int t = 1; t < tries && failure && failure->kind == app::Failure::Kind::Refuse; ++t)
      failure = app::draw_failure(*app, pod.failure_rng);
    if (failure && failure->kind == app::Failure::Kind::Refuse) {
      if (pod.proxy != kNone) {
        r.upstream_flags = flag::kUpstreamConnectionFailure |
                           (tries > 1 ? flag::kUpstreamRetryLimitExceeded : 0u);
        respond(req, 503);
      } else {
        r.reply = ServerReq::Reply::ConnectFailure;
        respond(req, 0);
      }
      return;
    }
  }
  r.failure = failure;
  if (failure && failure->kind == app::Failure::Kind::Status) r.failure_status = failure->status;
  if (pod.workers.take_or_wait(req, app->workers)) begin_service(req);
}

void MeshImpl::begin_service(std::uint32_t req) {
  ServerReq& r = server_reqs_[req];
  PodRt& pod = pods_[r.pod];
  r.holds_worker = true;  // the caller took a worker for it
  sim_.schedule_in(app::draw_service_time(*pod.app, pod.service_rng),
                   &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_service_done>, this,
                   pack(req, r.gen));
}

void MeshImpl::on_service_done(std::uint64_t arg) {
  const std::uint32_t req = slot_of(arg);
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg) || r.finished) return;
  // A failing request makes no calls (docs/design.md §3.2).
  if (const FailureRt* f = r.failure) {
    switch (f->kind) {
      case app::Failure::Kind::Status:
        respond(req, f->status);
        return;
      case app::Failure::Kind::Grpc:
        r.grpc_status = f->grpc_status;  // a trailers-only gRPC error: HTTP 200 + grpc-status
        respond(req, 200);
        return;
      case app::Failure::Kind::Reset:
        r.reply = f->after_headers ? ServerReq::Reply::ResetAfterHeaders
                                   : ServerReq::Reply::ResetBeforeHeaders;
        r.upstream_flags = flag::kUpstreamConnectionTermination;
        respond(req, f->after_headers ? 200 : 0);
        return;
      case app::Failure::Kind::Hang:
        // Holds its worker and never answers, until the caller gives up (end_attempt).
        r.hung = true;
        if (r.stream == kNone) free_server_req(req);
        return;
      case app::Failure::Kind::Refuse:
        break;  // handled on arrival
    }
  }
  run_step(req);
}

void MeshImpl::release_worker(std::uint32_t req) {
  ServerReq& r = server_reqs_[req];
  if (!r.holds_worker) return;
  r.holds_worker = false;
  PodRt& pod = pods_[r.pod];
  if (const std::uint32_t next = pod.workers.release(); next != app::Workers::kNone) {
    pod.workers.take();
    begin_service(next);
  }
}

void MeshImpl::free_server_req(std::uint32_t req) {
  release_worker(req);
  server_reqs_.release(req);
  maybe_stop();
}

void MeshImpl::run_step(std::uint32_t req) {
  ServerReq& r = server_reqs_[req];
  const AppRt& app = *pods_[r.pod].app;
  if (r.step >= app.steps.size()) {
    respond(req, r.call_failed ? app.error_status : 200);
    return;
  }
  const StepRt& step = app.steps[r.step];
  r.outstanding = static_cast<int>(step.calls.size());
  const std::uint32_t gen = r.gen;
  for (const CallRt& call : step.calls) {
    const std::uint32_t c = app_calls_.acquire();
    AppCall& ac = app_calls_[c];
    ac.server_req = req;
    ac.server_gen = gen;
    ac.call = &call;
    ac.attempt = 0;
    ac.stream = kNone;
    start_app_call_attempt(c);
  }
}

void MeshImpl::start_app_call_attempt(std::uint32_t call) {
  AppCall& c = app_calls_[call];
  ++c.attempt;
  const ServerReq& r = server_reqs_[c.server_req];
  // A call cycle (A → A, A → B → A) would otherwise never end: bound the depth of the call
  // chain and the size of one request's call tree (docs/scenario-reference.md "Limits").
  if (r.depth >= spec_.max_call_depth) {
    cut_app_call(call, "call_depth_exceeded");
    return;
  }
  if (++calls_per_request_[r.request_id] > kMaxCallsPerRequest) {
    cut_app_call(call, "call_limit_exceeded");
    return;
  }
  HeaderSet headers;
  for (std::string_view name : c.call->forward_headers) {
    if (auto value = r.headers.get(name)) headers.add(name, *value);
  }
  if (c.call->spec->timeout > 0) c.timeout.arm_in(c.call->spec->timeout, call);
  c.stream = open_stream(Owner::AppCall, call, c.gen, r.pod, r.request_id, r.span_id, c.attempt,
                         r.sampled, c.call->target, headers);
  c.stream_gen = streams_[c.stream].gen;
  streams_[c.stream].depth = r.depth;
  launch_stream(c.stream);  // may finish at once (a local reply) and re-enter app_call_done
}

void MeshImpl::cut_app_call(std::uint32_t call, std::string_view outcome) {
  AppCall& c = app_calls_[call];
  const ServerReq& r = server_reqs_[c.server_req];
  request_outcome_.emplace(r.request_id, outcome);
  const PodRt& pod = pods_[r.pod];
  if (pod.proxy != kNone) {
    // A span row for the call that was not made, so the cut is visible where it happened. It
    // carries no Envoy code or flag: Envoy never saw this call.
    telemetry::SpanRecord sp;
    sp.request_id = r.request_id;
    sp.span_id = next_span_id_++;
    sp.parent_span_id = r.span_id;
    sp.kind = SpanKind::LocalReply;
    sp.source_workload = pod.workload;
    sp.source_pod = pod.name;
    sp.destination_service = c.call->target.authority;
    sp.destination_version = sp.destination_workload = sp.destination_pod = unknown_;
    sp.cluster = sp.route_name = dash_;
    sp.app_attempt = c.attempt;
    sp.start = sim_.now();
    sp.sampled = r.sampled;
    sp.sim_outcome = outcome;
    sink_->on_span(sp);
  }
  app_call_done(call, 0, 0, 0);
}

void MeshImpl::on_app_call_timeout(std::uint64_t slot) {
  const auto call = static_cast<std::uint32_t>(slot);
  AppCall& c = app_calls_[call];
  if (c.stream != kNone && streams_[c.stream].gen == c.stream_gen) {
    const std::uint32_t stream = c.stream;
    c.stream = kNone;
    reset_stream_from_downstream(stream);
  }
  app_call_done(call, 0, flag::kDownstreamConnectionTermination, 0);
}

void MeshImpl::app_call_done(std::uint32_t call, int code, std::uint32_t flags, int degraded) {
  AppCall& c = app_calls_[call];
  c.timeout.cancel();
  c.stream = kNone;
  ServerReq& r = server_reqs_[c.server_req];
  if (r.gen != c.server_gen || r.finished) {
    app_calls_.release(call);  // the calling pod died meanwhile: nobody waits for this
    return;
  }
  // A status the app accepts, and a body that was not cut off by a reset.
  constexpr std::uint32_t kTruncated = flag::kUpstreamConnectionTermination |
                                       flag::kUpstreamRemoteReset | flag::kLocalReset |
                                       flag::kDownstreamConnectionTermination;
  switch (app::judge_call(code, (flags & kTruncated) != 0, c.attempt, c.call->spec->attempts,
                          c.call->spec->on_failure == CallSpec::OnFailure::Continue)) {
    case app::CallVerdict::Ok:
      r.degraded += degraded;
      break;
    case app::CallVerdict::Retry:
      start_app_call_attempt(call);  // the app's own retry
      return;
    case app::CallVerdict::Degraded:
      r.degraded += 1 + degraded;
      break;
    case app::CallVerdict::Failed:
      r.degraded += degraded;
      r.call_failed = true;
      break;
  }
  const std::uint32_t req = c.server_req;
  app_calls_.release(call);
  if (--r.outstanding > 0) return;
  if (r.call_failed) {
    respond(req, pods_[r.pod].app->error_status);
    return;
  }
  ++r.step;
  run_step(req);
}

// A request that reached a gateway pod from inside the mesh (a sidecar sending to an egress
// gateway, or to the ingress gateway's Service): the gateway's Envoy routes it on with its own
// listeners and routes, as for a client entering there (§11), and its answer goes back.
void MeshImpl::forward_at_gateway(std::uint32_t req) {
  ServerReq& r = server_reqs_[req];
  PodRt& pod = pods_[r.pod];
  const Target* from = r.target;
  const auto key = std::make_tuple(from, r.port, r.pod);
  auto it = forward_index_.find(key);
  if (it == forward_index_.end()) {
    Target& t = forward_targets_.emplace_back(*from);
    t.port = r.port;
    t.address = pod.ip;
    it = forward_index_.emplace(key, &t).first;
  }
  const std::uint32_t stream = open_stream(Owner::GatewayForward, req, r.gen, r.pod, r.request_id,
                                           r.span_id, 1, r.sampled, *it->second, r.headers);
  streams_[stream].depth = r.depth;  // a gateway hop counts towards spec.maxCallDepth too
  launch_stream(stream);  // may finish at once (a local reply) and re-enter gateway_forward_done
}

void MeshImpl::gateway_forward_done(std::uint32_t req, std::uint32_t gen, int code, std::uint32_t flags) {
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen || r.finished) return;  // the gateway pod died meanwhile
  r.upstream_flags = flags;  // what the gateway logged
  if (code == 0) {
    r.reply = ServerReq::Reply::ResetBeforeHeaders;  // no response: the caller sees a reset
  }
  respond(req, code);
}

void MeshImpl::respond(std::uint32_t req, int code) {
  ServerReq& r = server_reqs_[req];
  r.response_code = code;
  r.finished = true;
  release_worker(req);
  if (r.inbound_counted) {
    r.inbound_counted = false;
    proxy::InboundGate& in = pods_[r.pod].inbound;
    in.leave();
    for (std::uint32_t next; (next = in.next_waiting()) != proxy::InboundGate::kNone;) {
      if (server_reqs_[next].finished) continue;
      in.enter();
      server_reqs_[next].inbound_counted = true;
      enter_app(next);
      break;
    }
  }
  PodRt& pod = pods_[r.pod];
  const SimTime delay =
      (pod.proxy == kNone ? 0 : overhead(proxies_[pod.proxy])) + network_leg(pod);
  sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_response_at_caller>,
                   this, pack(req, r.gen));
}

void MeshImpl::on_response_at_caller(std::uint64_t arg) {
  const std::uint32_t req = slot_of(arg);
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg)) return;
  const std::uint32_t stream = r.stream;
  const bool live = stream != kNone && streams_[stream].gen == r.stream_gen &&
                    streams_[stream].server_req == req;
  if (!live) {
    server_reqs_.release(req);
    maybe_stop();  // the caller reset this attempt meanwhile
    return;
  }
  if (streams_[stream].proxy == kNone) {
    // No sidecar at the caller: the app sees the server's answer, or a failed connection.
    Stream& s = streams_[stream];
    s.attempt_in_flight = false;
    s.server_req = kNone;
    s.degraded = r.degraded;
    const bool answered = r.reply == ServerReq::Reply::Response ||
                          r.reply == ServerReq::Reply::ResetAfterHeaders;
    int code = answered ? r.response_code : 0;
    std::uint32_t flags = r.reply == ServerReq::Reply::Response ? 0
                          : r.reply == ServerReq::Reply::ConnectFailure
                              ? flag::kUpstreamConnectionFailure
                              : flag::kUpstreamConnectionTermination;
    if (s.target->transport == Target::Transport::Tcp &&
        (r.reply != ServerReq::Reply::Response || !is_success(code))) {
      // A raw TCP connection that failed reads as it does behind a sidecar (503 UF / UC).
      code = 503;
      if (flags == 0) flags = flag::kUpstreamConnectionTermination;
    }
    server_reqs_.release(req);
    finish_stream(stream, code, flags);
    return;
  }
  on_attempt_result(stream, r);
  server_reqs_.release(req);
  maybe_stop();
}

// ====================================================================== run

void MeshImpl::on_drain_deadline(std::uint64_t) {
  record_unfinished();
  sim_.stop();
}

// Requests still in flight when the run ends early (the drain bound, an interrupt): each
// attempt in flight gets its span and each client request its row, with code 0, no Envoy flag
// and sim_outcome "unfinished", so that nothing that was sent goes missing from the results.
void MeshImpl::record_unfinished() {
  span_outcome_ = "unfinished";
  streams_.for_each_in_use([&](std::uint32_t slot) {
    Stream& s = streams_[slot];
    if (s.attempt_in_flight) emit_span(s, SpanKind::Attempt, s.attempt_start, 0, 0);
  });
  client_reqs_.for_each_in_use([&](std::uint32_t slot) { finish_client(slot, 0, 0, 0); });
  span_outcome_ = {};
}

RunStats MeshImpl::run(telemetry::Sink& sink, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  sink_ = &sink;
  telemetry::RunInfo info;
  info.scenario = spec_.name.empty() ? spec_.path : spec_.name;
  info.seed = seed_;
  info.duration = spec_.duration;
  info.meshtwin_version = options.meshtwin_version;
  info.metrics_interval = spec_.record.metrics_interval;
  info.inputs.emplace_back(spec_.path, spec_.text);
  for (const auto& m : spec_.manifests) {
    std::vector<std::string> files;
    collect_manifest_files(m, files);
    for (const auto& f : files) info.inputs.emplace_back(f, read_file(f));
  }
  sink.begin_run(info);

  for (const ProxyRt& p : proxies_) {
    sink.on_event({0, "config_applied", std::string(p.name), "1"});
  }
  for (std::uint32_t i = 0; i < clients_.size(); ++i)
    if (clients_[i].has_rate) start_client(i, clients_[i].spec->start);

  schedule_timeline();
  // The drain bound: a request that outlives the clients by more than spec.drain (a 1000 h
  // service time, a hang without timeouts) would otherwise hold the run open for as long.
  SimTime deadline;
  if (__builtin_add_overflow(spec_.duration, spec_.drain, &deadline)) deadline = engine::kNever;
  if (deadline != engine::kNever)
    sim_.schedule_at(deadline, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_drain_deadline>, this, 0);

  const SimTime interval = std::max<SimTime>(options.progress_interval, engine::kMillisecond);
  SimTime next = interval;
  sim_.set_stop_token(options.stop);
  while (sim_.pending() > 0 && !sim_.stopped() && !sim_.stop_requested()) {
    sim_.run(next);
    if (options.progress) {
      options.progress({sim_.now(), spec_.duration, stats_.client_requests, client_in_flight_});
    }
    next += interval;
    // Idle time is free: when nothing is scheduled before the next progress boundary, jump to
    // the boundary after the next event instead of stepping through empty intervals.
    const SimTime upcoming = sim_.next_time();
    if (upcoming != engine::kNever && upcoming > next)
      next = upcoming / interval < engine::kNever / interval - 1 ? (upcoming / interval + 1) * interval
                                                                  : engine::kNever;
  }
  stats_.interrupted = sim_.stop_requested();
  if (stats_.interrupted) record_unfinished();
  sim_.set_stop_token(nullptr);
  stats_.events_executed = sim_.events_executed();
  stats_.sim_end = sim_.now();
  stats_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  telemetry::RunEnd end;
  end.sim_end = stats_.sim_end;
  end.wall_seconds = stats_.wall_seconds;
  end.complete = !stats_.interrupted;
  sink.end_run(end);
  sink_ = nullptr;
  return stats_;
}

// ====================================================================== Mesh

Mesh::Mesh(std::unique_ptr<MeshImpl> impl) : impl_(std::move(impl)) {}
Mesh::~Mesh() = default;

std::unique_ptr<Mesh> Mesh::build(const ScenarioSpec& spec, config::Diagnostics& diags) {
  auto impl = std::make_unique<MeshImpl>();
  if (!impl->build(spec, diags)) return nullptr;
  return std::unique_ptr<Mesh>(new Mesh(std::move(impl)));
}

const config::ConfigStore& Mesh::resources() const { return impl_->store(); }
std::size_t Mesh::proxy_configs_compiled() const { return impl_->configs_compiled(); }

RunStats Mesh::run(telemetry::Sink& sink, const RunOptions& options) {
  return impl_->run(sink, options);
}

}  // namespace meshtwin::scenario
