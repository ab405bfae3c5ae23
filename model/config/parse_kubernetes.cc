// Kubernetes kinds: metadata, Namespace, Service, and the workload kinds reduced to what a
// mesh sees (docs/semantics.md §13). Each map is read against its type's field list
// (api_fields.h): fields Kubernetes defines but a mesh never looks at (volumes, probes,
// resources, server-set metadata, ...) are accepted silently; a field Kubernetes does not define
// is an error, as `kubectl apply --validate=strict` makes it.
#include <algorithm>
#include <limits>

#include "model/config/config_store.h"
#include "model/config/parsers.h"

namespace meshtwin::config::parse {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 1123 label: what Kubernetes requires of namespace names.
bool dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

// RFC 1123 subdomain: what Kubernetes requires of most object names.
bool dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = s.find('.', start);
    const std::string_view part = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || !lower_alnum(part.front()) || !lower_alnum(part.back())) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return lower_alnum(c) || c == '-'; })) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// IANA service name: what a named targetPort or container port must be.
bool iana_svc_name(std::string_view s) {
  if (s.empty() || s.size() > 15 || s.front() == '-' || s.back() == '-') return false;
  if (!std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return false;
  if (s.find("--") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return lower_alnum(c) || c == '-'; });
}

// Kubernetes int-or-percent (`maxSurge: 1`, `maxUnavailable: 25%`).
bool int_or_percent(std::string_view s) {
  if (!s.empty() && s.back() == '%') s.remove_suffix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void read_int_or_percent(MapReader& m, std::string_view key, std::string& out) {
  auto v = m.get(key);
  if (!v) return;
  auto s = v->as_int_or_string();
  if (!s) return;
  if (!int_or_percent(*s)) {
    v->error(v->name() + " must be a non-negative integer or a percentage such as \"25%\", got " + v->describe());
    return;
  }
  out = *s;
}

void read_container_ports(const Value& v, std::vector<ContainerPort>& out) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) {
    MapReader m(item, api::kContainerPort);
    if (!m.ok()) continue;
    ContainerPort p;
    if (auto name = m.get("name")) {
      if (auto s = name->as_string()) {
        if (!iana_svc_name(*s))
          name->error("port name " + name->describe() +
                      " is not valid: use at most 15 lower-case letters, digits and '-', with at least one letter");
        p.name = *s;
      }
    }
    if (auto cp = m.require("containerPort")) {
      if (auto n = cp->as_int(1, 65535)) p.container_port = static_cast<std::uint32_t>(*n);
    }
    m.read_enum("protocol", p.protocol, {"TCP", "UDP", "SCTP"});
    m.finish();
    out.push_back(std::move(p));
  }
}

void read_containers(const Value& v, std::vector<Container>& out) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) {
    MapReader m(item, api::kContainer);
    if (!m.ok()) continue;
    Container c;
    m.require("name");
    m.read("name", c.name);
    m.read("image", c.image);
    if (auto ports = m.get("ports")) read_container_ports(*ports, c.ports);
    m.finish();
    out.push_back(std::move(c));
  }
}

void read_pod_spec(const Value& v, Workload& w) {
  MapReader m(v, api::kPodSpec);
  if (!m.ok()) return;
  if (auto containers = m.get("containers")) {
    read_containers(*containers, w.containers);
  } else {
    // Kubernetes would reject the object; a mesh model can still use it, so only warn.
    v.warning("containers is missing: Kubernetes requires at least one container (ports are taken from them)");
  }
  std::string sa;
  if (m.read("serviceAccountName", sa)) w.service_account = sa;
  std::string legacy_sa;
  if (m.read("serviceAccount", legacy_sa) && w.service_account.empty()) w.service_account = legacy_sa;
  m.finish();
}

void read_template(const Value& v, Workload& w) {
  MapReader m(v, api::kPodTemplateSpec);
  if (!m.ok()) return;
  if (auto meta = m.get("metadata")) {
    MapReader mm(*meta, api::kPodTemplateMeta);
    if (mm.ok()) {
      read_labels(mm, "labels", w.pod_labels);
      read_labels(mm, "annotations", w.pod_annotations);
      mm.finish();
    }
  }
  if (auto spec = m.require("spec", "spec is required: the pod template needs containers")) read_pod_spec(*spec, w);
  m.finish();
}

}  // namespace

