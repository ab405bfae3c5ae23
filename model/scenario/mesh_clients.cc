// Clients (docs/design.md §3.2): arrival processes (open and closed loops, rates that change
// over time, replays), client requests with their timeouts, and their results rows.

#include <algorithm>
#include <cmath>

#include "model/scenario/mesh_impl.h"
#include "model/telemetry/response_flags.h"

namespace meshtwin::scenario {

namespace flag = telemetry;

namespace {
constexpr std::uint64_t kRequestSampleSalt = 0x7265717565737473ull;  // "requests"
constexpr std::uint64_t kSpanSampleSalt = 0x7370616e73616d70ull;     // "spansamp"
}  // namespace

// ====================================================================== clients

// An arrival event names its client, its closed-loop connection (or none: open loop) and the
// epoch of the client's arrival process, so that a timeline change can start a new process at
// its `at` and the old one's events are recognised and dropped.
namespace {
constexpr std::uint32_t kOpenLoop = 0xFFFFF;  // connections are at most 1,000,000 < 2^20
std::uint32_t arrival_tag(LoopConnId connection, std::uint32_t epoch) {
  return ((epoch & 0xFFFu) << 20) | (connection.valid() ? connection.value() : kOpenLoop);
}
LoopConnId tag_connection(std::uint32_t tag) {
  const std::uint32_t c = tag & 0xFFFFFu;
  return c == kOpenLoop ? LoopConnId::none() : LoopConnId{c};
}
std::uint32_t tag_epoch(std::uint32_t tag) { return tag >> 20; }
}  // namespace

void MeshImpl::start_client(ClientId client, SimTime from) {
  ClientRt& c = clients_[client];
  ++c.epoch;
  c.rate_origin = from;
  c.replay_next = 0;
  const RateSpec& rate = c.rate;
  if (from >= SimTime{} + spec_.duration) return;
  const auto arrive_at = [&](LoopConnId connection) {
    ++pending_arrivals_;
    sim_.schedule_at(from, &engine::Simulator::thunk<MeshImpl, &MeshImpl::on_arrival>, this,
                     pack(client, arrival_tag(connection, c.epoch)));
  };
  if (rate.kind == RateSpec::Kind::Closed) {
    for (int conn = 0; conn < rate.connections; ++conn) arrive_at(LoopConnId{static_cast<std::uint32_t>(conn)});
  } else if (rate.kind == RateSpec::Kind::Constant) {
    // An even schedule starts at once (as Fortio's -qps does): N/s for D seconds is N·D.
    arrive_at(LoopConnId::none());
  } else {
    schedule_next_arrival(client, LoopConnId::none(), from);
  }
}

void MeshImpl::schedule_next_arrival(ClientId client, LoopConnId connection, SimTime from) {
  ClientRt& c = clients_[client];
  const RateSpec& rate = c.rate;
  SimTime t = from;
  const auto exp_gap = [&](double per_second) {
    return SimDuration::from_ns(
        static_cast<std::int64_t>(-std::log1p(-c.arrival_rng.uniform01()) / per_second * 1e9));
  };
  switch (rate.kind) {
    case RateSpec::Kind::Poisson:
      if (rate.per_second <= 0) return;
      t += exp_gap(rate.per_second);
      break;
    case RateSpec::Kind::Constant:
      if (rate.per_second <= 0) return;
      t += SimDuration::from_ns(static_cast<std::int64_t>(1e9 / rate.per_second));
      break;
    case RateSpec::Kind::Closed:
      // The client's own loop (fortio's) takes its time per request before the next (§19.2).
      t += rate.think_time.sample_duration(c.arrival_rng) + spec_.mesh.client_loop;
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
        if (t >= SimTime{} + spec_.duration) break;
        if (c.arrival_rng.uniform01() * peak < rate_at(rate, t, c.rate_origin)) break;
      }
      break;
    }
  }
  if (t >= SimTime{} + spec_.duration) return;
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
  const ClientId client{slot_of(arg)};
  const LoopConnId connection = tag_connection(gen_of(arg));
  ClientRt& c = clients_[client];
  --pending_arrivals_;
  if (sim_.now() >= SimTime{} + spec_.duration || tag_epoch(gen_of(arg)) != (c.epoch & 0xFFFu) ||
      (c.max_requests > 0 && c.sent >= c.max_requests)) {
    maybe_stop();
    return;
  }
  ++c.sent;
  // The next arrival is scheduled first: this request may end at once (a local reply), and
  // the run must not look finished meanwhile.
  if (c.rate.kind != RateSpec::Kind::Closed) schedule_next_arrival(client, LoopConnId::none(), sim_.now());

  const ClientReqId slot = client_reqs_.acquire();
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
  if (c.spec->timeout > SimDuration{}) r.timeout.arm_in(c.spec->timeout, slot.value());
  ++client_in_flight_;
  stats_.peak_in_flight = std::max(stats_.peak_in_flight, client_in_flight_);
  r.target = &c.target;
  r.redirect_of = 0;
  r.redirects = 0;
  send_client_request(slot);
}

// One hop of a client request: its stream from the source pod to r.target.
void MeshImpl::send_client_request(ClientReqId slot) {
  ClientReq& r = client_reqs_[slot];
  const Target& t = *r.target;
  MESH_DLOG(ClientSend, r.request_id, 0, LogField::t("client", clients_[r.client].name), LogField::t("method", t.method),
            LogField::t("authority", t.authority), LogField::t("path", t.path));
  r.stream = open_stream(Owner::Client, slot.value(), r.gen, r.src_pod, r.request_id, 0, 1, r.sampled, t, r.headers);
  r.stream_gen = streams_[r.stream].gen;
  launch_stream(r.stream);
}

