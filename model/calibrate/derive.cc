#include "model/calibrate/derive.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "model/registry/registry.h"

namespace meshtwin::calibrate {
namespace {

// Maximises loglik(mu, sigma) of a lognormal by pattern search over (mu, log sigma): two
// parameters, a smooth surface, no derivatives. Starts at (mu, ls), moves them to the best point
// found, and stops when the step (halved whenever no move improves) falls to min_step.
template <typename LogLik>
void pattern_search(const LogLik& loglik, double& mu, double& ls, double min_step) {
  double best = loglik(mu, std::exp(ls));
  for (double step = 0.5; step > min_step;) {
    bool improved = false;
    const double moves[4][2] = {{step, 0}, {-step, 0}, {0, step}, {0, -step}};
    for (const auto& m : moves) {
      const double cand = loglik(mu + m[0], std::exp(ls + m[1]));
      if (cand > best) {
        best = cand;
        mu += m[0];
        ls += m[1];
        improved = true;
      }
    }
    if (!improved) step /= 2;
  }
}

std::string num(double v, int digits = 4) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// `reviews` for a Kubernetes service in the caller's namespace (or "default" when the caller's
// namespace is not known), the FQDN otherwise.
std::string host_for(const std::string& service, const std::string& caller_ns) {
  const auto dot = service.find('.');
  const auto svc = service.find(".svc.");
  if (dot == std::string::npos || svc == std::string::npos || dot > svc) return service;
  const std::string ns = service.substr(dot + 1, svc - dot - 1);
  if (ns == (caller_ns.empty() ? "default" : caller_ns)) return service.substr(0, dot);
  return service;
}

std::string resolve(const std::string& host, const std::string& ns) {
  return registry::resolve_short_name(host, ns.empty() ? "default" : ns);
}

bool same_workload(const WorkloadId& a, const std::string& ns, const std::string& name) {
  if (a.name != name) return false;
  return a.namespace_.empty() || ns.empty() || a.namespace_ == ns;
}

const scenario::AppSpec* base_app(const scenario::ScenarioSpec* base, const WorkloadId& w) {
  if (!base) return nullptr;
  for (const auto& a : base->apps) {
    if (same_workload(w, a.namespace_, a.workload)) return &a;
  }
  return nullptr;
}

std::optional<scenario::CallSpec> base_call(const scenario::AppSpec* app, const std::string& service) {
  if (!app) return std::nullopt;
  for (const auto& step : app->calls) {
    for (const auto& c : step.calls) {
      if (resolve(c.to.host, app->namespace_) == service) return c;
    }
  }
  return std::nullopt;
}

// Where each service sits in the base app's calls: (step index, whether the step is parallel).
std::optional<std::pair<std::size_t, bool>> base_position(const scenario::AppSpec* app, const std::string& service) {
  if (!app) return std::nullopt;
  for (std::size_t i = 0; i < app->calls.size(); ++i) {
    for (const auto& c : app->calls[i].calls) {
      if (resolve(c.to.host, app->namespace_) == service) return std::make_pair(i, app->calls[i].parallel);
    }
  }
  return std::nullopt;
}

struct Flow {
  double requests = 0;
  double errors = 0;
  std::optional<Histogram> histogram;
  int port = 0;
  std::string url, method;
  std::array<double, 24> per_hour{};
};

void add_flow(Flow& f, const EdgeData& e) {
  f.requests += e.requests;
  f.errors += e.errors();
  if (e.histogram) {
    if (!f.histogram) f.histogram = e.histogram;
    else f.histogram->add(*e.histogram);
  }
  if (!f.port) f.port = e.port;
  if (f.url.empty()) {
    f.url = e.url;
    f.method = e.method;
  }
  for (int h = 0; h < 24; ++h) f.per_hour[h] += e.per_hour[h];
}

std::string url_for(const std::string& service, const std::string& caller_ns, int port,
                    const std::optional<scenario::CallSpec>& tmpl, const DeriveOptions& o) {
  if (tmpl) {
    // The base's URL as written (its host, port and path): same service, so same routing.
    const auto& u = tmpl->to;
    return u.scheme + "://" + u.authority() + u.path;
  }
  if (!port) {
    auto it = o.service_ports.find(service);
    port = it != o.service_ports.end() ? it->second : 80;
  }
  return "http://" + host_for(service, caller_ns) + (port == 80 ? "" : ":" + std::to_string(port)) + "/";
}

// The lognormal whose bucket counts are most likely to give the histogram (maximum likelihood
// on binned data). Linear interpolation inside Istio's wide buckets (1-5 ms, 5-10 ms) misplaces
// a median by up to half a bucket; the fitted curve does not. Returns (p50, p99) in ms, nullopt
// when the histogram is empty.
std::optional<std::pair<double, double>> fit_lognormal(const Histogram& h) {
  if (!(h.count() > 0)) return std::nullopt;
  auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  auto loglik = [&](double mu, double sigma) {
    double ll = 0, below = 0, lower_cdf = 0;
    for (std::size_t b = 0; b < h.le_ms.size(); ++b) {
      const double n = h.cumulative[b] - below;
      below = h.cumulative[b];
      const double upper_cdf = std::isinf(h.le_ms[b]) ? 1.0 : phi((std::log(h.le_ms[b]) - mu) / sigma);
      if (n > 0) ll += n * std::log(std::max(upper_cdf - lower_cdf, 1e-300));
      lower_cdf = upper_cdf;
    }
    return ll;
  };
  const double q50 = h.quantile(0.5), q99 = h.quantile(0.99);
  double mu = std::log(std::max(q50, 1e-3));
  double ls = std::log(std::clamp((std::log(std::max(q99, q50 * 1.01)) - mu) / 2.326, 0.05, 3.0));
  pattern_search(loglik, mu, ls, 1e-4);
  const double sigma = std::exp(ls);
  return std::make_pair(std::exp(mu), std::exp(mu + 2.326347874 * sigma));
}


// What one workload's derivation reads and writes.
struct AppContext {
  const Observations& obs;
  const DeriveOptions& o;
  Calibration& cal;
  CalibratedApp& app;
  const WorkloadId& w;
  const Flow& in;
  const std::map<std::string, Flow>& outs;
  std::string caller_ns;