Labels to_labels(const yaml::StringMap& m) {
  Labels out;
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

bool read_labels(MapReader& m, std::string_view key, Labels& out) {
  auto v = m.get(key);
  if (!v) return false;
  auto map = v->as_string_map(/*strict_values=*/true);
  if (!map) return false;
  out = to_labels(*map);
  return true;
}

bool read_labels(MapReader& m, std::string_view key, std::optional<Labels>& out) {
  Labels l;
  if (!read_labels(m, key, l)) return false;
  out = std::move(l);
  return true;
}

void read_metadata(MapReader& doc, ObjectMeta& meta) {
  meta.location = doc.value().location();
  auto v = doc.get("metadata");
  if (!v) {
    doc.value().reader().report(Severity::Error, doc.value().node(), yaml::join_path(doc.path(), "metadata.name"),
                                "metadata.name is required: every object needs a name");
    return;
  }
  MapReader m(*v, api::kObjectMeta);
  if (!m.ok()) return;
  if (auto name = m.require("name", "name is required: every object needs a name (generateName is not supported)")) {
    if (auto s = name->as_string()) {
      if (!dns1123_subdomain(*s))
        name->error("name " + name->describe() +
                    " is not a valid Kubernetes name: use lower-case letters, digits, '-' and '.', starting and "
                    "ending with a letter or digit");
      meta.name = *s;
    }
  }
  if (auto ns = m.get("namespace")) {
    if (auto s = ns->as_string()) {
      if (!dns1123_label(*s))
        ns->error("namespace " + ns->describe() +
                  " is not a valid namespace name: use at most 63 lower-case letters, digits and '-'");
      else
        meta.namespace_ = *s;
    }
  }
  read_labels(m, "labels", meta.labels);
  read_labels(m, "annotations", meta.annotations);
  if (auto ts = m.get("creationTimestamp")) {
    if (auto s = ts->as_string()) {
      if (!parse_rfc3339(*s))
        ts->error("creationTimestamp must be an RFC 3339 time such as \"2024-05-01T12:00:00Z\", got " + ts->describe());
      else
        meta.creation_timestamp = *s;
    }
  }
  m.finish();
}

void parse_namespace(MapReader& doc, Namespace& out) {
  read_metadata(doc, out.meta);
  if (auto spec = doc.get("spec")) {
    MapReader m(*spec, api::kNamespaceSpec);
    m.finish();
  }
}

void parse_service(MapReader& doc, Service& out) {
  read_metadata(doc, out.meta);
  auto spec_v = doc.get("spec");
  if (!spec_v) {
    doc.value().reader().report(Severity::Error, doc.value().node(), yaml::join_path(doc.path(), "spec"),
                                "spec is required: a Service needs ports");
    return;
  }
  MapReader spec(*spec_v, api::kServiceSpec);
  if (!spec.ok()) return;
  spec.read_enum("type", out.type, {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"});
  spec.read("clusterIP", out.cluster_ip);
  spec.read("clusterIPs", out.cluster_ips);
  if (out.cluster_ip.empty() && !out.cluster_ips.empty()) out.cluster_ip = out.cluster_ips.front();
  spec.read("externalName", out.external_name);
  if (read_labels(spec, "selector", out.selector)) out.has_selector = !out.selector.empty();
  spec.read("publishNotReadyAddresses", out.publish_not_ready_addresses);
  spec.read("trafficDistribution", out.traffic_distribution);
  std::optional<Value> ports_v = spec.get("ports");
  if (ports_v) {
    if (auto items = ports_v->as_list()) {
      for (const Value& item : *items) {
        MapReader m(item, api::kServicePort);
        if (!m.ok()) continue;
        ServicePort p;
        p.location = item.location();
        m.read("name", p.name);
        if (auto port = m.require("port", "port is required: the port clients dial (1-65535)")) {
          if (auto n = port->as_int(1, 65535)) p.port = static_cast<std::uint32_t>(*n);
        }
        m.read_enum("protocol", p.protocol, {"TCP", "UDP", "SCTP"});
        m.read("appProtocol", p.app_protocol);
        if (auto tp = m.get("targetPort")) {
          if (tp->is_scalar() && !tp->quoted() && !tp->node().Scalar().empty() &&
              std::all_of(tp->node().Scalar().begin(), tp->node().Scalar().end(),
                          [](char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+'; })) {
            if (auto n = tp->as_int(1, 65535)) p.target_port_number = static_cast<std::uint32_t>(*n);
          } else if (auto s = tp->as_string()) {
            if (!iana_svc_name(*s))
              tp->error("targetPort must be a port number (1-65535) or the name of a container port (at most 15 "
                        "lower-case letters, digits and '-'), got " +
                        tp->describe());
            else
              p.target_port_name = *s;
          }
        }
        m.read_uint("nodePort", p.node_port, 0, 65535);
        m.finish();
        out.ports.push_back(std::move(p));
      }
      // Kubernetes needs names to tell several ports apart (and Istio uses them for protocol
      // selection).
      if (items->size() > 1) {
        for (std::size_t i = 0; i < out.ports.size() && i < items->size(); ++i) {
          if (out.ports[i].name.empty()) {
            (*items)[i].reader().report(Severity::Error, (*items)[i].node(),
                                        yaml::join_path((*items)[i].path(), "name"),
                                        "name is required when a Service has more than one port");
          }
          for (std::size_t j = 0; j < i; ++j) {
            if (!out.ports[i].name.empty() && out.ports[i].name == out.ports[j].name) {
              (*items)[i].reader().report((*items)[i].reader().lenient_api_checks ? Severity::Warning : Severity::Error,
                                          (*items)[i].node(),
                                          yaml::join_path((*items)[i].path(), "name"),
                                          "duplicate port name \"" + out.ports[i].name + "\"; port names must be unique");
            }
          }
        }
      }
    }
  }
  const bool headless = out.cluster_ip == "None";
  if (out.type == "ExternalName") {
    if (out.external_name.empty())
      spec.value().reader().report(Severity::Error, spec.value().node(), yaml::join_path(spec.path(), "externalName"),
                                   "externalName is required for a Service of type ExternalName");
  } else if (!ports_v && !headless) {
    spec.value().reader().report(Severity::Error, spec.value().node(), yaml::join_path(spec.path(), "ports"),
                                 "ports is required: list at least one port clients dial");
  }
  spec.finish();
}

void parse_workload(MapReader& doc, const std::string& kind, Workload& out) {
  out.kind = kind;
  read_metadata(doc, out.meta);
  if (kind == "Pod") {
    out.replicas = 1;
    // A bare pod's own labels and annotations are its pod labels and annotations.
    out.pod_labels = out.meta.labels;
    out.pod_annotations = out.meta.annotations;
    if (auto spec = doc.require("spec", "spec is required: a Pod needs containers")) read_pod_spec(*spec, out);
    return;
  }

  auto spec_v = doc.require("spec", "spec is required: a " + kind + " needs a selector and a pod template");
  if (!spec_v) return;
  MapReader spec(*spec_v, kind == "Deployment"    ? api::kDeploymentSpec
                          : kind == "StatefulSet" ? api::kStatefulSetSpec
                          : kind == "DaemonSet"   ? api::kDaemonSetSpec
                                                  : api::kReplicaSetSpec);
  if (!spec.ok()) return;
  if (kind != "DaemonSet") {
    if (auto r = spec.get("replicas")) {
      // Kubernetes allows any int32; meshtwin simulates every pod (its proxy, load balancers and
      // queues), so a workload is bounded like the timeline's `scale` (docs/scenario-reference.md
      // "Limits"): a million replicas would only end in running out of memory.
      if (auto n = r->as_int(0, kMaxReplicas)) out.replicas = static_cast<std::int32_t>(*n);
    }
  }
  std::optional<Value> selector_v =
      spec.require("selector", "selector is required: it must match the pod template's labels");
  bool selector_ok = false;
  if (selector_v) {
    MapReader sel(*selector_v, api::kLabelSelector);
    if (sel.ok()) {
      selector_ok = true;
      if (read_labels(sel, "matchLabels", out.selector) == false && sel.has("matchLabels")) selector_ok = false;
      if (auto expr = sel.get("matchExpressions")) {
        expr->note("matchExpressions are not evaluated by meshtwin; pods are matched by matchLabels only");
      }
      sel.finish();
    }
  }
  const std::size_t errors_before = doc.value().reader().error_count();
  if (auto tmpl = spec.require("template", "template is required: it describes the pods")) read_template(*tmpl, out);
  if (selector_ok && selector_v && errors_before == doc.value().reader().error_count()) {
    for (const auto& [k, v] : out.selector) {
      auto it = out.pod_labels.find(k);
      if (it == out.pod_labels.end() || it->second != v) {
        selector_v->error("selector does not match the template labels: " + k + "=" + v +
                          " is not among spec.template.metadata.labels");
        break;
      }
    }
  }

  if (kind == "Deployment") {
    if (auto st = spec.get("strategy")) {
      MapReader sm(*st, api::kDeploymentStrategy);
      if (sm.ok()) {
        sm.read_enum("type", out.strategy_type, {"RollingUpdate", "Recreate"});
        if (auto ru = sm.get("rollingUpdate")) {
          MapReader rm(*ru, api::kRollingUpdateDeployment);
          if (rm.ok()) {
            read_int_or_percent(rm, "maxSurge", out.max_surge);
            read_int_or_percent(rm, "maxUnavailable", out.max_unavailable);
            rm.finish();
          }
        }
        sm.finish();
      }
    }
  } else if (kind == "StatefulSet" || kind == "DaemonSet") {
    // Their rolling update replaces pods one at a time by default and never surges.
    out.max_surge = "0";
    out.max_unavailable = "1";
    if (auto st = spec.get("updateStrategy")) {
      MapReader sm(*st, kind == "StatefulSet" ? api::kStatefulSetUpdateStrategy : api::kDaemonSetUpdateStrategy);
      if (sm.ok()) {
        sm.read_enum("type", out.strategy_type, {"RollingUpdate", "OnDelete"});
        if (auto ru = sm.get("rollingUpdate")) {
          MapReader rm(*ru,
                       kind == "StatefulSet" ? api::kRollingUpdateStatefulSetStrategy : api::kRollingUpdateDaemonSet);
          if (rm.ok()) {
            read_int_or_percent(rm, "maxUnavailable", out.max_unavailable);
            if (kind == "DaemonSet") read_int_or_percent(rm, "maxSurge", out.max_surge);
            rm.finish();
          }
        }
        sm.finish();
      }
    }
  }
  spec.finish();
}

}  // namespace meshtwin::config::parse
