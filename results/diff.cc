#include "results/row_time.h"
#include "results/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <tuple>
#include <unordered_map>

#include "model/telemetry/outcome.h"
#include "model/telemetry/response_flags.h"
#include "results/assertions.h"
#include "results/batch.h"
#include "results/percentiles.h"
#include "results/report.h"
#include "results/text.h"

namespace meshtwin::results {
namespace {


// A label cell; NULL reads `unknown`, as Istio's telemetry writes labels that do not apply.
std::string as_label(const Value& v) { return as_text(v, "unknown"); }

using telemetry::is_non5xx;
using telemetry::is_success;

constexpr const char* kQuantileMetrics[] = {"p50", "p90", "p99"};
constexpr double kQuantiles[] = {0.50, 0.90, 0.99};

// One group (a client or an edge) in one run.
struct Side {
  std::uint64_t n = 0;
  std::uint64_t success = 0;  // is_success: 200-399
  std::uint64_t non5xx = 0;   // is_non5xx: 1-499
  std::map<std::string, std::uint64_t> flags;  // per single flag code
  std::optional<DurationDigest> digest;        // clients: every duration (exact up to 2M)
  BucketCounts buckets{};                      // edges
};
using Groups = std::map<DiffKey, Side>;

void add_flags(std::map<std::string, std::uint64_t>& out, std::uint32_t bits, std::uint64_t n) {
  for (std::uint32_t b = 0; b < 32; ++b)
    if (bits & (1u << b)) out[telemetry::format_response_flags(1u << b)] += n;
}

bool collect(const Reader& reader, std::int64_t run_id, Groups& groups, std::string* error) {
  // spec.warmup: requests and metrics windows that start before it are left out.
  const auto info = reader.run(run_id);
  const Value warmup{static_cast<std::int64_t>(info ? info->warmup : 0)};
  // Clients: the compact table and the string dictionary, not the view: a run may hold
  // 100M requests and the view looks every id up per row.
  std::unordered_map<std::int64_t, std::string> strings;
  if (!reader.query_each("SELECT id, value FROM strings", {}, [&](const Row& r) {
        strings.emplace(as_int(r[0]), as_label(r[1]));
        return true;
      }, error))
    return false;
  auto text = [&](std::int64_t id) -> const std::string& {
    static const std::string kUnknown = "unknown";
    auto it = strings.find(id);
    return it == strings.end() ? kUnknown : it->second;
  };
  std::unordered_map<std::int64_t, Side*> by_client;
  std::unordered_map<std::int64_t, std::uint32_t> flag_bits;
  if (!reader.query_each(
          "SELECT client, response_code, response_flags, duration_ns FROM request_rows WHERE run_id = ? AND "
          "start_ns >= ?",
          {Value{run_id}, warmup},
          [&](const Row& r) {
            const std::int64_t client = as_int(r[0]);
            Side*& side = by_client[client];
            if (side == nullptr) {
              DiffKey key;
              key.kind = DiffKey::Kind::Client;
              key.client = text(client);
              side = &groups[key];
              side->digest.emplace(1u << 21);
            }
            ++side->n;
            if (is_success(as_int(r[1]))) ++side->success;
            if (is_non5xx(as_int(r[1]))) ++side->non5xx;
            const std::int64_t flags_id = as_int(r[2]);
            auto [it, inserted] = flag_bits.try_emplace(flags_id, 0u);
            if (inserted) it->second = telemetry::parse_response_flags(text(flags_id)).value_or(0u);
            if (it->second != 0) add_flags(side->flags, it->second, 1);
            side->digest->add(as_int(r[3]));
            return true;
          },
          error))
    return false;

  // Edges: source-reporter metrics are small (labels x windows), so the view and GROUP BY.
  std::string sql =
      "SELECT source_workload, destination_service, destination_version, response_code, response_flags, "
      "sum(requests)";
  for (auto col : kDurationBucketColumns) sql += fmt::format(", sum({})", col);
  sql += " FROM metrics WHERE run_id = ? AND reporter = 'source' AND window_start_ns >= ? GROUP BY 1, 2, 3, 4, 5";
  return reader.query_each(
      sql, {Value{run_id}, warmup},
      [&](const Row& r) {
        DiffKey key;
        key.kind = DiffKey::Kind::Edge;
        key.source = as_label(r[0]);
        key.service = as_label(r[1]);
        key.version = as_label(r[2]);
        Side& side = groups[key];
        const auto n = static_cast<std::uint64_t>(as_int(r[5]));
        side.n += n;
        if (is_success(as_int(r[3]))) side.success += n;
        if (is_non5xx(as_int(r[3]))) side.non5xx += n;
        add_flags(side.flags, telemetry::parse_response_flags(as_label(r[4])).value_or(0u), n);
        for (std::size_t b = 0; b < kDurationBuckets; ++b) side.buckets[b] += static_cast<std::uint64_t>(as_int(r[6 + b]));
        return true;
      },
      error);
}

// ------------------------------------------------------------------ bootstrap

class Bootstrap {
 public:
  explicit Bootstrap(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t binomial(std::uint64_t n, double p) {
    if (n == 0 || p <= 0) return 0;
    if (p >= 1) return n;
    std::binomial_distribution<std::uint64_t> d(n, p);
    return d(rng_);
  }

  // The rank J (1-based) of the resample's nearest-rank q-quantile among the n sorted values:
  // J = min{j : C_j >= k}, where C_j counts resampled draws at positions <= j. C is split
  // by halves: given C_lo and C_hi, the draws in (lo, hi] land in (lo, mid] with probability
  // (mid - lo) / (hi - lo) each, so C_mid = C_lo + Binomial(C_hi - C_lo, that).
  std::uint64_t resampled_rank(std::uint64_t n, double q) {
    const auto k = std::clamp<std::uint64_t>(
        static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n) - 1e-9)), 1, n);
    std::uint64_t lo = 0, c_lo = 0, hi = n, c_hi = n;
    while (hi - lo > 1) {
      const std::uint64_t mid = lo + (hi - lo) / 2;
      const std::uint64_t c_mid =
          c_lo + binomial(c_hi - c_lo, static_cast<double>(mid - lo) / static_cast<double>(hi - lo));
      if (c_mid >= k) {
        hi = mid;
        c_hi = c_mid;
      } else {
        lo = mid;
        c_lo = c_mid;
      }
    }
    return hi;
  }

