// The scenario's story over time (docs/design.md §3.2 timeline, docs/semantics.md §13, §15): config applied
// or deleted, pods scaled, killed, started and becoming ready, app and client changes, and
// canary rollouts. Every change that alters what proxies should know is recompiled (the
// compile half) and delivered to each proxy after istiod's 100 ms debounce plus that proxy's
// own push delay, in order, so proxies disagree for a while as they do in a real mesh.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "model/config/loader.h"
#include "model/scenario/mesh_impl.h"

namespace meshtwin::scenario {

namespace {

constexpr SimDuration kDebounce = 100 * engine::kMillisecond;  // PILOT_DEBOUNCE_AFTER (§15)

std::string ns_or_default(const std::string& ns) { return ns.empty() ? "default" : ns; }

}  // namespace

// ---------------------------------------------------------------- pods and proxies

PodId MeshImpl::make_pod(std::uint32_t registry_index, const registry::Registry& reg) {
  const auto& rp = reg.pods()[registry_index];
  const std::string name = rp.namespace_ + "/" + rp.name;
  if (auto it = pod_by_name_.find(name); it != pod_by_name_.end()) return it->second;
  const PodId id = pods_.next_id();
  PodRt& pod = pods_.emplace_back(seed_, name);
  pod.name = strings_.intern(rp.name);
  pod.workload = strings_.intern(rp.workload);
  pod.namespace_ = strings_.intern(rp.namespace_);
  pod.version = strings_.intern(rp.version.empty() ? "unknown" : rp.version);
  pod.app_label = strings_.intern(rp.app.empty() ? "unknown" : rp.app);
  // Istio's default trust domain; the identity istiod issues the pod's certificate for.
  pod.principal = strings_.intern("spiffe://cluster.local/ns/" + rp.namespace_ + "/sa/" +
                                  (rp.service_account.empty() ? "default" : rp.service_account));
  pod.key = rp.namespace_ + "/" + rp.workload;
  pod.ip = strings_.intern(rp.ip);
  pod.ordinal = rp.ordinal;
  pod.gateway = rp.gateway_proxy;
  if (auto app = app_of_workload_.find(pod.key); app != app_of_workload_.end())
    pod.app = app->second;
  pod_by_name_.emplace(name, id);
  return id;
}

void MeshImpl::make_proxy(PodId pod_id, const Snapshot& snapshot) {
  PodRt& pod = pods_[pod_id];
  const ProxyId proxy_id = proxies_.next_id();
  ProxyRt& proxy = proxies_.emplace_back(seed_, std::string(pod.namespace_) + "/" + std::string(pod.name));
  proxy.index = proxy_id;
  proxy.pod = pod_id;
  proxy.name = pod.name;
  proxy.workload = pod.workload;
  vhost_cache_.clear();  // before any route table can be freed and its address reused
  proxy.config = snapshot.config;
  proxy.pod_map = snapshot.pod_map;
  proxy.registry = snapshot.registry;
  proxy.config_version = snapshot.version;
  proxy.workers = static_cast<std::uint32_t>(std::max(spec_.mesh.proxy_workers, 1));
  // The workload's own `proxyCpu` (a sidecar's or a gateway's), else the mesh's (§19.3).
  proxy.cpu_costs = spec_.mesh.proxy_cpu;
  for (const AppSpec& app : spec_.apps)
    if (app.proxy_cpu && app.workload == pod.workload &&
        (app.namespace_.empty() || app.namespace_ == pod.namespace_))
      proxy.cpu_costs = *app.proxy_cpu;
  proxy.cpu_on = !proxy.cpu_costs.zero();
  proxy.cpu = proxy::WorkerQueue(proxy.workers);
  pod.proxy = proxy.index;
}

// One compile per proxy class. Sidecars share a config when everything of them it depends on
// is equal (xds::SidecarClassifier: namespace, Sidecar, satisfied label selectors), so a mesh
// of many workloads in one namespace compiles a handful of configs, not one per workload;
// gateways by namespace and labels.
std::vector<SnapshotId> MeshImpl::compile_classes(const registry::Registry& reg, const PodMap& pod_map) {
  xds::MeshOptions mesh;
  mesh.outbound_traffic_policy = spec_.mesh.outbound_traffic_policy;
  mesh.istio_version = spec_.mesh.istio_version;
  mesh.domain = std::string(reg.domain());
  std::unordered_map<std::string, SnapshotId> classes;
  std::vector<SnapshotId> class_of_pod(reg.pods().size(), SnapshotId::none());
  const xds::SidecarClassifier classifier(store_, reg);
  for (std::uint32_t i = 0; i < reg.pods().size(); ++i) {
    const auto& rp = reg.pods()[i];
    if (!rp.has_sidecar && !rp.gateway_proxy) continue;
    xds::ProxyIdentity identity;
    identity.namespace_ = rp.namespace_;
    identity.labels = rp.labels;
    identity.workload = rp.workload;
    identity.is_gateway = rp.gateway_proxy;
    identity.ip_addresses = {rp.ip};
    std::string key;
    if (rp.gateway_proxy) {
      key = "gateway\n" + rp.namespace_;
      for (const auto& [k, v] : rp.labels) key += "\n" + k + "=" + v;
    } else {
      key = "sidecar\n" + classifier.key(identity);
    }
    if (auto it = classes.find(key); it != classes.end()) {
      class_of_pod[i] = it->second;
      continue;
    }
    class_of_pod[i] = snapshots_.next_id();
    Snapshot& snapshot = snapshots_.emplace_back();
    // A gateway is an Envoy of its own (§11); every other proxied pod has a sidecar.
    snapshot.config = rp.gateway_proxy ? xds::compile_gateway(store_, reg, identity, mesh)
                                       : xds::compile_sidecar(store_, reg, identity, mesh);
    snapshot.pod_map = &pod_map;
    snapshot.registry = &reg;
    snapshot.version = config_version_;
    configs_.push_back(snapshot.config);
    classes.emplace(std::move(key), class_of_pod[i]);
  }
  return class_of_pod;
}

// Rebuilds the registry from the current resources and pod plan, compiles every proxy class
// and sends each proxy its new config after the debounce and its own push delay (§15).
void MeshImpl::recompile_and_push() {
  config::Diagnostics diags;
  const registry::Registry& reg =
      later_registries_.emplace_back(registry::Registry::build(store_, diags, registry_.domain(), &plan_));
  kube_proxy_endpoints_.clear();  // kube-proxy sees the new endpoints at once
  PodMap& pod_map = pod_maps_.emplace_back();
  std::vector<std::uint32_t> new_pods;
  for (std::uint32_t i = 0; i < reg.pods().size(); ++i) {
    const std::size_t before = pods_.size();
    pod_map.push_back(make_pod(i, reg));
    if (pods_.size() > before) new_pods.push_back(i);
  }
  ++config_version_;
  const auto classes = compile_classes(reg, pod_map);
  // Pods started by this change get their sidecar with the current config at once.
  for (std::uint32_t i : new_pods) {
    const auto& rp = reg.pods()[i];
    const PodId pod = pod_map[i];
    sink_->on_event({sim_.now(), "pod_started", std::string(pods_[pod].name), pods_[pod].key});
    if (!rp.has_sidecar && !rp.gateway_proxy) continue;
    make_proxy(pod, snapshots_[classes[i]]);
    sink_->on_event({sim_.now(), "config_applied", std::string(pods_[pod].name),
                     std::to_string(config_version_)});
  }
  for (ProxyRt& p : proxies_) {
    if (!pods_[p.pod].alive || p.config_version == config_version_) continue;
    const registry::Pod* rp = reg.find_pod(std::string(pods_[p.pod].namespace_), std::string(p.name));
    if (!rp) continue;
    const SnapshotId snapshot = classes[static_cast<std::size_t>(rp - reg.pods().data())];
    if (!snapshot.valid()) continue;
    SimTime at = sim_.now() + kDebounce + spec_.mesh.config_push_delay.sample_duration(p.push_rng);
    at = std::max(at, p.last_push);  // a proxy applies pushes in order
    p.last_push = at;
    sim_.schedule_at(at, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_config_delivered>,
                     this, pack(p.index, snapshot.value()));
  }
}

void MeshImpl::on_config_delivered(std::uint64_t arg) {
  ProxyRt& p = proxies_[ProxyId{slot_of(arg)}];
  if (!pods_[p.pod].alive) return;
  install_snapshot(p, snapshots_[SnapshotId{gen_of(arg)}]);
}

// Envoy applies a route table atomically; clusters whose endpoints did not change keep their
// state (pools, breakers, outlier detection), changed ones start afresh (§15). Requests in
// flight finish on what they were routed with.
void MeshImpl::install_snapshot(ProxyRt& p, const Snapshot& snapshot) {
  if (snapshot.version <= p.config_version) return;
  std::unordered_map<std::string_view, std::int32_t> old_index;
  for (std::int32_t index : p.clusters.indices()) old_index.emplace(p.clusters.find(index)->name, index);
  ClusterTable next;
  for (std::size_t i = 0; i < snapshot.config->clusters.size(); ++i) {
    const xds::Cluster& cluster = snapshot.config->clusters[i];
    auto it = old_index.find(cluster.name);
    if (it == old_index.end()) continue;
    ClusterRt& old = *p.clusters.find(it->second);
    if (cluster.type == xds::Cluster::Type::OriginalDst && old.cluster->type == cluster.type) {
      // Its hosts are the destinations apps dialled, made on demand: a push changes none.
      old.set_cluster(cluster);
      next.insert(static_cast<std::int32_t>(i), p.clusters.take(it->second));
      continue;
    }
    bool same = old.hosts.size() == cluster.endpoints.size();
    std::size_t healthy = 0;
    for (std::uint32_t e = 0; same && e < cluster.endpoints.size(); ++e) {
      const auto& ep = cluster.endpoints[e];
      same = old.hosts.pod(e) == endpoint_pod(ep, *snapshot.pod_map, cluster.service_hostname);
      healthy += cluster.endpoints[e].healthy;
    }
    if (same && healthy == old.healthy_in_eds) {
      old.set_cluster(cluster);
      next.insert(static_cast<std::int32_t>(i), p.clusters.take(it->second));
    }
  }
  // Retired in the old config's cluster order, as before the table became sparse.
  for (std::int32_t index : p.clusters.indices()) {
    std::unique_ptr<ClusterRt> old = p.clusters.take(index);
    old->retired = true;
    p.retired.push_back(std::move(old));
  }
  p.clusters = std::move(next);
  vhost_cache_.clear();  // the old table may be freed now: its address may come back
  p.config = snapshot.config;
  p.pod_map = snapshot.pod_map;
  p.registry = snapshot.registry;
  p.config_version = snapshot.version;
  sink_->on_event({sim_.now(), "config_applied", std::string(p.name), std::to_string(snapshot.version)});
}

// ---------------------------------------------------------------- pod lifecycle (§13)

void MeshImpl::start_pod(const std::string& namespace_, const std::string& workload) {
  const std::string key = namespace_ + "/" + workload;
  const std::uint32_t ordinal = next_ordinal_[key]++;  // names are never reused
  plan_.by_workload[key].push_back({ordinal, false, nullptr});
  // Readiness: the container starts, then the first readiness probe passes within one probe
  // period (Kubernetes defaults: initialDelaySeconds 0, periodSeconds 10).
  engine::RngStream rng(seed_, "pod/" + key + "-" + std::to_string(ordinal) + "/readiness");
  const SimDuration ready_after =
      engine::kSecond + SimDuration::from_ns(static_cast<std::int64_t>(rng.uniform01() * 10 * 1e9));
  // The pod object exists after the next recompile; remember which one to make ready.
  pending_ready_.push_back({key, ordinal, sim_.now() + ready_after});
  sim_.schedule_in(ready_after, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_pod_ready>,
                   this, pending_ready_.size() - 1);
}

void MeshImpl::on_pod_ready(std::uint64_t index) {
  const PendingReady& pending = pending_ready_[index];
  auto& members = plan_.by_workload[pending.key];
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const registry::PodPlan::Member& m) { return m.ordinal == pending.ordinal; });
  if (it == members.end()) return;  // killed before it became ready
  it->ready = true;
  const std::string name = pending.key + "-" + std::to_string(pending.ordinal);
  sink_->on_event({sim_.now(), "pod_ready", name.substr(name.find('/') + 1), pending.key});
  if (rolling_.count(pending.key)) rolling_step(pending.key);
  recompile_and_push();
}