// Where a redirect's Location leads for this client: resolved like the client's own URL
// (from its workload's sidecar, or into its gateway), once per (client, method, Location).
// nullptr when the Location is not an http(s) URL the client can reach (curl would stop there
// with an error; meshtwin ends the chain with the 3xx).
const Target* MeshImpl::redirect_target(ClientId client, std::string_view location, std::string_view method) {
  const auto key = std::make_tuple(client, location, method);
  if (auto it = redirect_index_.find(key); it != redirect_index_.end()) return it->second;
  const Target* out = nullptr;
  std::string error;
  if (auto url = parse_url(std::string(location), &error); url && url->scheme != "tcp") {
    config::Diagnostics scratch;
    Target t;
    if (client_target(clients_[client], *url, std::string(method), t, scratch, "followRedirects"))
      out = &redirect_targets_.emplace_back(t);
  }
  redirect_index_.emplace(key, out);
  return out;
}

// curl -L (docs/scenario-reference.md `followRedirects`): a 301, 302, 303, 307 or 308 with a
// Location is followed while the client's limit allows, as a new request (its own id and row,
// redirect_of naming this one) from the same pod with the same headers; 303, and a POST
// answered 301 or 302, turn into a GET (curl's default), the others keep the method. The
// client's timeout covers the whole chain, like curl's --max-time.
bool MeshImpl::follow_redirect(ClientReqId slot, int code, std::string_view location) {
  ClientReq& r = client_reqs_[slot];
  const ClientRt& c = clients_[r.client];
  const bool redirect = code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
  if (!redirect || location.empty() || r.redirects >= c.spec->follow_redirects) return false;
  const bool to_get = code == 303 || ((code == 301 || code == 302) && r.target->method == "POST");
  const Target* next = redirect_target(r.client, location, to_get ? std::string_view("GET") : r.target->method);
  if (!next) return false;
  r.redirect_of = r.request_id;
  ++r.redirects;
  r.request_id = next_request_id_++;
  r.start = sim_.now();
  r.target = next;
  ++stats_.client_requests;
  send_client_request(slot);
  return true;
}

void MeshImpl::on_client_timeout(std::uint64_t slot) {
  ClientReq& r = client_reqs_[ClientReqId{static_cast<std::uint32_t>(slot)}];
  const StreamId stream =
      r.stream.valid() && streams_[r.stream].gen == r.stream_gen ? r.stream : StreamId::none();
  // The client gives up: Envoy logs the downstream disconnect (code 0, DC, docs/design.md §3.2).
  MESH_DLOG(ClientGiveUp, r.request_id, 0, LogField::t("client", clients_[r.client].name),
            LogField::d("timeout", clients_[r.client].spec->timeout));
  finish_client(ClientReqId{static_cast<std::uint32_t>(slot)}, 0, flag::kDownstreamConnectionTermination, 0);
  if (stream.valid()) reset_stream_from_downstream(stream);
}

void MeshImpl::finish_client(ClientReqId slot, int code, std::uint32_t flags, int degraded) {
  ClientReq& r = client_reqs_[slot];
  ClientRt& c = clients_[r.client];
  if (r.record) {
    telemetry::RequestRecord rec;
    rec.request_id = r.request_id;
    rec.client = c.name;
    rec.start = r.start;
    rec.duration = sim_.now() - r.start;
    rec.method = r.target->method;
    rec.authority = r.target->authority;
    rec.path = r.target->path;
    rec.redirect_of = r.redirect_of;
    rec.response_code = code;
    rec.response_flags = flags;
    rec.route_name = dash_;
    rec.vs_rule = dash_;
    rec.destination_service = rec.destination_version = rec.destination_workload = unknown_;
    rec.degraded_calls = degraded;
    if (auto it = request_outcome_.find(r.request_id); it != request_outcome_.end()) rec.sim_outcome = it->second;
    if (!span_outcome_.empty()) rec.sim_outcome = span_outcome_;
    if (r.stream.valid() && streams_[r.stream].gen == r.stream_gen) {
      const Stream& s = streams_[r.stream];
      rec.attempts = s.router.attempt();
      if (code >= 300 && code < 400) rec.location = s.location;
      rec.route_name = s.route_name;
      rec.vs_rule = s.vs_rule;
      rec.destination_service = destination_service(s);
      if (s.dest_pod.valid()) {
        rec.destination_version = pods_[s.dest_pod].version;
        rec.destination_workload = pods_[s.dest_pod].workload;
      }
    }
    sink_->on_request(rec);
  }
  MESH_DLOG(ClientDone, r.request_id, 0, LogField::t("client", c.name), LogField::i("code", code),
            LogField::f("flags", flags), LogField::d("duration", sim_.now() - r.start));
  request_outcome_.erase(r.request_id);
  calls_per_request_.erase(r.request_id);
  failures_per_request_.forget(r.request_id);
  std::string_view location;
  if (r.stream.valid() && streams_[r.stream].gen == r.stream_gen) location = streams_[r.stream].location;
  if (c.spec->follow_redirects > 0 && follow_redirect(slot, code, location)) return;
  ++stats_.client_requests;
  --client_in_flight_;
  const LoopConnId connection = r.connection;
  const ClientId client = r.client;
  // A closed-loop connection goes on only within its arrival process: after a timeline change
  // the new rate's connections have taken over.
  const bool current = r.epoch == c.epoch;
  r.timeout.cancel();
  r.stream = StreamId::none();
  client_reqs_.release(slot);
  if (connection.valid() && current) schedule_next_arrival(client, connection, sim_.now());
  maybe_stop();
}

}  // namespace meshtwin::scenario