  BucketCounts resample(const BucketCounts& b, std::uint64_t n) {
    BucketCounts out{};
    std::uint64_t left = n, mass = n;
    for (std::size_t i = 0; i < kDurationBuckets && left > 0; ++i) {
      if (b[i] == 0) continue;
      const std::uint64_t c = i + 1 == kDurationBuckets || mass == b[i]
                                  ? left
                                  : binomial(left, static_cast<double>(b[i]) / static_cast<double>(mass));
      out[i] = c;
      left -= c;
      mass -= b[i];
    }
    return out;
  }

 private:
  std::mt19937_64 rng_;
};

std::int64_t order_statistic(const DurationDigest& d, std::uint64_t rank) {
  // percentile() takes a quantile; (rank - 0.5) / n has nearest rank exactly `rank`.
  return d.percentile((static_cast<double>(rank) - 0.5) / static_cast<double>(d.count()));
}

std::int64_t point_percentile(const DiffKey& key, const Side& s, double q) {
  if (key.kind == DiffKey::Kind::Client) return s.digest ? s.digest->percentile(q) : 0;
  return percentile_from_buckets(s.buckets, q);
}

std::pair<double, double> interval(std::vector<double>& deltas, double confidence) {
  std::sort(deltas.begin(), deltas.end());
  const double alpha = (1 - confidence) / 2;
  const auto n = deltas.size();
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(std::clamp(std::floor(q * static_cast<double>(n - 1) + 0.5), 0.0,
                                                       static_cast<double>(n - 1)));
    return deltas[i];
  };
  return {at(alpha), at(1 - alpha)};
}

