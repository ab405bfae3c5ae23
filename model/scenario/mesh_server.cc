// The server side of an attempt (docs/design.md §3.2): the server sidecar's inbound breaker
// (proxy::InboundGate), the app (app::) with its workers, failures and its own calls, a
// gateway pod relaying what it receives, and the answer travelling back to the caller.

#include <algorithm>
#include <tuple>

#include "model/scenario/mesh_impl.h"
#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "model/text/i18n.h"

namespace meshtwin::scenario {

using telemetry::SpanKind;
using telemetry::is_success;
namespace flag = telemetry;

namespace {

// What an app's drawn failure does, for the decision log.
const char* failure_name(app::Failure::Kind kind, bool after_headers) {
  switch (kind) {
    case app::Failure::Kind::Status: return N_("an error status");
    case app::Failure::Kind::Grpc: return N_("a gRPC error status");
    case app::Failure::Kind::Reset:
      return after_headers ? N_("a reset after the response headers") : N_("a reset before the response headers");
    case app::Failure::Kind::Hang: return N_("no answer (a hang)");
    case app::Failure::Kind::Refuse: return N_("a refused connection");
  }
  return "";
}

}  // namespace

// ====================================================================== server pods

void MeshImpl::on_server_arrival(std::uint64_t arg) {
  const ServerReqId req{slot_of(arg)};
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg)) return;
  PodRt& pod = pods_[r.pod];
  if (!pod.alive) {
    // The pod crashed: a request on a connection opened before dies with a reset (§14 UC).
    r.reply = ServerReq::Reply::ResetBeforeHeaders;
    respond(req, 0);
    return;
  }
  if (r.stream.valid() && streams_[r.stream].gen == r.stream_gen)
    streams_[r.stream].attempt_reached = true;
  if (pod.proxy.valid()) {
    proxy::InboundGate& in = pod.inbound;
    if (!in.resolved()) in.resolve(*proxies_[pod.proxy].config, r.via);
    switch (in.admit(req.value())) {
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

void MeshImpl::enter_app(ServerReqId req) {
  ServerReq& r = server_reqs_[req];
  PodRt& pod = pods_[r.pod];
  SimDuration delay{};
  if (pod.proxy.valid()) {
    // The server sidecar's (or gateway's) inbound filter chain takes a worker (§19.1).
    ProxyRt& p = proxies_[pod.proxy];
    delay = overhead(p) + proxy_work(p, p.cpu_costs.request);
  }
  if (delay == SimDuration{}) {
    on_app_arrival(pack(req, r.gen));
  } else {
    sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_app_arrival>, this,
                     pack(req, r.gen));
  }
}

void MeshImpl::on_app_arrival(std::uint64_t arg) {
  const ServerReqId req{slot_of(arg)};
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg) || r.finished) return;
  PodRt& pod = pods_[r.pod];
  MESH_DLOG(AppArrive, r.request_id, r.depth, LogField::t("pod", pod.name));
  if (pod.gateway) {
    forward_at_gateway(req);
    return;
  }
  const AppRt* app = pod.app;
  if (!app) {
    respond(req, 200);  // an app not listed answers 200 at once (docs/design.md §3.2)
    return;
  }
  // A host outside the mesh with `ports` answers by port and scheme (§20.3); an app reads the
  // request: its first matching `endpoints` rule decides the rest.
  if (!app->ports.empty()) {
    if (answer_by_port(req, *app)) return;
  } else if (!app->endpoints.empty()) {
    const app::RequestView view{r.target->method, r.target->path, &r.headers,
                                [](const void* h, std::string_view name) {
                                  return static_cast<const HeaderSet*>(h)->get(name);
                                }};
    r.handling = app::handle(*app, view);
  }
  const app::FailureContext ctx{sim_.now(), r.pod.value(), r.request_id, &failures_per_pod_, &failures_per_request_,
                                r.connection, &failures_per_connection_};
  const FailureRt* failure = app::draw_failure(*app, r.handling, ctx, pod.failure_rng);
  if (failure && failure->kind == app::Failure::Kind::Refuse) {
    // The app's listener refuses the connection. Behind a sidecar the inbound route retries
    // reset-before-request twice (Istio ≥ 1.24, §5.1, §16 step 9), each a fresh try of the app;
    // if all are refused the sidecar itself answers 503 (UF,URX in its log). Without a
    // sidecar the caller sees the refused connection.
    const int tries = pod.proxy.valid() && inbound_retries_ ? 3 : 1;
    for (int t = 1; t < tries && failure && failure->kind == app::Failure::Kind::Refuse; ++t)
      failure = app::draw_failure(*app, r.handling, ctx, pod.failure_rng);
    if (failure && failure->kind == app::Failure::Kind::Refuse) {
      MESH_DLOG(AppFailure, r.request_id, r.depth, LogField::t("pod", pod.name),
                LogField::m("failure", failure_name(failure->kind, false)));
      if (pod.proxy.valid()) {
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
  if (pod.workers.take_or_wait(req.value(), app->workers))
    begin_service(req);
  else
    MESH_DLOG(AppQueued, r.request_id, r.depth, LogField::t("pod", pod.name));
}

void MeshImpl::begin_service(ServerReqId req) {
  ServerReq& r = server_reqs_[req];
  PodRt& pod = pods_[r.pod];
  r.holds_worker = true;  // the caller took a worker for it
  const SimDuration service_time = app::draw_service_time(*pod.app, r.handling, pod.service_rng);
  MESH_DLOG(AppWork, r.request_id, r.depth, LogField::t("pod", pod.name), LogField::d("service_time", service_time));
  sim_.schedule_in(service_time, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_service_done>, this,
                   pack(req, r.gen));
  prefetch_step_calls(*pod.app, r.handling, r.step);
}

void MeshImpl::on_service_done(std::uint64_t arg) {
  const ServerReqId req{slot_of(arg)};
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg) || r.finished) return;
  // A failing request makes no calls (docs/design.md §3.2).
  if (const FailureRt* f = r.failure) {
    MESH_DLOG(AppFailure, r.request_id, r.depth, LogField::t("pod", pods_[r.pod].name),
              LogField::m("failure", failure_name(f->kind, f->after_headers)));
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
        if (!r.stream.valid()) free_server_req(req);
        return;
      case app::Failure::Kind::Refuse:
        break;  // handled on arrival
    }
  }
  run_step(req);
}

