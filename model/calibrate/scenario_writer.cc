// The calibrated scenario file: the base scenario's own keys kept, `apps:` and `clients:`
// written anew with a comment on every derived value (docs/calibrate.md "Output").
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "engine/time.h"
#include "model/calibrate/derive.h"

namespace meshtwin::calibrate {
namespace {

namespace fs = std::filesystem;

// Milliseconds as a scenario duration, to the microsecond (`4.123ms`), nanoseconds below one.
std::string ms_duration(double ms) {
  if (!(ms > 0)) return "0s";
  const double ns = ms * 1e6;
  const std::int64_t rounded = ns >= 1000 ? std::llround(ns / 1000.0) * 1000 : std::llround(ns);
  return engine::format_duration(engine::SimDuration::from_ns(std::max<std::int64_t>(1, rounded)));
}

std::string num(double v, int digits = 6) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string quoted(const std::string& s) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << s;
  return e.c_str();
}

// One line: the base's other spec keys as they were, in flow style.
std::string flow(const YAML::Node& n) {
  YAML::Node copy = YAML::Clone(n);
  copy.SetStyle(YAML::EmitterStyle::Flow);
  YAML::Emitter e;
  e << copy;
  return e.c_str();
}

std::string call_text(const CalibratedCall& c) {
  std::string t = "{to: " + quoted(c.url);
  if (c.from_base) {
    const auto& b = *c.from_base;
    if (b.method != "GET") t += ", method: " + b.method;
    if (b.timeout > engine::SimDuration{}) t += ", timeout: " + engine::format_duration(b.timeout);
    if (b.attempts != 1) t += ", attempts: " + std::to_string(b.attempts);
    if (!b.forward_headers.empty()) {
      t += ", forwardHeaders: [";
      for (std::size_t i = 0; i < b.forward_headers.size(); ++i) t += (i ? ", " : "") + b.forward_headers[i];
      t += "]";
    }
    if (b.on_failure == scenario::CallSpec::OnFailure::Continue) t += ", onFailure: continue";
  }
  return t + "}";
}

std::string rel_path(const std::string& path, const std::string& base_dir, const std::string& out_dir) {
  fs::path p(path);
  if (p.is_relative()) p = fs::path(base_dir.empty() ? "." : base_dir) / p;
  std::error_code ec;
  const fs::path abs = fs::weakly_canonical(fs::absolute(p, ec), ec);
  const fs::path out = fs::weakly_canonical(fs::absolute(out_dir.empty() ? "." : out_dir, ec), ec);
  const fs::path rel = abs.lexically_relative(out);
  return rel.empty() ? abs.string() : rel.string();
}

void write_apps(std::ostringstream& o, const Calibration& c) {
  o << "  apps:\n";
  if (c.apps.empty()) o << "    {}\n";
  for (const CalibratedApp& a : c.apps) {
    o << "    # " << num(a.inbound_per_s, 5) << " inbound requests/s\n";
    o << "    " << a.workload.text() << ":\n";
    if (!a.empirical.empty()) {
      o << "      serviceTime: {empirical: [";
      for (std::size_t i = 0; i < a.empirical.size(); ++i) {
        o << (i ? ", " : "") << "[" << ms_duration(a.empirical[i].first) << ", " << num(a.empirical[i].second, 4) << "]";
      }
      o << "]}\n        # " << a.service_time_note << "\n";
    } else if (a.p50_ms > 0) {
      o << "      serviceTime: {lognormal: {p50: " << ms_duration(a.p50_ms) << ", p99: " << ms_duration(a.p99_ms) << "}}\n"
        << "        # " << a.service_time_note << "\n";
    } else {
      o << "      # serviceTime: " << a.service_time_note << "\n";
    }
    if (a.base && a.base->workers > 0) o << "      workers: " << a.base->workers << "  # from the base scenario (telemetry does not show it)\n";
    if (a.base && a.base->error_status != 500) o << "      errorStatus: " << a.base->error_status << "  # from the base scenario\n";
    if (!a.steps.empty()) {
      o << "      calls:  # " << a.calls_note << "\n";
      for (const CalibratedStep& s : a.steps) {
        if (s.parallel) {
          o << "        - parallel:\n";
          for (const CalibratedCall& call : s.calls) {
            for (int i = 0; i < call.count; ++i) o << "            - " << call_text(call) << "\n";
            o << "              # " << call.note << (call.from_base ? "; options from the base scenario" : "") << "\n";
          }
        } else {
          for (const CalibratedCall& call : s.calls) {
            for (int i = 0; i < call.count; ++i) o << "        - " << call_text(call) << "\n";
            o << "          # " << call.note << (call.from_base ? "; options from the base scenario" : "") << "\n";
          }
        }
      }
    }
    if (!a.failures.empty()) {
      o << "      failures:\n";
      for (const CalibratedFailure& f : a.failures) {
        o << "        - {rate: " << num(f.rate, 4) << ", kind: status, status: " << f.status << "}\n"
          << "          # " << f.note << "\n";
      }
    }
  }
}

void write_clients(std::ostringstream& o, const Calibration& c) {
  o << "  clients:\n";
  if (c.clients.empty()) o << "    []\n";
  for (const CalibratedClient& cl : c.clients) {
    o << "    # " << cl.note << "\n";
    o << "    - name: " << quoted(cl.name) << "\n";
    if (cl.from_gateway) {
      o << "      from: {gateway: " << (cl.from.namespace_.empty() ? "" : cl.from.namespace_ + "/") << cl.from.name << "}\n";
    } else {
      o << "      from: {workload: " << cl.from.text() << "}\n";
    }
    o << "      to: " << quoted(cl.url) << "\n";
    if (!cl.hourly.empty()) {
      o << "      # per hour of day (UTC): run time 0 is midnight; the range covers whole days\n";
      o << "      rate: {steps: [";
      for (std::size_t i = 0; i < cl.hourly.size(); ++i) {
        o << (i ? ", " : "") << "{at: " << cl.hourly[i].first << "h, rate: " << num(cl.hourly[i].second, 5) << "}";
      }
      o << "]}\n";
    } else {
      o << "      rate: {poisson: " << num(cl.rate, 6) << "}\n";
    }
    if (const scenario::ClientSpec* b = cl.base) {
      o << "      # from the base scenario:\n";
      if (!b->authority.empty()) o << "      authority: " << quoted(b->authority) << "\n";
      if (b->method != "GET") o << "      method: " << b->method << "\n";
      o << "      timeout: " << engine::format_duration(b->timeout) << "\n";
      if (!b->mix.empty()) {
        o << "      mix: [";
        for (std::size_t i = 0; i < b->mix.size(); ++i) {
          o << (i ? ", " : "") << "{weight: " << num(b->mix[i].weight) << ", headers: {";
          for (std::size_t h = 0; h < b->mix[i].headers.size(); ++h) {
            o << (h ? ", " : "") << b->mix[i].headers[h].first << ": " << quoted(b->mix[i].headers[h].second);
          }
          o << "}}";
        }
        o << "]\n";
      }
    }
  }
}

}  // namespace