// `boot_non5xx` draws non5xxRate's replicates from a stream of its own, so that adding the
// reading left every other interval as it was.
GroupDiff compare_group(const DiffKey& key, const Side& base, const Side& cand, const DiffOptions& opt,
                        Bootstrap& boot, Bootstrap& boot_non5xx) {
  GroupDiff g;
  g.key = key;
  g.base_n = base.n;
  g.candidate_n = cand.n;
  const bool both = base.n > 0 && cand.n > 0;
  const int b_count = std::max(opt.resamples, 2);

  g.metrics.push_back({"count", static_cast<double>(base.n), static_cast<double>(cand.n),
                       static_cast<double>(cand.n) - static_cast<double>(base.n), std::nullopt, std::nullopt, true});

  auto rate = [](std::uint64_t part, std::uint64_t n) { return n ? static_cast<double>(part) / static_cast<double>(n) : 0.0; };
  // A resampled success count is Binomial(n, p) for either reading.
  auto rate_delta = [&](const char* metric, std::uint64_t base_part, std::uint64_t cand_part, Bootstrap& b) {
    MetricDelta m{metric, rate(base_part, base.n), rate(cand_part, cand.n), 0, {}, {}, both};
    m.delta = m.candidate - m.base;
    if (both) {
      std::vector<double> d(static_cast<std::size_t>(b_count));
      for (auto& x : d) x = rate(b.binomial(cand.n, m.candidate), cand.n) - rate(b.binomial(base.n, m.base), base.n);
      std::tie(m.lo, m.hi) = interval(d, opt.confidence);
    }
    return m;
  };
  g.metrics.push_back(rate_delta("successRate", base.success, cand.success, boot));
  g.metrics.push_back(rate_delta("non5xxRate", base.non5xx, cand.non5xx, boot_non5xx));
  for (std::size_t qi = 0; qi < 3; ++qi) {
    const double q = kQuantiles[qi];
    MetricDelta m{kQuantileMetrics[qi], static_cast<double>(point_percentile(key, base, q)),
                  static_cast<double>(point_percentile(key, cand, q)), 0, {}, {}, both};
    m.delta = m.candidate - m.base;
    if (both) {
      std::vector<double> d(static_cast<std::size_t>(b_count));
      for (auto& x : d) {
        if (key.kind == DiffKey::Kind::Client) {
          x = static_cast<double>(order_statistic(*cand.digest, boot.resampled_rank(cand.n, q))) -
              static_cast<double>(order_statistic(*base.digest, boot.resampled_rank(base.n, q)));
        } else {
          x = static_cast<double>(percentile_from_buckets(boot.resample(cand.buckets, cand.n), q)) -
              static_cast<double>(percentile_from_buckets(boot.resample(base.buckets, base.n), q));
        }
      }
      std::tie(m.lo, m.hi) = interval(d, opt.confidence);
    }
    g.metrics.push_back(m);
  }
  std::map<std::string, bool> flag_names;
  for (const auto& [f, n] : base.flags) flag_names[f] = true;
  for (const auto& [f, n] : cand.flags) flag_names[f] = true;
  for (const auto& [f, unused] : flag_names) {
    const auto bi = base.flags.count(f) ? base.flags.at(f) : 0;
    const auto ci = cand.flags.count(f) ? cand.flags.at(f) : 0;
    MetricDelta m{"flags:" + f, static_cast<double>(bi), static_cast<double>(ci),
                  static_cast<double>(ci) - static_cast<double>(bi), {}, {}, true};
    std::vector<double> d(static_cast<std::size_t>(b_count));
    for (auto& x : d)
      x = static_cast<double>(boot.binomial(cand.n, rate(ci, cand.n))) -
          static_cast<double>(boot.binomial(base.n, rate(bi, base.n)));
    std::tie(m.lo, m.hi) = interval(d, opt.confidence);
    g.metrics.push_back(m);
  }
  return g;
}

std::string run_label(const Reader& r, std::int64_t run) {
  auto info = r.run(run);
  if (!info) return fmt::format("{}:{}", r.path(), run);
  return fmt::format("{}:{} ({}, seed {}, {})", r.path(), run, info->scenario, info->seed, info->status);
}

// ------------------------------------------------------------------ formatting