void MeshImpl::release_worker(ServerReqId req) {
  ServerReq& r = server_reqs_[req];
  if (!r.holds_worker) return;
  r.holds_worker = false;
  PodRt& pod = pods_[r.pod];
  if (const std::uint32_t next = pod.workers.release(); next != app::Workers::kNone) {
    pod.workers.take();
    begin_service(ServerReqId{next});
  }
}

void MeshImpl::free_server_req(ServerReqId req) {
  release_worker(req);
  server_reqs_.release(req);
  maybe_stop();
}

void MeshImpl::run_step(ServerReqId req) {
  ServerReq& r = server_reqs_[req];
  const AppRt& app = *pods_[r.pod].app;
  const std::vector<StepRt>& steps = app.steps_for(r.handling);
  if (r.step >= steps.size()) {
    respond(req, r.call_failed ? app::error_status(app, r.handling) : r.handling.status);
    return;
  }
  const StepRt& step = steps[r.step];
  r.outstanding = static_cast<int>(step.calls.size());
  const std::uint32_t gen = r.gen;
  for (const CallRt& call : step.calls) {
    const AppCallId c = app_calls_.acquire();
    AppCall& ac = app_calls_[c];
    ac.server_req = req;
    ac.server_gen = gen;
    ac.call = &call;
    ac.attempt = 0;
    ac.stream = StreamId::none();
    start_app_call_attempt(c);
  }
}