  CalibratedCall make_call(const std::string& service, int count, double observed) const {
    CalibratedCall c;
    c.service = service;
    c.count = count;
    c.observed = observed;
    c.from_base = base_call(app.base, service);
    const auto f = outs.find(service);
    c.url = url_for(service, caller_ns, f != outs.end() ? f->second.port : 0, c.from_base, o);
    return c;
  }
};

// Traces: the most frequent call sequence; counts per service from it, checked against the
// average over every request.
void calls_from_traces(AppContext& x, const WorkloadTraces* wt) {
  CalibratedApp& app = x.app;
  Calibration& cal = x.cal;
  const WorkloadId& w = x.w;
  auto make_call = [&](const std::string& svc, int count, double observed) { return x.make_call(svc, count, observed); };
  // The most frequent call sequence; counts per service from it, checked against the
  // average over every request.
  std::string mode;
  std::uint64_t best = 0;
  for (const auto& [p, n] : wt->patterns) {
    if (n > best) {
      best = n;
      mode = p;
    }
  }
  std::map<std::string, int> in_mode;
  std::size_t pos = 0;
  while (!mode.empty() && pos <= mode.size()) {
    std::size_t end = mode.find(';', pos);
    if (end == std::string::npos) end = mode.size();
    const std::string step = mode.substr(pos, end - pos);
    CalibratedStep s;
    std::size_t q = 0;
    while (q <= step.size()) {
      std::size_t e2 = step.find('|', q);
      if (e2 == std::string::npos) e2 = step.size();
      const std::string svc = step.substr(q, e2 - q);
      ++in_mode[svc];
      s.calls.push_back(make_call(svc, 1, 0));
      q = e2 + 1;
    }
    s.parallel = s.calls.size() > 1;
    app.steps.push_back(std::move(s));
    pos = end + 1;
  }
  for (auto& s : app.steps) {
    for (auto& c : s.calls) {
      const auto it = wt->calls_by_service.find(c.service);
      c.observed = it == wt->calls_by_service.end() ? 0 : static_cast<double>(it->second) / static_cast<double>(wt->inbound);
      c.note = "traces: " + num(c.observed) + " calls per inbound request (" + std::to_string(in_mode[c.service]) +
               " in the most frequent sequence, followed by " + num(100.0 * static_cast<double>(best) / static_cast<double>(wt->inbound), 3) + " % of requests)";
    }
  }
  app.calls_note = "order and parallel groups from the most frequent call sequence in the traces";
  for (const auto& [svc, n] : wt->calls_by_service) {
    if (!in_mode.count(svc)) {
      cal.notes.push_back(w.text() + " calls " + svc + " in " + num(100.0 * static_cast<double>(n) / static_cast<double>(wt->inbound), 3) +
                          " % of requests, not in its most frequent sequence: left out (the scenario format has no conditional calls)");
    }
  }
}

// Metrics: calls per inbound request from the counts; order and grouping from the base.
void calls_from_metrics(AppContext& x) {
  CalibratedApp& app = x.app;
  Calibration& cal = x.cal;
  const WorkloadId& w = x.w;
  const Flow& in = x.in;
  const auto& outs = x.outs;
  auto make_call = [&](const std::string& svc, int count, double observed) { return x.make_call(svc, count, observed); };
  std::vector<std::pair<std::string, double>> ratios;
  for (const auto& [svc, f] : outs) ratios.emplace_back(svc, in.requests > 0 ? f.requests / in.requests : 0);
  std::stable_sort(ratios.begin(), ratios.end(), [&](const auto& a, const auto& b) {
    const auto pa = base_position(app.base, a.first), pb = base_position(app.base, b.first);
    const std::size_t ia = pa ? pa->first : 1u << 30, ib = pb ? pb->first : 1u << 30;
    return ia < ib;
  });
  std::optional<std::size_t> last_step;
  for (const auto& [svc, ratio] : ratios) {
    const int count = static_cast<int>(std::lround(ratio));
    if (count < 1) {
      cal.notes.push_back(w.text() + " calls " + svc + " " + num(ratio) +
                          " times per inbound request: left out (the scenario format has no conditional calls)");
      continue;
    }
    const auto bp = base_position(app.base, svc);
    CalibratedCall c = make_call(svc, count, ratio);
    c.note = "metrics: " + num(ratio) + " calls per inbound request (" + num(outs.at(svc).requests, 8) + " / " +
             num(in.requests, 8) + " requests)";
    if (bp && bp->second && last_step && *last_step == bp->first && !app.steps.empty()) {
      app.steps.back().calls.push_back(std::move(c));
      app.steps.back().parallel = true;
    } else {
      CalibratedStep s;
      s.calls.push_back(std::move(c));
      app.steps.push_back(std::move(s));
    }
    last_step = bp ? std::optional<std::size_t>(bp->first) : std::nullopt;
  }
  app.calls_note = app.base ? "order and parallel groups as in the base scenario (metrics do not show them); new calls after, in sequence"
                            : "in sequence (metrics do not show order or parallelism)";
}

// Traces: each inbound span's time not spent in calls, less what the hop adds.
void service_time_from_traces(AppContext& x, const WorkloadTraces* wt) {
  CalibratedApp& app = x.app;
  const DeriveOptions& o = x.o;
  std::vector<double> self = wt->self_ms;
  const double p50 = quantile_of(self, 0.5), p99 = quantile_of(self, 0.99);
  app.p50_ms = std::max(1e-3, p50 - o.hop_overhead_ms);
  app.p99_ms = std::max(app.p50_ms * 1.0001, p99 - o.hop_overhead_ms);
  app.service_time_note = "traces: " + std::to_string(self.size()) + " inbound spans, time not spent in calls p50 " +
                          num(p50) + " ms, p99 " + num(p99) + " ms, less " + num(o.hop_overhead_ms) + " ms per hop (network, proxies)";
  if (o.fit == DeriveOptions::Fit::Empirical) {
    double prev = -1;
    for (int i = 0; i <= 20; ++i) {
      const double p = i / 20.0;
      const double v = std::max(0.0, quantile_of(self, p) - o.hop_overhead_ms);
      if (v <= prev) {
        if (!app.empirical.empty()) app.empirical.back().second = p;
        continue;
      }
      app.empirical.emplace_back(v, p);
      prev = v;
    }
    if (!app.empirical.empty()) app.empirical.back().second = 1.0;
  }
}

constexpr int kSamples = 128;

// Durations of the app's calls per request plus the hop, at kSamples stratified points (each
// call its own fixed shuffle of the strata, so calls are independent); `down_median` gets the
// sum of the calls' medians.
std::vector<double> call_duration_samples(const AppContext& x, double* down_median) {
  const CalibratedApp& app = x.app;
  const auto& outs = x.outs;
  const DeriveOptions& o = x.o;
  std::vector<double> rest(kSamples, o.hop_overhead_ms);
  double& down_median_ref = *down_median;
  down_median_ref = 0;
  // Standard normal quantiles at the strata midpoints (j + 0.5) / n, computed once.
  static const std::vector<double> strata_z = [] {
    std::vector<double> z(kSamples);
    for (int j = 0; j < kSamples; ++j) {
      const double u = (j + 0.5) / kSamples;
      double lo = -9, hi = 9;  // bisection on erfc: once per stratum, no extra dependency
      for (int k = 0; k < 60; ++k) {
        const double mid = (lo + hi) / 2;
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < u ? lo : hi) = mid;
      }
      z[j] = (lo + hi) / 2;
    }
    return z;
  }();
  std::uint64_t lcg = 0x9E3779B97F4A7C15ull;
  // Each call gets its own fixed shuffle of the strata, so that calls are independent.
  auto shuffled_z = [&] {
    std::vector<double> z = strata_z;
    for (int j = kSamples - 1; j > 0; --j) {
      lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
      std::swap(z[j], z[(lcg >> 33) % static_cast<std::uint64_t>(j + 1)]);
    }
    return z;
  };
  for (const auto& s : app.steps) {
    std::vector<double> step(kSamples, 0.0);
    for (const auto& c : s.calls) {
      const auto f = outs.find(c.service);
      if (f == outs.end() || !f->second.histogram) continue;
      const auto fit = fit_lognormal(*f->second.histogram);
      if (!fit) continue;
      down_median_ref += fit->first * c.count;
      const double fmu = std::log(fit->first), fsigma = (std::log(fit->second) - fmu) / 2.326347874;
      for (int n = 0; n < c.count; ++n) {
        const auto z = shuffled_z();
        for (int j = 0; j < kSamples; ++j) {
          const double d = std::exp(fmu + fsigma * z[j]);
          step[j] = s.parallel ? std::max(step[j], d) : step[j] + d;
        }
      }
    }
    for (int j = 0; j < kSamples; ++j) rest[j] += step[j];
  }
  return rest;
}

// The own lognormal (p50, p99) whose sum with `rest` is most likely to give the histogram
// (binned likelihood), searched from a median of `start50`.
std::pair<double, double> fit_own_lognormal(const Histogram& h, const std::vector<double>& rest, double start50) {
  // Binned log-likelihood of own ~ lognormal(mu, sigma) plus `rest`.
  auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  // Only the buckets that hold requests matter (and the bound below the first of them).
  std::size_t first_b = 0, last_b = h.le_ms.size() - 1;
  while (first_b < last_b && h.cumulative[first_b] <= 0) ++first_b;
  while (last_b > first_b && h.cumulative[last_b - 1] >= h.count()) --last_b;
  std::vector<double> prev(kSamples);
  auto loglik = [&](double mu, double sigma) {
    double ll = 0;
    double below = first_b == 0 ? 0 : h.cumulative[first_b - 1];
    for (int j = 0; j < kSamples; ++j) {
      const double x = first_b == 0 ? 0 : h.le_ms[first_b - 1] - rest[j];
      prev[j] = x <= 0 ? 0.0 : phi((std::log(x) - mu) / sigma);
    }
    for (std::size_t b = first_b; b <= last_b; ++b) {
      const double n = h.cumulative[b] - below;
      below = h.cumulative[b];
      double p = 0;
      for (int j = 0; j < kSamples; ++j) {
        const double x = h.le_ms[b] - rest[j];
        const double cdf = std::isinf(h.le_ms[b]) || b == last_b ? 1.0 : x <= 0 ? 0.0 : phi((std::log(x) - mu) / sigma);
        p += cdf - prev[j];
        prev[j] = cdf;
      }
      if (n > 0) ll += n * std::log(std::max(p / kSamples, 1e-300));
    }
    return ll;
  };
  double mu = std::log(start50), ls = std::log(0.7);
  pattern_search(loglik, mu, ls, 1e-2);
  return {std::exp(mu), std::exp(mu + 2.326347874 * std::exp(ls))};
}

// Metrics: the inbound duration is the app's own time plus its calls (sequential calls add, a
// parallel group takes its slowest) plus the hop. Each call's duration is the lognormal fitted
// to its histogram; the app's own lognormal is the one whose sum with them is most likely to
// give the inbound histogram (deterministic, no simulation).
void service_time_from_metrics(AppContext& x) {
  CalibratedApp& app = x.app;
  const Flow& in = x.in;
  const DeriveOptions& o = x.o;
  const auto fit_in = fit_lognormal(*in.histogram);
  const double in50 = fit_in->first, in99 = fit_in->second;
  if (app.steps.empty()) {
    // No calls: the inbound lognormal less the hop, as for traces.
    app.p50_ms = std::max(1e-3, in50 - o.hop_overhead_ms);
    app.p99_ms = std::max(app.p50_ms * 1.0001, in99 - o.hop_overhead_ms);
    app.service_time_note = "metrics: inbound p50 " + num(in50) + " ms, p99 " + num(in99) +
                            " ms (a lognormal fitted to Istio's buckets), less " + num(o.hop_overhead_ms) + " ms per hop";
    return;
  }
  double down_median = 0;
  const std::vector<double> rest = call_duration_samples(x, &down_median);
  const double start50 = std::max(in50 - down_median - o.hop_overhead_ms, in50 * 0.05);
  const auto [p50, p99] = fit_own_lognormal(*in.histogram, rest, start50);
  app.p50_ms = p50;
  app.p99_ms = p99;
  app.service_time_note = "metrics: inbound p50 " + num(in50) + " ms, p99 " + num(in99) +
                          " ms (a lognormal fitted to Istio's buckets); the own time whose sum with its calls (p50 " +
                          num(down_median) + " ms) and " + num(o.hop_overhead_ms) +
                          " ms per hop best fits the inbound buckets";
}

// Failures the app itself answers (the proxy's own replies carry flags).
void own_failures(AppContext& x, std::map<std::pair<int, std::string>, double>& inbound_codes_w) {
  CalibratedApp& app = x.app;
  Calibration& cal = x.cal;
  const WorkloadId& w = x.w;
  const Flow& in = x.in;
  const auto& outs = x.outs;
  const int error_status = app.base ? app.base->error_status : 500;
  double propagate_ok = 1.0;  // P(every call that fails the request succeeds)
  for (const auto& s : app.steps) {
    for (const auto& c : s.calls) {
      const bool fails = !c.from_base || c.from_base->on_failure == scenario::CallSpec::OnFailure::Fail;
      const auto f = outs.find(c.service);
      if (!fails || f == outs.end() || !(f->second.requests > 0)) continue;
      const int tries = c.from_base ? c.from_base->attempts : 1;
      const double e = std::pow(f->second.errors / f->second.requests, tries);
      propagate_ok *= std::pow(1.0 - e, c.count);
    }
  }
  const double P = 1.0 - propagate_ok;
  std::map<int, double> own;
  for (const auto& [cf, n] : inbound_codes_w) {
    if (cf.first >= 400 && (cf.second == "-" || cf.second.empty())) own[cf.first] += n;
  }
  double other = 0;
  for (const auto& [code, n] : own) {
    if (code != error_status) other += n / in.requests;
  }
  for (const auto& [code, n] : own) {
    const double share = n / in.requests;
    double rate = share;
    std::string note = "share of inbound requests answered " + std::to_string(code) + " with no Envoy flag (" + num(n, 8) + " / " + num(in.requests, 8) + ")";
    if (code == error_status && P > 0) {
      // Part of these are the app's errorStatus for a failed call, which the simulation
      // makes again from the callees' own failures.
      rate = P < 1 ? (share - (1.0 - other) * P) / (1.0 - P) : 0;
      note += ", less " + num(100 * P, 3) + " % from failed calls";
      const double se = std::sqrt(std::max(share * (1 - share), 1e-12) / std::max(in.requests, 1.0));
      if (rate < 2 * se) {
        cal.notes.push_back(w.text() + ": its " + std::to_string(code) + "s (" + num(100 * share, 3) +
                            " %) are explained by failed calls (" + num(100 * P, 3) + " %)");
        continue;
      }
    }
    if (!(rate > 0)) continue;
    CalibratedFailure f;
    f.status = code;
    f.rate = rate;
    f.note = note;
    app.failures.push_back(std::move(f));
  }
}

bool has_inbound(const std::map<WorkloadId, Flow>& inbound, const WorkloadId& w) {
  for (const auto& [d, f] : inbound) {
    if (d.name == w.name && (d.namespace_ == w.namespace_ || d.namespace_.empty() || w.namespace_.empty())) return true;
  }
  return false;
}

// Clients: callers nothing calls (entry points), per service they call.
void derive_clients(const Observations& obs, const DeriveOptions& o, const std::map<WorkloadId, Flow>& inbound,
                    const std::map<WorkloadId, std::map<std::string, Flow>>& outbound, Calibration& cal) {
  const double seconds = obs.duration_s();
  const bool traces = obs.kind == InputKind::Traces;
  const double scale = 1.0 / seconds / (obs.sample > 0 ? obs.sample : 1.0);
  std::set<const scenario::ClientSpec*> used;
  for (const auto& [src, services] : outbound) {
    if (has_inbound(inbound, src)) continue;
    for (const auto& [svc, f] : services) {
      CalibratedClient c;
      c.from = src;
      c.service = svc;
      c.rate = f.requests * scale;
      const std::string ns = src.namespace_;
      if (o.base) {
        const scenario::ClientSpec* pick = nullptr;
        for (const auto& bc : o.base->clients) {
          if (used.count(&bc)) continue;
          const bool from_match = src.name == "unknown" || same_workload(src, bc.from_namespace, bc.from_name);
          if (!from_match) continue;
          if (resolve(bc.to.host, bc.from_namespace) == svc) {
            pick = &bc;
            break;
          }
          if (!pick && bc.from_kind == scenario::ClientSpec::FromKind::Gateway) pick = &bc;
        }
        if (pick) {
          used.insert(pick);
          c.base = pick;
          c.name = pick->name;
          c.from_gateway = pick->from_kind == scenario::ClientSpec::FromKind::Gateway;
          c.from.namespace_ = pick->from_namespace;
          c.url = pick->to.scheme + "://" + pick->to.authority() + pick->to.path;
        }
      }
      if (!c.base) {
        if (src.name == "unknown") {
          cal.notes.push_back(num(c.rate) + " requests/s to " + svc +
                              " come from outside the mesh (source_workload unknown): no client written; add one from a gateway");
          continue;
        }
        c.from_gateway = src.name.find("gateway") != std::string::npos;
        const std::string short_svc = svc.substr(0, svc.find('.'));
        c.name = src.name + "-" + short_svc;
        c.url = !f.url.empty() ? f.url : url_for(svc, ns, f.port, std::nullopt, o);
      }
      c.note = std::string(traces ? "traces: " : "metrics: ") + num(f.requests, 8) + " requests from " + src.text() + " to " + svc +
               " in " + num(seconds, 6) + " s" + (obs.sample < 1 ? ", sampled at " + num(obs.sample) : "");
      if (seconds >= o.hourly_from_hours * 3600.0) {
        for (int h = 0; h < 24; ++h) {
          if (obs.seconds_per_hour[h] > 0) {
            c.hourly.emplace_back(h, f.per_hour[h] / obs.seconds_per_hour[h] / (obs.sample > 0 ? obs.sample : 1.0));
          }
        }
      }
      cal.clients.push_back(std::move(c));
    }
  }
  if (o.base) {
    for (const auto& bc : o.base->clients) {
      if (!used.count(&bc)) {
        cal.notes.push_back("the base scenario's client " + bc.name + " matches no traffic in the input: left out");
      }
    }
  }
}

std::string describe_input(const Observations& obs) {
  std::string files;
  for (const auto& f : obs.files) files += (files.empty() ? "" : ", ") + f;
  const bool traces = obs.kind == InputKind::Traces;
  std::string out = std::string(traces ? "traces " : "Prometheus metrics ") + files + " (" + num(obs.duration_s(), 6) + " s";
  if (traces) out += ", " + std::to_string(obs.spans) + " spans, sample " + num(obs.sample);
  else out += ", " + std::to_string(obs.series) + " series, " + std::to_string(obs.samples) + " samples";
  return out + ")";
}

}  // namespace

