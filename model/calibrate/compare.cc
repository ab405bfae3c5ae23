#include "model/calibrate/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace meshtwin::calibrate {
namespace {

struct Merged {
  double requests = 0, errors = 0;
  std::optional<Histogram> histogram;
  std::vector<double> durations;
};

std::map<std::string, Merged> by_name(const Observations& o) {
  std::map<std::string, Merged> out;
  for (const auto& [k, e] : o.edges) {
    Merged& m = out[k.source.name + " -> " + k.destination.name + " (" + k.service + ")"];
    m.requests += e.requests;
    m.errors += e.errors();
    if (e.histogram) {
      if (!m.histogram) m.histogram = e.histogram;
      else m.histogram->add(*e.histogram);
    }
    m.durations.insert(m.durations.end(), e.durations_ms.begin(), e.durations_ms.end());
  }
  return out;
}

// A quantile with the same estimator, at q moved by `sigmas` standard errors of the rank
// (sqrt(q (1 - q) / n)): the ends of the interval sampling noise alone spans.
double quantile_at(Merged& m, bool metrics, double q, double sigmas) {
  const double n = metrics ? (m.histogram ? m.histogram->count() : 0) : static_cast<double>(m.durations.size());
  if (!(n > 0)) return NAN;
  const double qq = std::clamp(q + sigmas * std::sqrt(q * (1 - q) / n), 0.0, 1.0);
  return metrics ? m.histogram->quantile(qq) : quantile_of(m.durations, qq);
}

Quantiles quantiles(Merged& m, bool metrics) {
  Quantiles q;
  if (metrics) {
    if (!m.histogram || !(m.histogram->count() > 0)) return q;
    q.p50 = m.histogram->quantile(0.5);
    q.p90 = m.histogram->quantile(0.9);
    q.p99 = m.histogram->quantile(0.99);
  } else {
    if (m.durations.empty()) return q;
    q.p50 = quantile_of(m.durations, 0.5);
    q.p90 = quantile_of(m.durations, 0.9);
    q.p99 = quantile_of(m.durations, 0.99);
  }
  q.valid = true;
  return q;
}

std::string pct(double rel) {
  if (!std::isfinite(rel)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f%%", rel * 100);
  return b;
}

}  // namespace

Comparison compare(const Observations& observed, const Observations& simulated, const CompareOptions& opt) {
  Comparison c;
  const bool metrics = observed.kind == InputKind::Metrics;
  auto obs = by_name(observed);
  auto sim = by_name(simulated);
  const double od = observed.duration_s() > 0 ? observed.duration_s() : 1;
  const double osample = observed.sample > 0 ? observed.sample : 1;
  const double sd = simulated.duration_s() > 0 ? simulated.duration_s() : 1;
  const double ssample = simulated.sample > 0 ? simulated.sample : 1;
  for (auto& [name, o] : obs) {
    EdgeComparison e;
    e.edge = name;
    e.observed_rate = o.requests / od / osample;
    e.observed_errors = o.requests > 0 ? o.errors / o.requests : 0;
    e.observed = quantiles(o, metrics);
    auto it = sim.find(name);
    if (it == sim.end()) {
      e.off.push_back("missing");
      c.edges.push_back(std::move(e));
      continue;
    }
    Merged& s = it->second;
    e.simulated_rate = s.requests / sd / ssample;
    e.simulated_errors = s.requests > 0 ? s.errors / s.requests : 0;
    e.simulated = quantiles(s, metrics);
    // Rates: Poisson counts on both sides.
    const double rate_se = std::sqrt(o.requests / (od * od * osample * osample) + s.requests / (sd * sd * ssample * ssample));
    const double drate = std::abs(e.simulated_rate - e.observed_rate);
    if (drate > opt.max_rate_error * e.observed_rate && drate > opt.noise_sigmas * rate_se) e.off.push_back("rate");
    const double p = (o.errors + s.errors) / std::max(1.0, o.requests + s.requests);
    const double err_se = std::sqrt(p * (1 - p) * (1 / std::max(1.0, o.requests) + 1 / std::max(1.0, s.requests)));
    const double derr = std::abs(e.simulated_errors - e.observed_errors);
    if (derr > opt.max_error_rate_delta && derr > opt.noise_sigmas * err_se) e.off.push_back("error rate");
    if (e.observed.valid && e.simulated.valid) {
      const double ov[3] = {e.observed.p50, e.observed.p90, e.observed.p99};
      const double sv[3] = {e.simulated.p50, e.simulated.p90, e.simulated.p99};
      const char* names[3] = {"p50", "p90", "p99"};
      const double qs[3] = {0.5, 0.9, 0.99};
      for (int i = 0; i < 3; ++i) {
        const double tol = metrics ? o.histogram->bucket_width(ov[i]) : opt.max_latency_error * ov[i];
        e.latency_tolerance_ms[i] = tol;
        if (std::abs(sv[i] - ov[i]) <= tol) continue;
        // A percentile is judged only where at least 5 requests lie beyond it on both sides.
        const double no = metrics ? o.histogram->count() : static_cast<double>(o.durations.size());
        const double ns = metrics ? (s.histogram ? s.histogram->count() : 0) : static_cast<double>(s.durations.size());
        if (std::min(no, ns) * (1 - qs[i]) < 5) continue;
        // Off only when the two sides' noise intervals do not meet either (a p99 of 50
        // requests is their largest but one: no estimate of the tail at all).
        const double z = opt.noise_sigmas;
        const double olo = quantile_at(o, metrics, qs[i], -z), ohi = quantile_at(o, metrics, qs[i], z);
        const double slo = quantile_at(s, metrics, qs[i], -z), shi = quantile_at(s, metrics, qs[i], z);
        if (shi < olo || slo > ohi) e.off.push_back(names[i]);
      }
    } else if (e.observed.valid != e.simulated.valid) {
      e.off.push_back("durations");
    }
    c.edges.push_back(std::move(e));
  }
  for (auto& [name, s] : sim) {
    if (obs.count(name)) continue;
    EdgeComparison e;
    e.edge = name;
    e.simulated_rate = s.requests / sd / ssample;
    e.simulated_errors = s.requests > 0 ? s.errors / s.requests : 0;
    e.simulated = quantiles(s, metrics);
    e.off.push_back("extra");
    c.edges.push_back(std::move(e));
  }
  for (const auto& e : c.edges) c.flagged += e.off.empty() ? 0 : 1;
  return c;
}

std::string format_comparison(const Comparison& c, bool metrics) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-60s %10s %10s %7s  %7s %7s  %9s %9s %7s  %9s %9s %7s  %9s %9s %7s  %s\n", "edge",
                "rate obs", "rate sim", "err", "errs obs", "errs sim", "p50 obs", "p50 sim", "err", "p90 obs", "p90 sim",
                "err", "p99 obs", "p99 sim", "err", "off");
  out += line;
  for (const auto& e : c.edges) {
    auto rel = [](double s, double o) { return o > 0 ? (s - o) / o : NAN; };
    std::string off;
    for (const auto& f : e.off) off += (off.empty() ? "! " : ", ") + f;
    std::snprintf(line, sizeof line,
                  "%-60s %10.4g %10.4g %7s  %6.2f%% %6.2f%%  %8.4gms %8.4gms %7s  %8.4gms %8.4gms %7s  %8.4gms %8.4gms %7s  %s\n",
                  e.edge.c_str(), e.observed_rate, e.simulated_rate, pct(rel(e.simulated_rate, e.observed_rate)).c_str(),
                  100 * e.observed_errors, 100 * e.simulated_errors, e.observed.p50, e.simulated.p50,
                  pct(rel(e.simulated.p50, e.observed.p50)).c_str(), e.observed.p90, e.simulated.p90,
                  pct(rel(e.simulated.p90, e.observed.p90)).c_str(), e.observed.p99, e.simulated.p99,
                  pct(rel(e.simulated.p99, e.observed.p99)).c_str(), off.c_str());
    out += line;
  }
  std::snprintf(line, sizeof line, "%zu edge(s), %zu off (%s)\n", c.edges.size(), c.flagged,
                metrics ? "percentiles from Istio's buckets; a percentile is off when it differs by more than its bucket's width"
                        : "percentiles from span durations");
  out += line;
  return out;
}

}  // namespace meshtwin::calibrate