// Crash: the pod is gone at once; requests it holds end with a reset, new connections to it
// fail until the endpoint removal reaches each caller. Graceful: it leaves EDS now and keeps
// serving for the grace period, then whatever is left ends as in a crash.
void MeshImpl::kill_pod(PodId pod_id, bool graceful, SimDuration grace) {
  PodRt& pod = pods_[pod_id];
  if (!pod.alive || pod.terminating) return;
  auto& members = plan_.by_workload[pod.key];
  members.erase(std::remove_if(members.begin(), members.end(),
                               [&](const registry::PodPlan::Member& m) { return m.ordinal == pod.ordinal; }),
                members.end());
  sink_->on_event({sim_.now(), "pod_killed", std::string(pod.name), graceful ? "graceful" : "crash"});
  if (graceful) {
    pod.terminating = true;
    sim_.schedule_in(grace, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_pod_terminated>,
                     this, pod_id.value());
  } else {
    on_pod_terminated(pod_id.value());
  }
}

void MeshImpl::on_pod_terminated(std::uint64_t arg) {
  const PodId pod_id{static_cast<std::uint32_t>(arg)};
  PodRt& pod = pods_[pod_id];
  if (!pod.alive) return;
  pod.alive = false;
  pod.workers.drop_waiting();
  pod.inbound.drop_waiting();
  // Everything the pod still holds ends as a reset seen by its callers.
  std::vector<ServerReqId> held;
  server_reqs_.for_each_in_use([&](ServerReqId req) {
    const ServerReq& r = server_reqs_[req];
    if (r.pod == pod_id && !r.finished) held.push_back(req);
  });
  for (ServerReqId req : held) {
    ServerReq& r = server_reqs_[req];
    r.holds_worker = false;
    r.hung = false;
    r.reply = ServerReq::Reply::ResetBeforeHeaders;
    respond(req, 0);
  }
  pod.workers.clear();
}

