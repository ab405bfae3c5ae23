// `timeline:` and `rollout:` (docs/design.md §3.2, issue 5 parts 1 and 2): what changes during a run.
// Only the file is read here; whether a Deployment, app or pod exists is known once the
// manifests are loaded, so the mesh checks those (with the entry's location). Names the
// scenario itself defines (clients, assertions) are checked here.
#include <algorithm>
#include <limits>
#include <set>

#include "model/scenario/scenario_values.h"

namespace meshtwin::scenario::detail {
namespace {

using config::Severity;

constexpr const char* kActions[] = {"apply", "delete", "scale", "kill", "app", "client"};
constexpr const char* kActionExamples =
    "apply (e.g. {at: 120s, apply: [manifests/vs.yaml]}), delete, scale (e.g. {at: 300s, scale: {deployment: "
    "reviews-v3, replicas: 3}}), kill (e.g. {at: 450s, kill: {deployment: reviews-v3, count: 1}}), app (e.g. "
    "{at: 400s, app: {reviews-v3: {serviceTime: 50ms}}}) or client (e.g. {at: 60s, client: {users: {rate: "
    "{poisson: 400}}}})";

void error_at(const Value& at, std::string_view key, std::string message) {
  at.reader().report(Severity::Error, at.node(), config::yaml::join_path(at.path(), key), std::move(message));
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

// `deployment: name` or `deployment: ns/name`, plus an optional `namespace:` beside it.
bool read_deployment(MapReader& m, const Value& map, bool required, std::string& ns, std::string& name) {
  std::optional<Value> d = required ? m.require("deployment", "deployment is required: the Deployment's name, e.g. "
                                                              "reviews-v3 (or namespace/name)")
                                    : m.get("deployment");
  std::string ns_key;
  const bool has_ns_key = m.has("namespace") && m.read("namespace", ns_key);
  if (has_ns_key && !object_name(ns_key)) {
    error_at(map, "namespace", "namespace must be a Kubernetes namespace name (lower-case letters, digits and '-'), "
                               "got \"" + ns_key + "\"");
    return false;
  }
  if (!d) {
    ns = ns_key;
    return !required;
  }
  auto s = d->as_string();
  if (!s) return false;
  if (!split_ref(*s, ns, name)) {
    d->error("deployment must be a Deployment name or namespace/name (lower-case letters, digits, '-' and '.'), got " +
             d->describe());
    return false;
  }
  if (has_ns_key) {
    if (!ns.empty() && ns != ns_key) {
      error_at(map, "namespace", "namespace \"" + ns_key + "\" contradicts deployment \"" + *s +
                                     "\"; give the namespace once");
      return false;
    }
    ns = ns_key;
  }
  return true;
}

bool read_scale(const Value& v, TimelineEntry& e) {
  MapReader m(v);
  if (!m.ok()) return false;
  TimelineEntry::Scale s;
  bool ok = read_deployment(m, v, true, s.namespace_, s.deployment);
  if (auto r = m.require("replicas", "replicas is required: how many pods the Deployment has from `at` on, e.g. 3")) {
    if (auto n = r->as_int(0, 10'000))
      s.replicas = static_cast<int>(*n);
    else
      ok = false;
  } else {
    ok = false;
  }
  m.finish();
  if (ok) e.scale = s;
  return ok;
}

bool read_kill(const Value& v, TimelineEntry& e) {
  MapReader m(v);
  if (!m.ok()) return false;
  TimelineEntry::Kill k;
  const bool has_pods = m.has("pods");
  bool ok = read_deployment(m, v, !has_pods, k.namespace_, k.deployment);
  if (auto pods = m.get("pods")) {
    if (auto names = pods->as_string_list()) {
      if (names->empty()) {
        pods->error("pods must name at least one pod, e.g. [reviews-v3-0]");
        ok = false;
      }
      std::set<std::string> seen;
      for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string& p = (*names)[i];
        if (!object_name(p)) {
          pods->at(i).error("pod names are lower-case letters, digits, '-' and '.' (the namespace goes in "
                            "`namespace:`), got \"" + p + "\"");
          ok = false;
        } else if (!seen.insert(p).second) {
          pods->at(i).error("pod \"" + p + "\" is listed twice");
          ok = false;
        }
      }
      k.pods = *names;
    } else {
      ok = false;
    }
  }
  if (auto c = m.get("count")) {
    if (has_pods) {
      c->error("count and pods exclude each other: pods names the pods to kill, count kills that many of the "
               "deployment's pods (highest ordinals first)");
      ok = false;
    } else if (auto n = c->as_int(1, 10'000)) {
      k.count = static_cast<int>(*n);
    } else {
      ok = false;
    }
  }
  std::string mode = "crash";
  if (m.has("mode") && !m.read_enum("mode", mode, {"crash", "graceful"})) ok = false;
  k.mode = mode == "graceful" ? TimelineEntry::Kill::Mode::Graceful : TimelineEntry::Kill::Mode::Crash;
  if (auto g = m.get("gracePeriod")) {
    if (k.mode != TimelineEntry::Kill::Mode::Graceful) {
      g->error("gracePeriod applies only to mode: graceful (a crash ends requests in flight at once)");
      ok = false;
    } else if (auto d = g->as_duration()) {
      k.grace_period = *d;
    } else {
      ok = false;
    }
  }
  m.finish();
  if (ok) e.kill = std::move(k);
  return ok;
}

bool read_app_changes(const Value& v, TimelineEntry& e) {
  MapReader apps(v);
  if (!apps.ok()) return false;
  auto entries = apps.entries();
  if (entries.empty()) {
    v.error("app must name at least one workload, e.g. {reviews-v3: {failures: [{rate: 0.2, kind: status, status: 500}]}}");
    return false;
  }
  bool ok = true;
  const std::size_t errors_before = v.reader().error_count();
  for (auto& [key, body] : entries) {
    TimelineEntry::AppChange c;
    if (!split_ref(key, c.namespace_, c.workload)) {
      body.error("apps are keyed by workload name or namespace/name (lower-case letters, digits, '-' and '.'), got \"" +
                 key + "\"");
      ok = false;
      continue;
    }
    MapReader m(body);
    if (!m.ok() || body.is_null()) {
      if (body.is_null())
        body.error("say what changes: one or more of workers, serviceTime, calls, failures, errorStatus");
      ok = false;
      continue;
    }
    bool any = false;
    if (auto w = m.get("workers")) {
      any = true;
      if (auto n = detail::read_workers(*w)) c.workers = *n;
    }
    if (auto st = m.get("serviceTime")) {
      any = true;
      if (auto d = read_duration_distribution(*st)) c.service_time = *d;
    }
    // An empty list is a real change (`failures: []` heals the app), so these are read even
    // when empty; a null value is "unset" as everywhere else.
    if (auto calls = m.get("calls")) {
      any = true;
      std::vector<CallStep> out;
      read_calls(*calls, out);
      c.calls = std::move(out);
    }
    if (auto failures = m.get("failures")) {
      any = true;
      std::vector<FailureSpec> out;
      read_failures(*failures, out);
      c.failures = std::move(out);
    }
    if (auto es = m.get("errorStatus")) {
      any = true;
      if (auto n = es->as_int(100, 599)) c.error_status = static_cast<int>(*n);
    }
    m.finish();
    if (!any) {
      body.error("say what changes: one or more of workers, serviceTime, calls, failures, errorStatus");
      ok = false;
      continue;
    }
    e.app.push_back(std::move(c));
  }
  return ok && v.reader().error_count() == errors_before;
}

bool read_client_changes(const Value& v, const ScenarioSpec& spec, TimelineEntry& e) {
  MapReader clients(v);
  if (!clients.ok()) return false;
  auto entries = clients.entries();
  if (entries.empty()) {
    v.error("client must name at least one client, e.g. {users: {rate: {poisson: 400}}}");
    return false;
  }
  std::vector<std::string> names;
  for (const auto& c : spec.clients) names.push_back(c.name);
  bool ok = true;
  for (auto& [key, body] : entries) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      body.reader().report(Severity::Error, body.node(), body.path(),
                           "no client is named \"" + key + "\"; spec.clients has " + join(names));
      ok = false;
      continue;
    }
    MapReader m(body);
    if (!m.ok()) {
      ok = false;
      continue;
    }
    TimelineEntry::ClientChange change;
    change.client = key;
    bool valid = true;
    if (auto rate = m.get("rate")) {
      if (auto r = read_rate(*rate, spec.base_dir))
        change.rate = std::move(*r);
      else
        valid = false;
    }
    if (auto n = m.get("requests")) {
      if (n->is_scalar() && n->node().Scalar() == "all") {
        change.max_requests = 0;
      } else if (auto x = n->as_int(1, std::numeric_limits<std::int64_t>::max())) {
        change.max_requests = static_cast<std::uint64_t>(*x);
      } else {
        valid = false;
      }
    }
    if (auto mix = m.get("mix")) {
      const auto errors = mix->reader().error_count();
      std::vector<HeaderMix> items;
      read_mix(*mix, items);
      if (mix->reader().error_count() != errors) valid = false;
      change.mix = std::move(items);
    }
    m.finish();
    if (valid && !change.rate && !change.max_requests && !change.mix) {
      body.error("a client change needs rate, requests or mix, e.g. {rate: {poisson: 400}}");
      valid = false;
    }
    if (!valid) {
      ok = false;
      continue;
    }
    e.client.push_back(std::move(change));
  }
  return ok;
}

void read_entry(const Value& item, ScenarioSpec& spec) {
  MapReader m(item);
  if (!m.ok()) return;
  TimelineEntry e;
  e.location = item.location();
  bool ok = true;
  if (auto at = m.require("at", "at is required: when the change happens, from the start of the run, e.g. 120s")) {
    if (auto d = at->as_duration()) {
      e.at = SimTime{} + *d;
      if (e.at >= SimTime{} + spec.duration)
        at->warning("at " + engine::human_duration(e.at) + " is not before spec.duration (" +
                    engine::human_duration(spec.duration) +
                    "): client arrivals have stopped by then, only requests in flight see this change");
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  std::vector<std::string> present;
  for (const char* a : kActions)
    if (m.has(a)) present.push_back(a);
  if (present.empty()) {
    m.finish();  // an unknown key here is most likely a misspelt action: let its hint show
    item.error(std::string("a timeline entry needs one action: ") + kActionExamples);
    return;
  }
  if (present.size() > 1) {
    error_at(item, present[1],
             "a timeline entry does one thing, this one has both " + present[0] + " and " + present[1] +
                 "; write two entries with the same at");
    m.ignore({"apply", "delete", "scale", "kill", "app", "client"});
    m.finish();
    return;
  }
  const std::string& action = present[0];
  auto body = m.get(action);
  if (action == "apply" || action == "delete") {
    auto& out = action == "apply" ? e.apply : e.remove;
    const std::size_t errors_before = item.reader().error_count();
    if (body->is_seq() && body->node().size() == 0) {
      body->error(action + " must list at least one manifest file or folder");
      ok = false;
    } else {
      read_paths(*body, spec.base_dir, out);
      ok = ok && item.reader().error_count() == errors_before;
    }
  } else if (action == "scale") {
    ok = read_scale(*body, e) && ok;
  } else if (action == "kill") {
    ok = read_kill(*body, e) && ok;
  } else if (action == "app") {
    ok = read_app_changes(*body, e) && ok;
  } else {
    ok = read_client_changes(*body, spec, e) && ok;
  }
  m.finish();
  if (ok) spec.timeline.push_back(std::move(e));
}

// ------------------------------------------------------------------ rollout

bool read_step(const Value& item, RolloutSpec::Step& step) {
  if (item.is_scalar()) {
    auto n = item.as_int(0, 100);
    if (!n) return false;
    step.weight = static_cast<int>(*n);
    return true;
  }
  if (!item.is_map()) {
    item.error("a rollout step is a canary weight in percent (e.g. 10), {setWeight: 10} or {pause: 60s}, got " +
               item.describe());
    return false;
  }
  MapReader m(item);
  if (!m.ok()) return false;
  const bool has_weight = m.has("setWeight");
  const bool has_pause = m.has("pause");
  if (has_weight == has_pause) {
    m.ignore({"setWeight", "pause"});
    m.finish();
    item.error("a rollout step is exactly one of a weight (10 or {setWeight: 10}) or {pause: 60s}");
    return false;
  }
  bool ok = true;
  if (has_weight) {
    if (auto w = m.get("setWeight")) {
      if (auto n = w->as_int(0, 100))
        step.weight = static_cast<int>(*n);
      else
        ok = false;
    }
  } else if (auto p = m.get("pause")) {
    if (auto d = p->as_duration(engine::kNanosecond))
      step.pause = *d;
    else
      ok = false;
  }
  m.finish();
  return ok;
}

void read_rollout(const Value& v, ScenarioSpec& spec) {
  MapReader m(v);
  if (!m.ok()) return;
  RolloutSpec r;
  r.location = v.location();
  const std::size_t errors_before = v.reader().error_count();
  if (auto vs = m.require("virtualService", "virtualService is required: the VirtualService whose first http route "
                                            "the rollout rewrites, e.g. reviews")) {
    if (auto s = vs->as_string()) {
      if (!split_ref(*s, r.namespace_, r.virtual_service))
        vs->error("virtualService must be a name or namespace/name, got " + vs->describe());
    }
  }
  if (auto ns = m.get("namespace")) {
    if (auto s = ns->as_string()) {
      if (!object_name(*s))
        ns->error("namespace must be a Kubernetes namespace name, got " + ns->describe());
      else if (!r.namespace_.empty() && r.namespace_ != *s)
        ns->error("namespace \"" + *s + "\" contradicts virtualService's namespace \"" + r.namespace_ +
                  "\"; give it once");
      else
        r.namespace_ = *s;
    }
  }
  m.read("host", r.host);
  for (auto [key, out] : {std::pair<const char*, std::string*>{"stable", &r.stable}, {"canary", &r.canary}}) {
    if (auto s = m.require(key, std::string(key) + " is required: a subset name of the DestinationRule, e.g. " +
                                    (std::string(key) == "stable" ? "v1" : "v3"))) {
      if (auto text = s->as_string()) *out = *text;
    }
  }
  if (!r.stable.empty() && r.stable == r.canary) error_at(v, "canary", "canary and stable must be different subsets");
  if (auto steps = m.require("steps", "steps is required: canary weights and pauses, e.g. [10, {pause: 60s}, 50, "
                                      "{pause: 60s}, 100]")) {
    if (auto items = steps->as_list()) {
      bool any_weight = false;
      bool all_ok = true;
      for (const Value& item : *items) {
        RolloutSpec::Step step;
        if (read_step(item, step)) {
          any_weight = any_weight || step.weight.has_value();
          r.steps.push_back(step);
        } else {
          all_ok = false;
        }
      }
      if (all_ok && !any_weight)
        steps->error("steps must set a weight at least once (e.g. 10): pauses alone change nothing");
    }
  }
  m.read_duration("start", r.start);
  m.read_duration("analysisWindow", r.analysis_window, engine::kNanosecond);
  if (auto a = m.get("analysis")) {
    if (auto names = a->as_string_list()) {
      std::vector<std::string> known;
      for (const auto& s : spec.assertions) known.push_back(s.name);
      for (std::size_t i = 0; i < names->size(); ++i) {
        if (std::find(known.begin(), known.end(), (*names)[i]) == known.end())
          a->at(i).error("no assertion is named \"" + (*names)[i] + "\"; spec.assertions has " + join(known));
      }
      r.analysis = *names;
    }
  }
  m.finish();
  if (v.reader().error_count() != errors_before) return;
  SimTime end = r.start;
  for (const auto& s : r.steps) end += s.pause.value_or(SimDuration{});
  if (end >= SimTime{} + spec.duration)
    v.warning("the rollout's last step comes at " + engine::human_duration(end) + ", not before spec.duration (" +
              engine::human_duration(spec.duration) + "); later steps see no new arrivals");
  for (const auto& other : spec.rollouts) {
    if (other.virtual_service == r.virtual_service && other.namespace_ == r.namespace_) {
      v.error("VirtualService \"" + r.virtual_service +
              "\" already has a rollout; merge the two into one list of steps");
      return;
    }
  }
  spec.rollouts.push_back(std::move(r));
}

}  // namespace

void read_timeline(const Value& v, ScenarioSpec& spec) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) read_entry(item, spec);
  // Entries at the same time keep the file's order: `apply` then `scale` at 120s means that.
  std::stable_sort(spec.timeline.begin(), spec.timeline.end(),
                   [](const TimelineEntry& a, const TimelineEntry& b) { return a.at < b.at; });
}

void read_rollouts(const Value& v, ScenarioSpec& spec) {
  // One rollout is the common case, so a single map is accepted as well as a list.
  if (v.is_map()) {
    read_rollout(v, spec);
    return;
  }
  if (!v.is_seq()) {
    v.error("rollout must be a map such as {virtualService: reviews, stable: v1, canary: v3, steps: [10, "
            "{pause: 60s}, 100]}, or a list of them; got " + v.describe());
    return;
  }
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) read_rollout(item, spec);
}

}  // namespace meshtwin::scenario::detail
