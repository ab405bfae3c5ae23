#include "model/proxy/outlier_detector.h"

#include <algorithm>

namespace meshtwin::proxy {

OutlierSettings resolve_outlier_detection(const config::OutlierDetection& od) {
  OutlierSettings s;
  if (od.consecutive_5xx_errors) {
    s.consecutive_5xx = *od.consecutive_5xx_errors;
    s.enforce_consecutive_5xx = *od.consecutive_5xx_errors > 0;
  }
  if (od.consecutive_gateway_errors) {
    s.consecutive_gateway_failure = *od.consecutive_gateway_errors;
    s.enforce_consecutive_gateway_failure = *od.consecutive_gateway_errors > 0;
  }
  if (od.split_external_local_origin_errors) {
    s.split_external_local_origin_errors = true;
    if (od.consecutive_local_origin_failures && *od.consecutive_local_origin_failures > 0) {
      s.consecutive_local_origin_failure = *od.consecutive_local_origin_failures;
      s.enforce_consecutive_local_origin_failure = true;
    }
  }
  if (od.interval && *od.interval > SimDuration{}) s.interval = *od.interval;
  if (od.base_ejection_time && *od.base_ejection_time > SimDuration{}) s.base_ejection_time = *od.base_ejection_time;
  // Istio leaves max_ejection_time unset; current Envoy then uses max(300 s, base) so that a
  // base above 300 s stays a valid configuration.
  s.max_ejection_time = std::max(300 * engine::kSecond, s.base_ejection_time);
  if (od.max_ejection_percent > 0) {
    s.max_ejection_percent = static_cast<std::uint32_t>(std::min(od.max_ejection_percent, 100));
  }
  s.healthy_panic_threshold =
      static_cast<std::uint32_t>(std::clamp(od.min_health_percent, 0, 100));
  return s;
}

int grpc_to_http_status(int grpc_status) {
  switch (grpc_status) {
    case 0: return 200;   // OK
    case 1: return 499;   // CANCELLED
    case 2: return 500;   // UNKNOWN
    case 3: return 400;   // INVALID_ARGUMENT
    case 4: return 504;   // DEADLINE_EXCEEDED
    case 5: return 404;   // NOT_FOUND
    case 6: return 409;   // ALREADY_EXISTS
    case 7: return 403;   // PERMISSION_DENIED
    case 8: return 429;   // RESOURCE_EXHAUSTED
    case 9: return 400;   // FAILED_PRECONDITION
    case 10: return 409;  // ABORTED
    case 11: return 400;  // OUT_OF_RANGE
    case 12: return 501;  // UNIMPLEMENTED
    case 13: return 500;  // INTERNAL
    case 14: return 503;  // UNAVAILABLE
    case 15: return 500;  // DATA_LOSS
    case 16: return 401;  // UNAUTHENTICATED
    default: return 500;
  }
}

OutlierDetector::OutlierDetector(const OutlierSettings& settings, std::uint32_t host_count)
    : settings_(settings), hosts_(host_count), monitored_(host_count) {}

SimDuration OutlierDetector::ejection_duration(std::uint32_t host) const {
  return std::min(settings_.base_ejection_time * static_cast<std::int64_t>(hosts_[host].backoff),
                  settings_.max_ejection_time);
}

bool OutlierDetector::on_response(std::uint32_t host, int status, SimTime now) {
  Monitor& m = hosts_[host];
  if (status < 500 || status > 599) {
    // Any non-5xx answer (2xx/3xx/4xx) ends both runs (E-OD putHttpResponseCode).
    m.consecutive_5xx = 0;
    m.consecutive_gateway = 0;
    return false;
  }
  bool ejected = false;
  // Gateway errors are checked first, as Envoy does; both detectors may fire on one response.
  if (status == 502 || status == 503 || status == 504) {
    if (++m.consecutive_gateway == settings_.consecutive_gateway_failure) {
      ejected |= on_consecutive_error(host, EjectionType::ConsecutiveGatewayFailure, now);
    }
  } else {
    m.consecutive_gateway = 0;
  }
  // Equality, not >=: a host that keeps failing while already ejected does not re-trigger.
  if (++m.consecutive_5xx == settings_.consecutive_5xx) {
    ejected |= on_consecutive_error(host, EjectionType::Consecutive5xx, now);
  }
  return ejected;
}

bool OutlierDetector::on_local_origin_failure(std::uint32_t host, LocalOriginFailure kind,
                                              SimTime now) {
  if (!settings_.split_external_local_origin_errors) {
    // Without split mode Envoy maps the result to an HTTP code (resultToHttpCode).
    return on_response(host, kind == LocalOriginFailure::Timeout ? 504 : 503, now);
  }
  Monitor& m = hosts_[host];
  if (++m.consecutive_local_origin == settings_.consecutive_local_origin_failure) {
    return on_consecutive_error(host, EjectionType::ConsecutiveLocalOriginFailure, now);
  }
  return false;
}

void OutlierDetector::on_connect_success(std::uint32_t host) {
  if (settings_.split_external_local_origin_errors) hosts_[host].consecutive_local_origin = 0;
}

bool OutlierDetector::on_consecutive_error(std::uint32_t host, EjectionType type, SimTime now) {
  Monitor& m = hosts_[host];
  // Envoy returns before resetting anything when the host is already ejected.
  if (m.ejected) return false;
  const bool ejected = eject(m, type, now);
  switch (type) {
    case EjectionType::Consecutive5xx: m.consecutive_5xx = 0; break;
    case EjectionType::ConsecutiveGatewayFailure: m.consecutive_gateway = 0; break;
    case EjectionType::ConsecutiveLocalOriginFailure: m.consecutive_local_origin = 0; break;
    case EjectionType::None: break;
  }
  return ejected;
}

bool OutlierDetector::eject(Monitor& m, EjectionType type, SimTime now) {
  // Current Envoy (since mid-2023): the ejection must keep the ejected share, counted after it,
  // within max_ejection_percent of all host monitors (§10.3). With the default 10 % no cluster
  // of fewer than 10 hosts ever ejects.
  const double percent = monitored_ == 0 ? 100.0 * (ejected_ + 1)
                                         : 100.0 * (ejected_ + 1) / monitored_;
  if (percent > static_cast<double>(std::min<std::uint32_t>(settings_.max_ejection_percent, 100))) {
    ++overflow_;
    return false;
  }
  bool enforced = false;
  switch (type) {
    case EjectionType::Consecutive5xx: enforced = settings_.enforce_consecutive_5xx; break;
    case EjectionType::ConsecutiveGatewayFailure:
      enforced = settings_.enforce_consecutive_gateway_failure;
      break;
    case EjectionType::ConsecutiveLocalOriginFailure:
      enforced = settings_.enforce_consecutive_local_origin_failure;
      break;
    case EjectionType::None: break;
  }
  if (!enforced) return false;
  ++ejected_;
  m.ejected = true;
  m.ejected_at = now;
  m.last_type = type;
  ++m.ejections;
  // The multiplier stops growing once base × multiplier reaches max + base, so the duration,
  // capped at max, can still decay from the cap one interval at a time.
  if (settings_.base_ejection_time * static_cast<std::int64_t>(m.backoff) <
      settings_.max_ejection_time + settings_.base_ejection_time) {
    ++m.backoff;
  }
  return true;
}

void OutlierDetector::on_interval(SimTime now, std::vector<std::uint32_t>& returned) {
  returned.clear();
  for (std::uint32_t h = 0; h < hosts_.size(); ++h) {
    Monitor& m = hosts_[h];
    if (!m.ejected) {
      // Decay: a host that has stayed in for at least one interval since its last return
      // loses one step of multiplier per tick.
      if (m.unejected_once && now - m.unejected_at >= settings_.interval && m.backoff > 0) {
        --m.backoff;
      }
      continue;
    }
    if (ejection_duration(h) <= now - m.ejected_at) {
      --ejected_;
      m.ejected = false;
      // Fresh counters, so a host that was close to another threshold is not re-ejected by a
      // couple of new errors.
      m.consecutive_5xx = 0;
      m.consecutive_gateway = 0;
      m.consecutive_local_origin = 0;
      m.unejected_once = true;
      m.unejected_at = now;
      returned.push_back(h);
    }
  }
}

void OutlierDetector::update_hosts(std::span<const std::int32_t> previous) {
  std::vector<Monitor> next(previous.size());
  std::uint32_t ejected = 0;
  for (std::size_t i = 0; i < previous.size(); ++i) {
    const std::int32_t old = previous[i];
    if (old >= 0 && static_cast<std::size_t>(old) < hosts_.size()) next[i] = hosts_[old];
    ejected += next[i].ejected;
  }
  hosts_ = std::move(next);
  ejected_ = ejected;
  monitored_ = static_cast<std::uint32_t>(hosts_.size());
}

}  // namespace meshtwin::proxy