void MeshImpl::set_replicas(const std::string& namespace_, const std::string& workload,
                            int replicas) {
  const std::string key = namespace_ + "/" + workload;
  // Live, not terminating pods of the workload, oldest first.
  std::vector<PodId> live;
  for (PodId i : pods_.ids())
    if (pods_[i].key == key && pods_[i].alive && !pods_[i].terminating) live.push_back(i);
  int count = static_cast<int>(live.size());
  for (; count < replicas; ++count) start_pod(namespace_, workload);
  // Scale-down removes the newest pods, each with Kubernetes' default 30 s grace period.
  for (auto it = live.rbegin(); it != live.rend() && count > replicas; ++it, --count)
    kill_pod(*it, true, 30 * engine::kSecond);
}

// ---------------------------------------------------------------- rolling updates

namespace {

bool same_template(const config::Workload& a, const config::Workload& b) {
  if (a.pod_labels != b.pod_labels || a.pod_annotations != b.pod_annotations) return false;
  if (a.containers.size() != b.containers.size()) return false;
  for (std::size_t i = 0; i < a.containers.size(); ++i) {
    const auto& x = a.containers[i];
    const auto& y = b.containers[i];
    if (x.name != y.name || x.image != y.image || x.ports.size() != y.ports.size()) return false;
    for (std::size_t p = 0; p < x.ports.size(); ++p)
      if (x.ports[p].name != y.ports[p].name || x.ports[p].container_port != y.ports[p].container_port)
        return false;
  }
  return true;
}

// Kubernetes' int-or-percent of `desired`: maxSurge rounds up, maxUnavailable down.
int int_or_percent(const std::string& value, int desired, bool round_up) {
  if (value.empty()) return 0;
  if (value.back() == '%') {
    const double percent = std::atof(value.c_str()) * desired / 100.0;
    return static_cast<int>(round_up ? std::ceil(percent) : std::floor(percent));
  }
  return std::atoi(value.c_str());
}

}  // namespace