std::string write_scenario(const Calibration& c, const std::string& base_text, const std::string& base_dir,
                           const std::string& out_dir, const std::vector<std::string>& manifests) {
  std::ostringstream o;
  o << "# Calibrated by `meshtwin calibrate` from " << c.input << ".\n"
    << "# apps: and clients: are derived; every value says where it came from (docs/calibrate.md).\n";
  for (const std::string& n : c.notes) o << "# note: " << n << "\n";
  if (!base_text.empty()) {
    YAML::Node root = YAML::Load(base_text);
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      if (key == "spec") continue;
      o << key << ": " << flow(kv.second) << "\n";
    }
    o << "spec:\n";
    const YAML::Node spec = root["spec"];
    for (const auto& kv : spec) {
      const std::string key = kv.first.as<std::string>();
      if (key == "apps" || key == "clients") continue;
      if (key == "manifests") {
        o << "  manifests:\n";
        for (const auto& m : kv.second) o << "    - " << quoted(rel_path(m.as<std::string>(), base_dir, out_dir)) << "\n";
        continue;
      }
      o << "  " << key << ": " << flow(kv.second) << "\n";
    }
  } else {
    o << "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: calibrated}\nspec:\n"
      << "  duration: 60s\n  manifests:\n";
    for (const auto& m : manifests) o << "    - " << quoted(rel_path(m, "", out_dir)) << "\n";
    if (manifests.empty()) o << "    []  # the cluster's manifests (`meshtwin import --kubectl-dump`)\n";
  }
  write_apps(o, c);
  write_clients(o, c);
  return o.str();
}

}  // namespace meshtwin::calibrate