Calibration derive(const Observations& obs, const DeriveOptions& o) {
  Calibration cal;
  const double seconds = obs.duration_s();
  const bool traces = obs.kind == InputKind::Traces;
  cal.input = describe_input(obs);
  if (!(seconds > 0)) {
    cal.notes.push_back("the input covers no time (one sample or no spans): nothing to derive rates from");
    return cal;
  }
  const double scale = 1.0 / seconds / (obs.sample > 0 ? obs.sample : 1.0);
  if (!traces && o.fit == DeriveOptions::Fit::Empirical) {
    cal.notes.push_back("--fit empirical needs per-request durations (traces); from Istio's buckets the service times are lognormal");
  }
  // Flows into each workload and out of it by service.
  std::map<WorkloadId, Flow> inbound;
  std::map<WorkloadId, std::map<std::string, Flow>> outbound;
  std::map<WorkloadId, std::map<std::pair<int, std::string>, double>> inbound_codes;
  for (const auto& [key, e] : obs.edges) {
    if (key.destination.name != "unknown") {
      add_flow(inbound[key.destination], e);
      for (const auto& [cf, n] : e.by_code_flags) inbound_codes[key.destination][cf] += n;
    }
    add_flow(outbound[key.source][key.service], e);
  }
  const std::map<std::string, Flow> none;
  for (const auto& [w, in] : inbound) {
    CalibratedApp app;
    app.workload = w;
    app.base = base_app(o.base, w);
    app.inbound_per_s = in.requests * scale;
    const auto out_it = outbound.find(w);
    AppContext x{obs, o, cal, app, w, in, out_it == outbound.end() ? none : out_it->second,
                 !w.namespace_.empty() ? w.namespace_ : app.base ? app.base->namespace_ : ""};
    const WorkloadTraces* wt = nullptr;
    if (traces) {
      auto it = obs.workloads.find(w);
      if (it != obs.workloads.end()) wt = &it->second;
    }
    if (wt && wt->inbound > 0) {
      calls_from_traces(x, wt);
    } else {
      calls_from_metrics(x);
    }
    if (wt && !wt->self_ms.empty()) {
      service_time_from_traces(x, wt);
    } else if (in.histogram && in.histogram->count() > 0) {
      service_time_from_metrics(x);
    } else {
      app.service_time_note = "no durations observed: left at 0";
    }
    own_failures(x, inbound_codes[w]);
    cal.apps.push_back(std::move(app));
  }
  derive_clients(obs, o, inbound, outbound, cal);
  return cal;
}

}  // namespace meshtwin::calibrate