// A Deployment whose pod template changed rolls out like the Deployment controller does: new
// pods are started while at most maxSurge extra exist, old ones are gracefully stopped while at
// least desired − maxUnavailable pods stay ready.
void MeshImpl::begin_rolling_updates(const std::vector<config::Workload>& before) {
  for (const config::Workload& now : store_.workloads()) {
    if (now.kind != "Deployment") continue;
    auto old = std::find_if(before.begin(), before.end(), [&](const config::Workload& w) {
      return w.meta.name == now.meta.name && w.meta.namespace_ == now.meta.namespace_;
    });
    if (old == before.end() || same_template(*old, now)) continue;
    const std::string key = now.meta.namespace_ + "/" + now.meta.name;
    auto revision = std::make_shared<const config::Workload>(*old);
    for (auto& member : plan_.by_workload[key])
      if (!member.revision) member.revision = revision;
    RollingUpdate update;
    update.desired = std::max(now.replicas, 0);
    update.max_surge = int_or_percent(now.max_surge, update.desired, true);
    update.max_unavailable = int_or_percent(now.max_unavailable, update.desired, false);
    if (update.max_surge == 0 && update.max_unavailable == 0) update.max_surge = 1;
    rolling_[key] = update;
    sink_->on_event({sim_.now(), "rollout_started", key, "deployment template changed"});
    rolling_step(key);
  }
}

void MeshImpl::rolling_step(std::string key) {  // by value: start_pod grows pending_ready_
  const RollingUpdate update = rolling_[key];
  const auto slash = key.find('/');
  const std::string ns = key.substr(0, slash), workload = key.substr(slash + 1);
  // Start and stop until neither is allowed: a stopped old pod makes room for a new one.
  for (bool changed = true; changed;) {
    changed = false;
    int old_total = 0, old_ready = 0, new_total = 0, new_ready = 0;
    std::vector<PodId> old_pods;  // oldest first
    for (const auto& m : plan_.by_workload[key]) {
      (m.revision ? old_total : new_total) += 1;
      if (m.ready) (m.revision ? old_ready : new_ready) += 1;
      if (!m.revision) continue;
      auto it = pod_by_name_.find(key + "-" + std::to_string(m.ordinal));
      if (it != pod_by_name_.end()) old_pods.push_back(it->second);
    }
    if (old_total == 0 && new_ready >= update.desired) {
      rolling_.erase(key);
      sink_->on_event({sim_.now(), "rollout_finished", key, ""});
      return;
    }
    if (old_total + new_total < update.desired + update.max_surge && new_total < update.desired) {
      start_pod(ns, workload);
      changed = true;
      continue;
    }
    if (!old_pods.empty() && old_ready + new_ready - 1 >= update.desired - update.max_unavailable) {
      kill_pod(old_pods.front(), true, 30 * engine::kSecond);
      changed = true;
    }
  }
}

// ---------------------------------------------------------------- timeline entries

