// The simulate half's shared helpers (overheads, network legs, sampling, spans), the run loop
// and the Mesh facade. The parts live beside it: mesh_build.cc, mesh_clients.cc,
// mesh_caller.cc, mesh_upstream.cc, mesh_server.cc and mesh_timeline.cc.

#include "model/scenario/mesh.h"

#include <algorithm>
#include <unordered_set>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "model/config/input_file.h"
#include "model/scenario/mesh_impl.h"

namespace meshtwin::scenario {

using telemetry::SpanKind;

namespace {

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

}  // namespace

bool istio_version_before(const std::string& version, int major, int minor) {
  int ma = 0, mi = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &ma, &mi) < 2) return false;
  return ma < major || (ma == major && mi < minor);
}

// ====================================================================== helpers

SimDuration MeshImpl::overhead(ProxyRt& p) {
  if (overhead_is_zero_) return SimDuration{};
  return proxy_overhead_.sample_duration(p.fault_rng);
}

void MeshImpl::prefetch_server_draws(const PodRt& pod) const {
  pod.failure_rng.prefetch();
  pod.service_rng.prefetch();
  if (pod.proxy.valid()) proxies_[pod.proxy].fault_rng.prefetch();
  // The app's behaviour, read on arrival (its ports, endpoints, failures, service time).
  if (pod.app)
    for (std::size_t line = 0; line < sizeof(AppRt) + 63; line += 64)
      __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(pod.app) + line));
}

void MeshImpl::prefetch_record_labels(const PodRt& from, const PodRt& to, const Target* target) const {
  // The peer labels (line 2) and names (line 3) of both pods, which the attempt's span and the
  // stream's hop read when the answer is back at the caller (record_labels, emit_span), and the
  // target's series memo the metrics sink reads then: a few hundred events later, but at 1,000
  // services those lines were the first misses of a recorded hop (most of emit_span's samples),
  // and the L2 keeps them that long.
  for (const PodRt* pod : {&from, &to}) {
    __builtin_prefetch(&pod->namespace_);
    __builtin_prefetch(&pod->name);
  }
  if (target) __builtin_prefetch(&target->series_memo);
}

void MeshImpl::prefetch_step_calls(const AppRt& app, const app::Handling& handling, std::uint32_t step) const {
  const std::vector<StepRt>& steps = app.steps_for(handling);
  if (step >= steps.size()) return;
  // Reading the step's call list is a load, not a hint (it holds the calls' address): taken a
  // service time before run_step needs it rather than on its path.
  for (const CallRt& call : steps[step].calls) {
    __builtin_prefetch(&call);                        // the spec and the target's hints
    __builtin_prefetch(&call.forward_headers);        // the headers it forwards, its timeout and tries
  }
}

namespace {
// The bytes of an xds::Route a forwarded request reads: its fields up to response_headers (the
// local-reply and setup-only fields come after, proxy_config.h), ~600 of its ~1,050.
const std::size_t kRouteForwardedBytes = [] {
  const xds::Route r;
  return static_cast<std::size_t>(reinterpret_cast<const char*>(&r.response_headers + 1) -
                                  reinterpret_cast<const char*>(&r));
}();
}  // namespace

void MeshImpl::prefetch_route(const ProxyRt& p, const Target& t) const {
  p.route_rng.prefetch();
  p.lb_rng.prefetch();
  if (t.last_route != 0)
    for (std::size_t line = 0; line < kRouteForwardedBytes; line += 64)
      __builtin_prefetch(reinterpret_cast<const void*>(t.last_route + line));
  if (t.last_cluster != 0 && t.last_proxy == p.index) {
    for (std::size_t line = 0; line < 4 * 64; line += 64)
      __builtin_prefetch(reinterpret_cast<const void*>(t.last_cluster + line));
    // The stream's worker is drawn later: each worker's pool of that host (HostPool is a line).
    if (t.last_pools != 0)
      for (std::uint32_t w = 0; w < std::min<std::uint32_t>(p.workers, 4); ++w)
        __builtin_prefetch(reinterpret_cast<const void*>(t.last_pools + w * sizeof(proxy::HostPool)));
    if (t.last_connection != 0) __builtin_prefetch(reinterpret_cast<const void*>(t.last_connection));
  }
  // The pod it went to, whatever the proxy: send_to_server reads its first line for the handles
  // of the streams it prefetches (prefetch_server_draws), which stalled there at 1,000 services,
  // and the network leg its second. Most services of a mesh have one pod per version.
  if (t.last_pod != 0) {
    __builtin_prefetch(reinterpret_cast<const void*>(t.last_pod));
    __builtin_prefetch(reinterpret_cast<const void*>(t.last_pod + 64));
  }
}