void MeshImpl::start_app_call_attempt(AppCallId call) {
  AppCall& c = app_calls_[call];
  ++c.attempt;
  const ServerReq& r = server_reqs_[c.server_req];
  // A call cycle (A → A, A → B → A) would otherwise never end: bound the depth of the call
  // chain and the size of one request's call tree (docs/scenario-reference.md "Limits").
  if (r.depth >= spec_.max_call_depth) {
    cut_app_call(call, "call_depth_exceeded");
    return;
  }
  if (calls_per_request_.increment(r.request_id) > kMaxCallsPerRequest) {
    cut_app_call(call, "call_limit_exceeded");
    return;
  }
  HeaderSet headers;
  for (std::string_view name : c.call->forward_headers) {
    if (auto value = r.headers.get(name)) headers.add(name, *value);
  }
  if (c.call->timeout > SimDuration{}) c.timeout.arm_in(c.call->timeout, call.value());
  c.stream = open_stream(Owner::AppCall, call.value(), c.gen, r.pod, r.request_id, r.span_id, c.attempt,
                         r.sampled, c.call->target, headers);
  c.stream_gen = streams_[c.stream].gen;
  streams_[c.stream].depth = r.depth;
  MESH_DLOG(AppCall, r.request_id, r.depth, LogField::t("pod", pods_[r.pod].name),
            LogField::t("authority", c.call->target.authority), LogField::t("path", c.call->target.path),
            LogField::i("attempt", c.attempt));
  launch_stream(c.stream);  // may finish at once (a local reply) and re-enter app_call_done
}