bool MeshImpl::build_timeline(config::Diagnostics& diags) {
  // Pods are never reused (a scaled-up pod continues the ordinals and stays in the results), so
  // a timeline that scales up and down again and again would grow without bound: count every
  // pod the run can start, before it starts (docs/scenario-reference.md "Limits").
  std::map<std::string, std::int64_t> replicas;
  for (const PodRt& pod : pods_)
    if (pod.alive) ++replicas[std::string(pod.key)];
  std::int64_t started = static_cast<std::int64_t>(pods_.size());
  auto over_budget = [&](const TimelineEntry& e, std::size_t i, const char* what) {
    if (started <= kMaxPodsPerRun) return false;
    diags.error(e.location, "spec.timeline[" + std::to_string(i) + "]." + what,
                "the run would start more than " + std::to_string(kMaxPodsPerRun) +
                    " pods by this entry (pods are never reused: each scale-up, kill replacement and "
                    "rolling update starts new ones); use fewer or smaller steps");
    return true;
  };
  // Manifests the timeline applies must load cleanly now, not fail half-way through a run.
  for (std::size_t i = 0; i < spec_.timeline.size(); ++i) {
    const TimelineEntry& e = spec_.timeline[i];
    if (e.scale) {
      std::int64_t& n = replicas[ns_or_default(e.scale->namespace_) + "/" + e.scale->deployment];
      started += std::max<std::int64_t>(0, e.scale->replicas - n);
      n = e.scale->replicas;
      if (over_budget(e, i, "scale")) return false;
    }
    if (e.kill) {
      started += e.kill->pods.empty() ? e.kill->count : static_cast<std::int64_t>(e.kill->pods.size());
      if (over_budget(e, i, "kill")) return false;
    }
    if (e.apply.empty() && e.remove.empty()) continue;
    config::ConfigStore scratch;
    config::load_paths(e.apply, scratch, diags, manifest_options());
    config::load_paths(e.remove, scratch, diags, manifest_options());
    if (diags.has_errors()) return false;
    // At most a whole new set of pods per applied workload (a rolling update replaces them all).
    for (const config::Workload& w : scratch.workloads()) started += w.replicas;
    if (over_budget(e, i, "apply")) return false;
  }
  for (std::size_t i = 0; i < spec_.timeline.size(); ++i) {
    const TimelineEntry& e = spec_.timeline[i];
    for (const auto& change : e.app) {
      bool found = false;
      for (const PodRt& pod : pods_)
        found |= pod.workload == change.workload &&
                 (change.namespace_.empty() || pod.namespace_ == change.namespace_);
      // A name with a dot that no workload has is a host outside the mesh (spec.externals).
      const bool outside = !found && change.namespace_.empty() &&
                           change.workload.find('.') != std::string::npos;
      if (outside && change.calls) {
        diags.error(e.location, "spec.timeline[" + std::to_string(i) + "].app." + change.workload + ".calls",
                    "\"" + change.workload + "\" is a host outside the mesh; it makes no calls");
        return false;
      }
      if (!found && !outside) {
        diags.error(e.location, "spec.timeline[" + std::to_string(i) + "].app." + change.workload,
                    "no workload \"" + change.workload + "\" is in the manifests");
        return false;
      }
    }
    for (const auto& change : e.client) {
      const bool found = std::any_of(clients_.begin(), clients_.end(),
                                     [&](const ClientRt& c) { return c.name == change.client; });
      if (!found) {
        diags.error(e.location, "spec.timeline[" + std::to_string(i) + "].client." + change.client,
                    "no client named \"" + change.client + "\" in spec.clients");
        return false;
      }
    }
  }
  // Rollouts expand into weight changes at the times their pauses give (Argo setWeight steps).
  for (std::size_t r = 0; r < spec_.rollouts.size(); ++r) {
    const RolloutSpec& rollout = spec_.rollouts[r];
    const std::string ns = ns_or_default(rollout.namespace_);
    const bool exists = std::any_of(
        store_.virtual_services().begin(), store_.virtual_services().end(),
        [&](const config::VirtualService& vs) { return vs.meta.name == rollout.virtual_service && vs.meta.namespace_ == ns; });
    if (!exists) {
      diags.error(rollout.location, "spec.rollout.virtualService",
                  "no VirtualService " + ns + "/" + rollout.virtual_service +
                      " in the manifests; the rollout rewrites its first http route");
      return false;
    }
    if (!rollout.analysis.empty()) analysis_keep_ = std::max(analysis_keep_, rollout.analysis_window);
    SimTime t = rollout.start;
    for (const auto& step : rollout.steps) {
      if (step.weight) rollout_actions_.push_back({t, r, *step.weight});
      if (step.pause) t += *step.pause;
    }
  }
  return true;
}

bool MeshImpl::client_step(const TimelineEntry& e) const {
  return !e.client.empty() && e.at < SimTime{} + spec_.duration;
}