std::string short_service(const std::string& s) {
  static const std::string kSuffix = ".svc.cluster.local";
  if (s.size() > kSuffix.size() && s.compare(s.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
    return s.substr(0, s.size() - kSuffix.size());
  return s;
}

bool is_latency(const std::string& m) { return m == "p50" || m == "p90" || m == "p99"; }
bool is_rate(const std::string& m) { return m == "successRate" || m == "non5xxRate" || m == "errorRate"; }

// Durations print rounded to what a person reads (engine/time.h).
std::string signed_ms(double ns) { return engine::human_duration_ns(ns, true); }
std::string signed_pp(double fraction) { return fmt::format("{:+.2f}pp", fraction * 100); }

std::string value_text(const std::string& metric, double v) {
  if (is_latency(metric)) return engine::human_duration_ns(v);
  if (is_rate(metric)) return fmt::format("{:.2f}%", v * 100);
  return fmt::format("{:.0f}", v);
}

std::string delta_text(const std::string& metric, double d) {
  if (is_latency(metric)) return signed_ms(d);
  if (is_rate(metric)) return signed_pp(d);
  return fmt::format("{:+.0f}", d);
}

std::string relative_text(double base, double delta) {
  if (base == 0) return delta == 0 ? "" : " (new)";
  return fmt::format(" ({:+.1f}%)", 100 * delta / base);
}

// ------------------------------------------------------------------ thresholds

bool threshold_metric(const std::string& m) {
  if (is_rate(m) || m == "count" || is_latency(m)) return true;
  if (m.rfind("flags:", 0) == 0) {
    const std::string code = m.substr(6);
    return !code.empty() && code.find(',') == std::string::npos && code != "-" &&
           telemetry::parse_response_flags(code).has_value();
  }
  return false;
}

// The delta of `metric` in the threshold's unit, or nullopt when it cannot be compared.
std::optional<double> change_in_unit(const GroupDiff& g, const Threshold& t, std::string& observed) {
  const bool error_rate = t.metric == "errorRate";
  const MetricDelta* m = g.find(error_rate ? "successRate" : t.metric);
  MetricDelta flipped;
  if (m == nullptr) {
    if (t.metric.rfind("flags:", 0) != 0) return std::nullopt;
    flipped = MetricDelta{t.metric, 0, 0, 0, 0.0, 0.0, true};  // the flag in neither run
    m = &flipped;
  } else if (error_rate) {
    flipped = MetricDelta{"errorRate", 1 - m->base, 1 - m->candidate, -m->delta, {}, {}, m->comparable};
    m = &flipped;
  }
  if (!m->comparable) return std::nullopt;
  double change = 0;
  switch (t.unit) {
    case Threshold::Unit::Percent:
      if (m->base == 0) {
        change = m->delta == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), m->delta);
      } else {
        change = 100 * m->delta / m->base;
      }
      observed = fmt::format("{:+.2f}% ({} -> {})", change, value_text(m->metric, m->base),
                             value_text(m->metric, m->candidate));
      return change;
    case Threshold::Unit::Points:
      change = 100 * m->delta;
      break;
    case Threshold::Unit::Duration:
    case Threshold::Unit::Count:
      change = m->delta;
      break;
  }
  observed = fmt::format("{} ({} -> {})", delta_text(m->metric, m->delta), value_text(m->metric, m->base),
                         value_text(m->metric, m->candidate));
  return change;
}

bool in_scope(const DiffKey& k, const Threshold& t) {
  switch (t.scope) {
    case Threshold::Scope::All:
      return true;
    case Threshold::Scope::Client:
      return k.kind == DiffKey::Kind::Client && k.client == t.client;
    case Threshold::Scope::Edge:
      if (k.kind != DiffKey::Kind::Edge) return false;
      if (!t.source.empty() && t.source != "*" && k.source != t.source) return false;
      if (!t.service.empty() && t.service != "*" && !service_matches(k.service, t.service)) return false;
      return t.version.empty() || t.version == "*" || k.version == t.version;
  }
  return false;
}

bool trips(double change, const std::string& op, double amount) {
  if (op == ">") return change > amount;
  if (op == ">=") return change >= amount;
  if (op == "<") return change < amount;
  return change <= amount;  // <=
}

}  // namespace

// ------------------------------------------------------------------ public

std::string DiffKey::label() const {
  if (kind == Kind::Client) return "client " + client;
  return source + " -> " + short_service(service) + " " + version;
}

bool DiffKey::operator<(const DiffKey& o) const {
  return std::tie(kind, client, source, service, version) < std::tie(o.kind, o.client, o.source, o.service, o.version);
}

const MetricDelta* GroupDiff::find(std::string_view metric) const {
  for (const auto& m : metrics)
    if (m.metric == metric) return &m;
  return nullptr;
}