void MeshImpl::cut_app_call(AppCallId call, std::string_view outcome) {
  AppCall& c = app_calls_[call];
  const ServerReq& r = server_reqs_[c.server_req];
  request_outcome_.emplace(r.request_id, outcome);
  const PodRt& pod = pods_[r.pod];
  if (pod.proxy.valid()) {
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
  const AppCallId call{static_cast<std::uint32_t>(slot)};
  AppCall& c = app_calls_[call];
  MESH_DLOG(AppCallTimeout, server_reqs_[c.server_req].request_id, server_reqs_[c.server_req].depth,
            LogField::d("timeout", c.call->timeout));
  if (c.stream.valid() && streams_[c.stream].gen == c.stream_gen) {
    const StreamId stream = c.stream;
    c.stream = StreamId::none();
    reset_stream_from_downstream(stream);
  }
  app_call_done(call, 0, flag::kDownstreamConnectionTermination, 0);
}

void MeshImpl::app_call_done(AppCallId call, int code, std::uint32_t flags, int degraded) {
  AppCall& c = app_calls_[call];
  c.timeout.cancel();
  c.stream = StreamId::none();
  ServerReq& r = server_reqs_[c.server_req];
  if (r.gen != c.server_gen || r.finished) {
    app_calls_.release(call);  // the calling pod died meanwhile: nobody waits for this
    return;
  }
  // A status the app accepts, and a body that was not cut off by a reset.
  constexpr std::uint32_t kTruncated = flag::kUpstreamConnectionTermination |
                                       flag::kUpstreamRemoteReset | flag::kLocalReset |
                                       flag::kDownstreamConnectionTermination;
  switch (app::judge_call(code, (flags & kTruncated) != 0, c.attempt, c.call->attempts,
                          c.call->continue_on_failure)) {
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
  const ServerReqId req = c.server_req;
  app_calls_.release(call);
  if (--r.outstanding > 0) return;
  if (r.call_failed) {
    respond(req, app::error_status(*pods_[r.pod].app, r.handling));
    return;
  }
  ++r.step;
  run_step(req);
}

// A request that reached a gateway pod from inside the mesh (a sidecar sending to an egress
// gateway, or to the ingress gateway's Service): the gateway's Envoy routes it on with its own
// listeners and routes, as for a client entering there (§11), and its answer goes back.
void MeshImpl::forward_at_gateway(ServerReqId req) {
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
  const StreamId stream = open_stream(Owner::GatewayForward, req.value(), r.gen, r.pod, r.request_id,
                                           r.span_id, 1, r.sampled, *it->second, r.headers);
  streams_[stream].depth = r.depth;  // a gateway hop counts towards spec.maxCallDepth too
  launch_stream(stream);  // may finish at once (a local reply) and re-enter gateway_forward_done
}

void MeshImpl::gateway_forward_done(ServerReqId req, std::uint32_t gen, int code, std::uint32_t flags,
                                    std::string_view location) {
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen || r.finished) return;  // the gateway pod died meanwhile
  r.upstream_flags = flags;  // what the gateway logged
  r.location = location;     // a redirect the gateway made or relayed
  if (code == 0) {
    r.reply = ServerReq::Reply::ResetBeforeHeaders;  // no response: the caller sees a reset
  }
  respond(req, code);
}

void MeshImpl::respond(ServerReqId req, int code) {
  ServerReq& r = server_reqs_[req];
  MESH_DLOG(AppRespond, r.request_id, r.depth, LogField::t("pod", pods_[r.pod].name), LogField::i("code", code));
  r.response_code = code;
  r.finished = true;
  release_worker(req);
  if (r.inbound_counted) {
    r.inbound_counted = false;
    proxy::InboundGate& in = pods_[r.pod].inbound;
    in.leave();
    for (std::uint32_t next; (next = in.next_waiting()) != proxy::InboundGate::kNone;) {
      const ServerReqId waiting{next};
      if (server_reqs_[waiting].finished) continue;
      in.enter();
      server_reqs_[waiting].inbound_counted = true;
      enter_app(waiting);
      break;
    }
  }
  PodRt& pod = pods_[r.pod];
  SimDuration delay{};
  if (pod.proxy.valid()) {
    // The server sidecar processes the response (or makes its own 503: inbound overflow, a
    // refused app), then records telemetry off the response's path (§19.1, §19.2).
    ProxyRt& p = proxies_[pod.proxy];
    const bool local = (r.upstream_flags & (flag::kUpstreamOverflow | flag::kUpstreamConnectionFailure)) != 0;
    delay = overhead(p) + proxy_work(p, local ? p.cpu_costs.local_reply : p.cpu_costs.response,
                                     p.cpu_costs.after_response);
  }
  delay += network_leg(pod);
  sim_.schedule_in(delay, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_response_at_caller>,
                   this, pack(req, r.gen));
}

void MeshImpl::on_response_at_caller(std::uint64_t arg) {
  const ServerReqId req{slot_of(arg)};
  ServerReq& r = server_reqs_[req];
  if (r.gen != gen_of(arg)) return;
  const StreamId stream = r.stream;
  const bool live = stream.valid() && streams_[stream].gen == r.stream_gen &&
                    streams_[stream].server_req == req;
  if (!live) {
    server_reqs_.release(req);
    maybe_stop();  // the caller reset this attempt meanwhile
    return;
  }
  if (!streams_[stream].proxy.valid()) {
    // No sidecar at the caller: the app sees the server's answer, or a failed connection.
    Stream& s = streams_[stream];
    s.attempt_in_flight = false;
    s.server_req = ServerReqId::none();
    s.degraded = r.degraded;
    s.location = r.location;
    const bool answered = r.reply == ServerReq::Reply::Response ||
                          r.reply == ServerReq::Reply::ResetAfterHeaders;
    int code = answered ? r.response_code : 0;
    std::uint32_t flags = 0;
    if (r.reply == ServerReq::Reply::ConnectFailure)
      flags = flag::kUpstreamConnectionFailure;
    else if (r.reply != ServerReq::Reply::Response)
      flags = flag::kUpstreamConnectionTermination;
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

}  // namespace meshtwin::scenario