void MeshImpl::schedule_timeline() {
  for (std::size_t i = 0; i < spec_.timeline.size(); ++i) {
    // A client change may start arrivals, so the run must not end before it, even when
    // nothing else is pending (a single request done, the next fortio run still to come).
    if (client_step(spec_.timeline[i])) ++pending_arrivals_;
    sim_.schedule_at(spec_.timeline[i].at,
                     &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_timeline>, this, i);
  }
  for (std::size_t i = 0; i < rollout_actions_.size(); ++i)
    sim_.schedule_at(rollout_actions_[i].at,
                     &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_rollout_step>, this, i);
}

void MeshImpl::on_timeline(std::uint64_t index) {
  const TimelineEntry& e = spec_.timeline[index];
  bool recompile = false;
  config::Diagnostics diags;  // validated at build; nothing new can fail here
  if (!e.apply.empty()) {
    const std::vector<config::Workload> before = store_.workloads();
    config::load_paths(e.apply, store_, diags, manifest_options());
    begin_rolling_updates(before);
    recompile = true;
  }
  if (!e.remove.empty()) {
    config::ConfigStore doomed;
    config::load_paths(e.remove, doomed, diags, manifest_options());
    for (const auto& vs : doomed.virtual_services()) store_.remove("VirtualService", vs.meta.namespace_, vs.meta.name);
    for (const auto& dr : doomed.destination_rules()) store_.remove("DestinationRule", dr.meta.namespace_, dr.meta.name);
    for (const auto& gw : doomed.gateways()) store_.remove("Gateway", gw.meta.namespace_, gw.meta.name);
    for (const auto& se : doomed.service_entries()) store_.remove("ServiceEntry", se.meta.namespace_, se.meta.name);
    for (const auto& sc : doomed.sidecars()) store_.remove("Sidecar", sc.meta.namespace_, sc.meta.name);
    for (const auto& sv : doomed.services()) store_.remove("Service", sv.meta.namespace_, sv.meta.name);
    for (const auto& in : doomed.ingresses()) store_.remove("Ingress", in.meta.namespace_, in.meta.name);
    // The Gateway API kinds (HTTPRoute, GRPCRoute, TCPRoute, TLSRoute, ReferenceGrant, Gateway) are
    // also named in unmodelled(), by kind: deleting them re-translates the routes (§11.1).
    for (const auto& u : doomed.unmodelled())
      if (u.api_version.starts_with("gateway.networking.k8s.io/")) store_.remove(u.kind, u.meta.namespace_, u.meta.name);
    recompile = true;
  }
  if (e.scale) {
    set_replicas(ns_or_default(e.scale->namespace_), e.scale->deployment, e.scale->replicas);
    recompile = true;
  }
  if (e.kill) {
    const std::string key = ns_or_default(e.kill->namespace_) + "/" + e.kill->deployment;
    std::vector<PodId> victims;
    if (!e.kill->pods.empty()) {
      for (const auto& name : e.kill->pods) {
        auto it = pod_by_name_.find(ns_or_default(e.kill->namespace_) + "/" + name);
        if (it != pod_by_name_.end()) victims.push_back(it->second);
      }
    } else {
      // The `count` newest live pods.
      for (std::uint32_t i = static_cast<std::uint32_t>(pods_.size()); i-- > 0 &&
                                                                        static_cast<int>(victims.size()) < e.kill->count;)
        if (const PodRt& pod = pods_[PodId{i}]; pod.key == key && pod.alive && !pod.terminating)
          victims.push_back(PodId{i});
    }
    const bool graceful = e.kill->mode == TimelineEntry::Kill::Mode::Graceful;
    for (PodId pod : victims) {
      kill_pod(pod, graceful, e.kill->grace_period);
      // The Deployment controller replaces it at once.
      start_pod(std::string(pods_[pod].namespace_), std::string(pods_[pod].workload));
    }
    recompile = true;
  }
  for (const auto& change : e.app) {
    if (change.namespace_.empty() && change.workload.find('.') != std::string::npos &&
        !has_workload(change.workload)) {
      change_outside_host(change, diags);
      continue;
    }
    for (PodRt& pod : pods_) {
      if (pod.workload != change.workload ||
          (!change.namespace_.empty() && pod.namespace_ != change.namespace_))
        continue;
      const AppRt* updated = changed_app(pod.app, change, std::string(pod.namespace_), diags);
      if (!updated) continue;
      app_of_workload_[pod.key] = updated;
      for (PodRt& same : pods_)
        if (same.key == pod.key) same.app = updated;
      break;
    }
  }
  for (const auto& change : e.client) {
    for (ClientId i : clients_.ids()) {
      ClientRt& c = clients_[i];
      if (c.name != change.client) continue;
      if (change.mix) rebuild_mix(c, *change.mix);
      if (change.max_requests) {
        c.max_requests = *change.max_requests;
        c.sent = 0;
      }
      // A new rate is a new arrival process from `at` (docs/scenario-reference.md): the old
      // process's pending arrivals are dropped, closed loops open their connections now (the
      // old loops' requests in flight finish and stop), a client waiting for its first rate
      // starts (at its `start`, when that is later).
      if (change.rate) {
        c.rate = *change.rate;
        c.has_rate = true;
        start_client(i, std::max(sim_.now(), c.spec->start));
      } else if (change.max_requests && c.has_rate && c.spec->start <= sim_.now()) {
        // A fresh budget restarts a client that had spent its old one (closed loops stop
        // for good once they hit the cap).
        start_client(i, sim_.now());
      }
    }
  }
  if (recompile) recompile_and_push();
  if (client_step(e)) {
    --pending_arrivals_;
    maybe_stop();
  }
}