std::optional<DiffReport> diff_runs(const Reader& base, std::int64_t base_run, const Reader& candidate,
                                    std::int64_t candidate_run, const DiffOptions& options, std::string* error) {
  DiffReport report;
  report.options = options;
  report.base_label = run_label(base, base_run);
  report.candidate_label = run_label(candidate, candidate_run);
  auto bi = base.run(base_run), ci = candidate.run(candidate_run);
  if (bi && ci) {
    if (bi->seed != ci->seed)
      report.notes.push_back(fmt::format(
          "the runs used different seeds ({} and {}): differences include random noise that the same seed "
          "(common random numbers) would cancel",
          bi->seed, ci->seed));
    if (bi->sim_duration != ci->sim_duration)
      report.notes.push_back("the runs simulated different durations (" + human_ns(bi->sim_duration) +
                             " and " + human_ns(ci->sim_duration) + "): counts are not comparable");
    for (const auto* i : {&*bi, &*ci})
      if (i->status != "complete")
        report.notes.push_back(fmt::format("run {} is {}, not complete", i->run_id, i->status));
  }
  Groups b, c;
  std::string e;
  if (!collect(base, base_run, b, &e)) {
    if (error) *error = base.path() + ": " + e;
    return std::nullopt;
  }
  if (!collect(candidate, candidate_run, c, &e)) {
    if (error) *error = candidate.path() + ": " + e;
    return std::nullopt;
  }
  std::map<DiffKey, bool> keys;
  for (const auto& [k, s] : b) keys[k] = true;
  for (const auto& [k, s] : c) keys[k] = true;
  Bootstrap boot(options.seed);
  Bootstrap boot_non5xx(options.seed ^ 0x6e6f6e35787852ULL);  // "non5xxR": a stream of its own
  static const Side kEmpty;
  for (const auto& [k, unused] : keys) {
    auto bit = b.find(k);
    auto cit = c.find(k);
    report.groups.push_back(compare_group(k, bit == b.end() ? kEmpty : bit->second,
                                          cit == c.end() ? kEmpty : cit->second, options, boot, boot_non5xx));
  }
  return report;
}

namespace {

// One group's point metrics in one run, named as compare_group names them.
std::map<std::string, double> point_metrics(const DiffKey& key, const Side& s) {
  std::map<std::string, double> out;
  out["count"] = static_cast<double>(s.n);
  for (const auto& [f, n] : s.flags) out["flags:" + f] = static_cast<double>(n);
  if (s.n == 0) return out;
  out["successRate"] = static_cast<double>(s.success) / static_cast<double>(s.n);
  out["non5xxRate"] = static_cast<double>(s.non5xx) / static_cast<double>(s.n);
  for (std::size_t qi = 0; qi < 3; ++qi)
    out[kQuantileMetrics[qi]] = static_cast<double>(point_percentile(key, s, kQuantiles[qi]));
  return out;
}

std::string batch_label(const Reader& r, const BatchRow& b, std::size_t n) {
  return fmt::format("{}:b{} ({}, seed {}, {} replications, {})", r.path(), b.batch_id, b.scenario, b.seed, n,
                     b.status);
}

}  // namespace