SimDuration MeshImpl::network_leg(PodRt& from, const PodRt* to) {
  const engine::Distribution* d = to && to->latency ? to->latency : from.latency;
  if (d) return d->sample_duration(from.net_rng);
  if (latency_.is_constant()) return SimDuration::from_ns(static_cast<std::int64_t>(latency_.mean()));
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
  if (!s.proxy.valid()) return;  // spans are written by caller-side proxies only
  if (kind == SpanKind::Attempt)
    ++stats_.hop_attempts;
  else
    ++stats_.local_replies;
  // A local reply's span id is taken even when no sink reads spans: ids stay those of a run
  // that records them.
  const std::uint64_t span_id = kind != SpanKind::LocalReply ? s.span_id : next_span_id_++;
  if (!interest_.spans) return;
  telemetry::SpanRecord r;
  r.request_id = s.request_id;
  r.span_id = span_id;
  r.parent_span_id = s.parent_span;
  r.kind = kind;
  const PodRt& src = pods_[s.src_pod];
  r.source_workload = src.workload;
  r.source_pod = src.name;
  if (s.dest_pod.valid()) {
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
  if (code >= 300 && code < 400) r.location = s.location;  // a redirect's, as the client gets it
  if (r.reached_upstream) {
    // The peers and key of a span that reached upstream are the ones its stream's hop gets.
    const RecordLabels& labels = record_labels(s);
    r.destination_service = labels.service;
    if (interest_.peers) r.peers = labels.peers;
    r.label_key = labels.key;
  } else {
    r.destination_service = destination_service(s);
  }
  if (kind != SpanKind::LocalReply && s.attempt_reached && s.target && !s.target->is_connection()) {
    // What the upstream received: the request after the route's rewrites and header
    // operations (the stream carries it so since forward_stream).
    r.received_path = s.target->path;
    r.received_authority = s.target->authority;
    if (r.sampled) {
      received_headers_json(s.headers, spec_.record.headers, recorded_headers_, received_headers_json_);
      r.received_headers = received_headers_json_;
    }
  }
  sink_->on_span(r);
}

// ====================================================================== run

void MeshImpl::emit_proxy_cpu() {
  const SimTime end = sim_.now();
  for (const ProxyRt& p : proxies_) {
    if (!p.cpu_on || p.cpu.jobs() == 0) continue;
    const double mean_wait_us =
        static_cast<double>(p.cpu.waited().ns()) / static_cast<double>(p.cpu.jobs()) / 1e3;
    char detail[200];
    std::snprintf(detail, sizeof detail,
                  "utilisation=%.4f workers=%u busy_ms=%.3f jobs=%llu mean_wait_us=%.1f max_wait_us=%.1f",
                  p.cpu.utilisation(end), p.cpu.workers(), engine::to_millis(p.cpu.busy()),
                  static_cast<unsigned long long>(p.cpu.jobs()), mean_wait_us,
                  static_cast<double>(p.cpu.max_wait().ns()) / 1e3);
    sink_->on_event({end, "proxy_cpu", std::string(p.name), detail});
  }
}

void MeshImpl::on_drain_deadline(std::uint64_t) {
  record_unfinished();
  sim_.stop();
}

// Requests still in flight when the run ends early (the drain bound, an interrupt): each
// attempt in flight gets its span and each client request its row, with code 0, no Envoy flag
// and sim_outcome "unfinished", so that nothing that was sent goes missing from the results.
void MeshImpl::record_unfinished() {
  span_outcome_ = "unfinished";
  streams_.for_each_in_use([&](StreamId slot) {
    Stream& s = streams_[slot];
    if (s.attempt_in_flight) emit_span(s, SpanKind::Attempt, s.attempt_start, 0, 0);
  });
  client_reqs_.for_each_in_use([&](ClientReqId slot) { finish_client(slot, 0, 0, 0); });
  span_outcome_ = {};
}

namespace {

// Everything a run reads, for the results file's `inputs`, so that it can be re-simulated from
// the file (`meshtwin trace`): the scenario, its --set overrides, the manifests, the ones the
// timeline applies or deletes later, and replayed arrival CSVs.
std::vector<std::pair<std::string, std::string>> run_inputs(const ScenarioSpec& spec) {
  std::vector<std::pair<std::string, std::string>> inputs;
  inputs.emplace_back(spec.path, spec.text);
  if (!spec.overrides.empty()) {
    std::string lines;
    for (const auto& o : spec.overrides) lines += o + "\n";
    inputs.emplace_back(kOverridesInput, std::move(lines));
  }
  std::unordered_set<std::string> stored;
  auto store = [&](const std::string& path) {
    std::vector<std::string> files;
    collect_manifest_files(path, files);
    for (const auto& f : files)
      if (stored.insert(f).second) inputs.emplace_back(f, read_file(f));
  };
  for (const auto& m : spec.manifests) store(m);
  for (const auto& e : spec.timeline) {
    for (const auto& m : e.apply) store(m);
    for (const auto& m : e.remove) store(m);
    for (const auto& change : e.client)
      if (change.rate && !change.rate->replay_file.empty()) store(change.rate->replay_file);
  }
  for (const auto& c : spec.clients)
    if (!c.rate.replay_file.empty()) store(c.rate.replay_file);
  return inputs;
}

}  // namespace

RunStats MeshImpl::run(telemetry::Sink& sink, const RunOptions& options) {
  const auto wall_start = std::chrono::steady_clock::now();
  sink_ = &sink;
  interest_ = sink.interest();
  labels_ = RecordLabels{};
  if (options.log) log_ = *options.log;
  telemetry::RunInfo info;
  info.scenario = spec_.name.empty() ? spec_.path : spec_.name;
  info.seed = seed_;
  info.duration = spec_.duration;
  info.meshtwin_version = options.meshtwin_version;
  info.metrics_interval = spec_.record.metrics_interval;
  info.inputs = run_inputs(spec_);
  for (const auto& pod : registry().pods())
    info.workloads.push_back({pod.workload, pod.namespace_, pod.canonical_service, pod.canonical_revision});
  telemetry::sort_workloads(info.workloads);
  sink.begin_run(info);

  for (const ProxyRt& p : proxies_) {
    sink.on_event({SimTime{}, "config_applied", std::string(p.name), "1"});
  }
  for (ClientId i : clients_.ids())
    if (clients_[i].has_rate) start_client(i, clients_[i].spec->start);

  schedule_timeline();
  // The drain bound: a request that outlives the clients by more than spec.drain (a 1000 h
  // service time, a hang without timeouts) would otherwise hold the run open for as long.
  std::int64_t deadline_ns;
  const SimTime deadline = __builtin_add_overflow(spec_.duration.ns(), spec_.drain.ns(), &deadline_ns)
                               ? engine::kNever
                               : SimTime::from_ns(deadline_ns);
  if (deadline != engine::kNever)
    sim_.schedule_at(deadline, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_drain_deadline>, this, 0);

  const SimDuration interval = std::max(options.progress_interval, engine::kMillisecond);
  SimTime next = SimTime{} + interval;
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
      next = upcoming.since_start() / interval < engine::kNever.since_start() / interval - 1
                 ? SimTime{} + (upcoming.since_start() / interval + 1) * interval
                 : engine::kNever;
  }
  stats_.interrupted = sim_.stop_requested();
  if (stats_.interrupted) record_unfinished();
  sim_.set_stop_token(nullptr);
  emit_proxy_cpu();
  stats_.events_executed = sim_.events_executed();
  stats_.idle_events = sim_.idle_events();
  stats_.peak_pending_events = sim_.peak_pending();
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