// A new app behaviour for a workload: the keys the timeline gives replace the current ones.
bool MeshImpl::has_workload(std::string_view workload) const {
  return std::any_of(pods_.begin(), pods_.end(),
                     [&](const PodRt& pod) { return !pod.outside && pod.workload == workload; });
}

// A timeline `app` change for a host outside the mesh: its entry changes, and so do the pods
// that stand for it (those at its address, and those of its ServiceEntry host without an entry
// of their own), including ones made later.
void MeshImpl::change_outside_host(const TimelineEntry::AppChange& change, config::Diagnostics& diags) {
  const std::string& host = change.workload;
  auto it = outside_app_.find(host);
  const AppRt* updated = changed_app(it == outside_app_.end() ? nullptr : it->second, change, "", diags);
  outside_app_[host] = updated;
  for (PodRt& pod : pods_) {
    if (!pod.outside) continue;
    const bool own = pod.name == host;
    const bool by_service = pod.service == host && (pod.behaviour_key.empty() || pod.behaviour_key == host);
    if (!own && !by_service) continue;
    pod.behaviour_key = strings_.intern(host);
    pod.app = updated;
  }
}

const AppRt* MeshImpl::changed_app(const AppRt* base, const TimelineEntry::AppChange& change,
                                   const std::string& namespace_, config::Diagnostics& diags) {
  AppRt& app = changed_apps_.emplace_back(base ? *base : AppRt{});
  if (change.workers) app.workers = static_cast<std::uint32_t>(std::max(*change.workers, 0));
  if (change.service_time) app.service_time = *change.service_time;
  if (change.error_status) app.error_status = *change.error_status;
  if (change.failures) {
    app.failures.clear();
    for (const FailureSpec& f : *change.failures) app.failures.push_back(failure_of(f));
  }
  if (change.calls) {
    app.steps.clear();
    for (const CallStep& step : *change.calls) {
      StepRt& rt = app.steps.emplace_back();
      for (const CallSpec& call : step.calls)
        if (!resolve_call(call, namespace_, rt.calls.emplace_back(), diags, "spec.timeline.app.calls"))
          rt.calls.pop_back();
    }
  }
  return &app;
}

void MeshImpl::on_rollout_step(std::uint64_t index) {
  RolloutAction action = rollout_actions_[index];
  const RolloutSpec& rollout = spec_.rollouts[action.rollout];
  const std::string ns = ns_or_default(rollout.namespace_);
  rollout_aborted_.resize(spec_.rollouts.size());
  if (rollout_aborted_[action.rollout]) return;
  // Before each further step the analysis looks at the last window; a failure rolls the
  // weights back to stable and stops the rollout, as Argo Rollouts and Flagger do.
  const bool first = index == 0 || rollout_actions_[index - 1].rollout != action.rollout;
  if (!first && !rollout.analysis.empty()) {
    const std::string failure = failed_analysis(rollout);
    if (!failure.empty()) {
      rollout_aborted_[action.rollout] = true;
      sink_->on_event({sim_.now(), "rollout_aborted", ns + "/" + rollout.virtual_service, failure});
      action.weight = 0;
    }
  }
  for (const auto& vs : store_.virtual_services()) {
    if (vs.meta.name != rollout.virtual_service || vs.meta.namespace_ != ns) continue;
    config::VirtualService updated = vs;
    if (updated.http.empty()) updated.http.emplace_back();
    const std::string host = !rollout.host.empty() ? rollout.host
                             : !vs.hosts.empty()   ? vs.hosts.front()
                                                   : rollout.virtual_service;
    auto& route = updated.http.front().route;
    route.clear();
    const int canary = std::clamp(action.weight, 0, 100);
    if (canary < 100) {
      auto& stable = route.emplace_back();
      stable.destination.host = host;
      stable.destination.subset = rollout.stable;
      stable.weight = 100 - canary;
    }
    if (canary > 0) {
      auto& next = route.emplace_back();
      next.destination.host = host;
      next.destination.subset = rollout.canary;
      next.weight = canary;
    }
    store_.apply(std::move(updated));
    sink_->on_event({sim_.now(), "rollout_step", ns + "/" + rollout.virtual_service,
                     rollout.canary + "=" + std::to_string(canary) + "%"});
    recompile_and_push();
    return;
  }
}