std::optional<DiffReport> diff_batches(const Reader& base, const BatchRow& base_batch, const std::vector<RunRow>& base_runs,
                                       const Reader& candidate, const BatchRow& candidate_batch,
                                       const std::vector<RunRow>& candidate_runs, const DiffOptions& options,
                                       std::string* error) {
  DiffReport report;
  report.method = DiffReport::Method::Replications;
  report.options = options;
  report.base_label = batch_label(base, base_batch, base_runs.size());
  report.candidate_label = batch_label(candidate, candidate_batch, candidate_runs.size());
  if (base_batch.seed != candidate_batch.seed)
    report.notes.push_back(fmt::format(
        "the batches used different scenario seeds ({} and {}): the pairs share no random numbers, so the "
        "intervals are wider than with the same seed (common random numbers)",
        base_batch.seed, candidate_batch.seed));
  // Pairs by replication index: replication r of both batches ran the same seed.
  std::map<int, std::pair<const RunRow*, const RunRow*>> pairs;
  for (const auto& r : base_runs) pairs[r.replication].first = &r;
  for (const auto& r : candidate_runs) pairs[r.replication].second = &r;
  // Per group, per metric: the (base, candidate) values of each pair.
  std::map<DiffKey, std::map<std::string, std::vector<std::pair<double, double>>>> values;
  std::map<DiffKey, std::pair<std::uint64_t, std::uint64_t>> totals;
  // Each side's own values (also where the other side has none), for the base and candidate columns.
  std::map<DiffKey, std::map<std::string, std::pair<std::vector<double>, std::vector<double>>>> sides;
  std::size_t unpaired = 0;
  for (const auto& [replication, pair] : pairs) {
    if (!pair.first || !pair.second) {
      ++unpaired;
      continue;
    }
    ++report.pairs;
    Groups b, c;
    std::string e;
    if (!collect(base, pair.first->run_id, b, &e)) {
      if (error) *error = base.path() + ": " + e;
      return std::nullopt;
    }
    if (!collect(candidate, pair.second->run_id, c, &e)) {
      if (error) *error = candidate.path() + ": " + e;
      return std::nullopt;
    }
    std::map<DiffKey, bool> keys;
    for (const auto& [k, unused] : b) keys[k] = true;
    for (const auto& [k, unused] : c) keys[k] = true;
    static const Side kEmpty;
    for (const auto& [k, unused] : keys) {
      auto bit = b.find(k);
      auto cit = c.find(k);
      const Side& bs = bit == b.end() ? kEmpty : bit->second;
      const Side& cs = cit == c.end() ? kEmpty : cit->second;
      totals[k].first += bs.n;
      totals[k].second += cs.n;
      const auto bm = point_metrics(k, bs), cm = point_metrics(k, cs);
      for (const auto& [m, v] : bm) sides[k][m].first.push_back(v);
      for (const auto& [m, v] : cm) sides[k][m].second.push_back(v);
      auto& per_metric = values[k];
      // Counts and flags count 0 where absent; rates and percentiles need requests on both sides.
      for (const auto& [m, v] : bm)
        if (cm.count(m)) per_metric[m].push_back({v, cm.at(m)});
        else if (m.rfind("flags:", 0) == 0) per_metric[m].push_back({v, 0});
      for (const auto& [m, v] : cm)
        if (!bm.count(m) && m.rfind("flags:", 0) == 0) per_metric[m].push_back({0, v});
      // A metric with no value in this pair still gets a row (not comparable) below.
      for (const char* m : {"successRate", "non5xxRate", "p50", "p90", "p99"}) per_metric[m];
    }
  }
  if (report.pairs == 0) {
    if (error) *error = "the two batches have no replication index in common, so there is nothing to pair";
    return std::nullopt;
  }
  if (unpaired > 0)
    report.notes.push_back(fmt::format("{} replication(s) are in only one batch and are left out", unpaired));
  if (report.pairs < 2)
    report.notes.push_back("one replication pair: no interval (run --replications 2 or more)");
  static const std::vector<std::string> kOrder = {"count", "successRate", "non5xxRate", "p50", "p90", "p99"};
  for (auto& entry : values) {
    // Named references, not structured bindings: clang 14 cannot capture those in a lambda.
    const auto& k = entry.first;
    auto& per_metric = entry.second;
    GroupDiff g;
    g.key = k;
    g.base_n = totals[k].first;
    g.candidate_n = totals[k].second;
    auto add = [&](const std::string& m, const std::vector<std::pair<double, double>>& v) {
      MetricDelta d;
      d.metric = m;
      d.comparable = !v.empty();
      std::vector<double> dv;
      for (const auto& [x, y] : v) dv.push_back(y - x);
      const auto& own = sides[k][m];
      const Interval di = t_interval(dv, options.confidence);
      d.base = t_interval(own.first).mean;
      d.candidate = t_interval(own.second).mean;
      d.delta = di.mean;
      if (di.has_interval()) {
        d.lo = di.lo;
        d.hi = di.hi;
      }
      g.metrics.push_back(std::move(d));
    };
    for (const auto& m : kOrder)
      if (per_metric.count(m)) add(m, per_metric[m]);
    for (const auto& [m, v] : per_metric)
      if (m.rfind("flags:", 0) == 0) add(m, v);
    report.groups.push_back(std::move(g));
  }
  return report;
}

std::string format_diff(const DiffReport& r) {
  std::string out;
  out += "meshtwin diff\n";
  out += "  base:      " + r.base_label + "\n";
  out += "  candidate: " + r.candidate_label + "\n";
  if (r.method == DiffReport::Method::Replications) {
    out += fmt::format("  intervals: {:.0f}% Student t over {} replication pairs (paired differences, replication r "
                       "of each batch); values are means over the replications; clients from requests, edges from "
                       "source-reporter metrics\n",
                       100 * r.options.confidence, r.pairs);
  } else {
    out += fmt::format("  intervals: {:.0f}% request bootstrap over {} resamples; clients from requests (exact "
                       "percentiles), edges from source-reporter metrics (percentiles interpolated in Istio's buckets)\n",
                       100 * r.options.confidence, r.options.resamples);
    out += "  caveat:    the bootstrap treats one run's requests as independent; under load they are autocorrelated\n"
           "             (queues), so these intervals are too narrow. Gate on batches: run --replications N, then\n"
           "             diff FILE.db:bN FILE.db:bM (paired replications)\n";
  }
  out += std::string("  rates:     ") + kSuccessRateDefinition + "\n";
  out += std::string("             ") + kNon5xxRateDefinition + "\n";
  for (const auto& n : r.notes) out += "  note: " + n + "\n";
  if (r.groups.empty()) return out + "\nneither run has requests or metrics to compare\n";
  for (const auto& g : r.groups) {
    out += "\n" + g.key.label();
    if (g.base_n == 0) out += "  (only in candidate)";
    if (g.candidate_n == 0) out += "  (only in base)";
    out += "\n";
    std::vector<std::array<std::string, 5>> rows;
    rows.push_back({"", "base", "candidate", "delta", fmt::format("{:.0f}% CI", 100 * r.options.confidence)});
    for (const auto& m : g.metrics) {
      std::array<std::string, 5> row;
      row[0] = m.metric;
      const bool has_base = m.comparable || g.base_n > 0 || !(is_latency(m.metric) || is_rate(m.metric));
      const bool has_cand = m.comparable || g.candidate_n > 0 || !(is_latency(m.metric) || is_rate(m.metric));
      row[1] = has_base ? value_text(m.metric, m.base) : "-";
      row[2] = has_cand ? value_text(m.metric, m.candidate) : "-";
      if (m.comparable) {
        row[3] = delta_text(m.metric, m.delta) + (is_rate(m.metric) ? "" : relative_text(m.base, m.delta));
        if (m.lo && m.hi) row[4] = "[" + delta_text(m.metric, *m.lo) + ", " + delta_text(m.metric, *m.hi) + "]";
      } else {
        row[3] = "-";
      }
      rows.push_back(row);
    }
    std::array<std::size_t, 5> w{};
    for (const auto& row : rows)
      for (std::size_t i = 0; i < 5; ++i) w[i] = std::max(w[i], display_columns(row[i]));
    for (const auto& row : rows) {
      std::string line = "  " + pad_columns(row[0], w[0]) + "  " + pad_columns(row[1], w[1], true) + "  " +
                         pad_columns(row[2], w[2], true) + "  " + pad_columns(row[3], w[3]) + "  " + row[4];
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  return out;
}

std::optional<Threshold> parse_threshold(std::string_view input, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<Threshold> {
    if (error)
      *error = "--fail-if '" + std::string(input) + "': " + why +
               " (write [SCOPE] METRIC OP CHANGE, e.g. 'p99 > +10%', 'successRate < -0.5pp', "
               "'reviews:v3 p99 > +5ms', 'client:users flags:UO > 0')";
    return std::nullopt;
  };
  Threshold t;
  t.text = std::string(input);
  const std::string s(input);
  // The operator is the first '<' or '>' that is not the '>' of a scope's `->`.
  std::size_t op_at = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((s[i] == '<' || s[i] == '>') && !(s[i] == '>' && i > 0 && s[i - 1] == '-')) {
      op_at = i;
      break;
    }
  }
  if (op_at == std::string::npos) return fail("no comparison: use >, >=, < or <=");
  t.op = s.substr(op_at, 1);
  std::size_t rhs_at = op_at + 1;
  if (rhs_at < s.size() && s[rhs_at] == '=') {
    t.op += "=";
    ++rhs_at;
  }
  std::vector<std::string> left;
  {
    std::size_t i = 0;
    while (i < op_at) {
      while (i < op_at && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      std::size_t j = i;
      while (j < op_at && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j > i) left.push_back(s.substr(i, j - i));
      i = j;
    }
  }
  if (left.empty()) return fail("no metric before the comparison");
  if (left.size() > 2) return fail("too many words before the comparison");
  t.metric = left.back();
  if (!threshold_metric(t.metric))
    return fail("unknown metric \"" + t.metric + "\"; use successRate, non5xxRate, errorRate, p50, p90, p99, count or flags:<FLAG>");
  if (left.size() == 2) {
    const std::string& scope = left[0];
    if (scope.rfind("client:", 0) == 0) {
      t.scope = Threshold::Scope::Client;
      t.client = scope.substr(7);
      if (t.client.empty()) return fail("client: needs a client name, e.g. client:users");
    } else {
      t.scope = Threshold::Scope::Edge;
      std::string rest = scope;
      if (const auto arrow = rest.find("->"); arrow != std::string::npos) {
        t.source = rest.substr(0, arrow);
        rest = rest.substr(arrow + 2);
        if (t.source.empty()) return fail("nothing before -> in the scope; write SOURCE->SERVICE or *->SERVICE");
      }
      if (const auto colon = rest.find(':'); colon != std::string::npos) {
        t.version = rest.substr(colon + 1);
        rest = rest.substr(0, colon);
        if (t.version.empty()) return fail("nothing after ':' in the scope; write SERVICE:VERSION such as reviews:v3");
      }
      t.service = rest;
      if (t.service.empty()) return fail("the scope names no service; write e.g. reviews, reviews:v3 or productpage-v1->reviews");
    }
  }
  std::string rhs = s.substr(rhs_at);
  rhs.erase(std::remove_if(rhs.begin(), rhs.end(), [](unsigned char c) { return std::isspace(c); }), rhs.end());
  if (rhs.empty()) return fail("no change after the comparison, e.g. +10%");
  std::string body = rhs;
  double sign = 1;
  if (body[0] == '+' || body[0] == '-') {
    sign = body[0] == '-' ? -1 : 1;
    body = body.substr(1);
  }
  auto number = [](const std::string& x) -> std::optional<double> {
    if (x.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(x.c_str(), &end);
    if (end != x.c_str() + x.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  const bool latency = is_latency(t.metric);
  const bool rate = is_rate(t.metric);
  if (body.size() > 1 && body.back() == '%') {
    auto v = number(body.substr(0, body.size() - 1));
    if (!v) return fail("\"" + rhs + "\" is not a percentage such as +10%");
    t.unit = Threshold::Unit::Percent;
    t.amount = sign * *v;
  } else if (body.size() > 2 && body.compare(body.size() - 2, 2, "pp") == 0) {
    if (!rate) return fail("pp (percentage points) applies to successRate, non5xxRate and errorRate; use % for " + t.metric);
    auto v = number(body.substr(0, body.size() - 2));
    if (!v) return fail("\"" + rhs + "\" is not a number of percentage points such as -0.5pp");
    t.unit = Threshold::Unit::Points;
    t.amount = sign * *v;
  } else if (auto v = number(body)) {
    if (latency) return fail("a latency change needs a unit: +5ms, or a relative change such as +10%");
    if (rate) return fail("a rate change needs a unit: -0.5pp (percentage points) or -1% (relative)");
    if (*v != std::floor(*v)) return fail("a count change is a whole number such as +10");
    t.unit = Threshold::Unit::Count;
    t.amount = sign * *v;
  } else if (auto d = engine::parse_duration(body)) {
    if (!latency) return fail("a duration applies to p50, p90 and p99; for " + t.metric + " use % or a number");
    t.unit = Threshold::Unit::Duration;
    t.amount = sign * static_cast<double>(d->ns());
  } else {
    return fail("\"" + rhs + "\" is not a change: write +10%, -0.5pp, +5ms or +10");
  }
  return t;
}

std::optional<std::vector<Trip>> check_thresholds(const DiffReport& report, const std::vector<Threshold>& thresholds,
                                                  std::string* error) {
  std::vector<Trip> trips_out;
  for (const Threshold& t : thresholds) {
    bool matched = false;
    for (const GroupDiff& g : report.groups) {
      if (!in_scope(g.key, t)) continue;
      matched = true;
      std::string observed;
      auto change = change_in_unit(g, t, observed);
      if (!change) continue;  // one side has no requests: nothing to compare
      if (trips(*change, t.op, t.amount)) trips_out.push_back({t.text, g.key.label(), observed});
    }
    if (!matched) {
      if (error) {
        std::string names;
        std::size_t shown = 0;
        for (const GroupDiff& g : report.groups) {
          if (shown++ == 15) {
            names += ", ...";
            break;
          }
          names += (names.empty() ? "" : ", ") + g.key.label();
        }
        *error = "--fail-if '" + t.text + "': no client or edge of either run matches its scope; the runs have " +
                 (names.empty() ? std::string("none") : names);
      }
      return std::nullopt;
    }
  }
  return trips_out;
}

}  // namespace meshtwin::results