// Evaluates the hop-level expectations of the rollout's analysis assertions over the last
// window (successRate, non5xxRate, errorRate, count, p50/p90/p99/max), the way an analysis template reads
// metrics. Client-level selectors and `share` are left to `meshtwin check` after the run.
std::string MeshImpl::failed_analysis(const RolloutSpec& rollout) {
  const SimTime from = sim_.now() - rollout.analysis_window;
  for (const std::string& name : rollout.analysis) {
    auto a = std::find_if(spec_.assertions.begin(), spec_.assertions.end(),
                          [&](const AssertionSpec& x) { return x.name == name; });
    if (a == spec_.assertions.end()) continue;
    const auto& where = a->where;
    std::vector<SimDuration> durations;
    double ok = 0, non5xx = 0;
    for (const HopSample& h : analysis_log_) {
      if (h.end < from) continue;
      if (!where.source.empty() && h.source != where.source) continue;
      if (!where.version.empty() && h.version != where.version) continue;
      if (!where.destination.empty() && h.service != where.destination &&
          h.service.rfind(where.destination + ".", 0) != 0)
        continue;
      durations.push_back(h.duration);
      ok += h.ok;
      non5xx += h.non5xx;
    }
    std::sort(durations.begin(), durations.end());
    const double n = static_cast<double>(durations.size());
    const auto percentile = [&](double q) {
      if (durations.empty()) return 0.0;
      const auto rank = static_cast<std::size_t>(std::ceil(q * n));
      return static_cast<double>(durations[std::max<std::size_t>(rank, 1) - 1].ns());
    };
    for (const auto& e : a->expect) {
      double observed;
      if (e.metric == "successRate") observed = n > 0 ? ok / n : -1;
      else if (e.metric == "non5xxRate") observed = n > 0 ? non5xx / n : -1;
      else if (e.metric == "errorRate") observed = n > 0 ? 1 - ok / n : -1;
      else if (e.metric == "count") observed = n;
      else if (e.metric == "p50") observed = percentile(0.50);
      else if (e.metric == "p90") observed = percentile(0.90);
      else if (e.metric == "p99") observed = percentile(0.99);
      else if (e.metric == "max") observed = durations.empty() ? 0 : static_cast<double>(durations.back().ns());
      else continue;
      if (observed < 0) continue;  // nothing to judge in this window
      const double v = e.value;
      const bool pass = e.op == "<"    ? observed < v
                        : e.op == "<=" ? observed <= v
                        : e.op == ">"  ? observed > v
                        : e.op == ">=" ? observed >= v
                        : e.op == "==" ? observed == v
                                       : observed != v;
      if (!pass)
        return name + ": " + e.metric + " " + std::to_string(observed) + " (expected " + e.text + ")";
    }
  }
  return "";
}

// The rate at run time `t` of a rate that took effect at `origin`: ramps, sines and bursts run
// from their origin (a client's `start`, or the timeline step that gave it the rate); steps and
// replayed CSVs are written in run time.
double MeshImpl::rate_at(const RateSpec& rate, SimTime t, SimTime origin) const {
  const bool run_time = rate.kind == RateSpec::Kind::Steps || rate.kind == RateSpec::Kind::Replay;
  const SimDuration since = run_time ? t.since_start() : t - origin;
  switch (rate.kind) {
    case RateSpec::Kind::Ramp: {
      const double progress =
          rate.ramp_over > SimDuration{} ? std::min(1.0, static_cast<double>(since.ns()) / static_cast<double>(rate.ramp_over.ns())) : 1.0;
      return rate.per_second + (rate.ramp_to - rate.per_second) * progress;
    }
    case RateSpec::Kind::Steps: {
      double current = 0;
      for (const auto& [at, r] : rate.steps)
        if (at <= since) current = r;
      return current;
    }
    case RateSpec::Kind::Sine: {
      if (rate.period <= SimDuration{}) return rate.per_second;
      const double phase = 2 * 3.14159265358979323846 * static_cast<double>((since + rate.phase).ns()) /
                           static_cast<double>(rate.period.ns());
      return std::max(0.0, rate.per_second + rate.amplitude * std::sin(phase));
    }
    case RateSpec::Kind::Bursts: {
      if (rate.burst_every <= SimDuration{}) return rate.per_second;
      return since % rate.burst_every < rate.burst_length ? rate.burst_rate : rate.per_second;
    }
    case RateSpec::Kind::Replay: {
      const auto second = static_cast<std::size_t>(since / engine::kSecond);
      return second < rate.replay_rates.size() ? rate.replay_rates[second] : 0.0;
    }
    default:
      return rate.per_second;
  }
}

}  // namespace meshtwin::scenario
