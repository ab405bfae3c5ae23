// Delegate VirtualServices (docs/semantics.md §1.4, I-VSC mergeVirtualServices, I-VS MergeHTTPRoutes):
// a root VS's `http[].delegate` rule is replaced by the delegate's rules, each match combined
// with the root's. Done in istiod before any proxy sees the VS, so it is one pure function here.
#include <algorithm>

#include "model/registry/registry.h"
#include "model/xds/compile_internal.h"

namespace meshtwin::xds::detail {

namespace {

using Kind = config::StringMatch::Kind;

bool has(const config::StringMatch& m, Kind k) { return m.kind == k && !m.value.empty(); }

// Istio stringMatchConflict: whether a delegate matcher cannot lie within the root's.
bool string_match_conflict(const config::StringMatch& root, const config::StringMatch& leaf) {
  if (!root.is_set() || !leaf.is_set()) return false;
  if (has(root, Kind::Regex) && (has(leaf, Kind::Regex) || has(leaf, Kind::Prefix) || has(leaf, Kind::Exact)))
    return true;
  if (has(leaf, Kind::Regex) && (has(root, Kind::Regex) || has(root, Kind::Prefix) || has(root, Kind::Exact)))
    return true;
  if (has(root, Kind::Exact)) {
    if (has(leaf, Kind::Prefix)) return true;
    return !(leaf.kind == Kind::Exact && leaf.value == root.value);
  }
  if (has(root, Kind::Prefix)) {
    if (has(leaf, Kind::Prefix) || has(leaf, Kind::Exact)) return !leaf.value.starts_with(root.value);
  }
  return true;
}

const config::StringMatch* find_named(const std::vector<config::NamedStringMatch>& v, const std::string& name) {
  for (const auto& n : v)
    if (n.name == name) return &n.match;
  return nullptr;
}

bool named_conflict(const std::vector<config::NamedStringMatch>& root,
                    const std::vector<config::NamedStringMatch>& leaf) {
  for (const auto& l : leaf)
    if (const config::StringMatch* r = find_named(root, l.name); r && string_match_conflict(*r, l.match)) return true;
  return false;
}

// Istio hasConflict.
bool has_conflict(const config::HTTPMatchRequest& root, const config::HTTPMatchRequest& leaf) {
  if (string_match_conflict(root.uri, leaf.uri) || string_match_conflict(root.scheme, leaf.scheme) ||
      string_match_conflict(root.method, leaf.method) || string_match_conflict(root.authority, leaf.authority))
    return true;
  if (named_conflict(root.headers, leaf.headers) || named_conflict(root.without_headers, leaf.without_headers) ||
      named_conflict(root.query_params, leaf.query_params))
    return true;
  if (root.ignore_uri_case != leaf.ignore_uri_case) return true;
  if (root.port > 0 && leaf.port > 0 && root.port != leaf.port) return true;
  if (!root.source_namespace.empty() && leaf.source_namespace != root.source_namespace) return true;
  for (const auto& [k, v] : leaf.source_labels)
    if (auto it = root.source_labels.find(k); it != root.source_labels.end() && it->second != v) return true;
  if (!root.gateways.empty() && !leaf.gateways.empty()) {
    if (root.gateways.size() < leaf.gateways.size()) return true;
    for (const auto& g : leaf.gateways)
      if (std::find(root.gateways.begin(), root.gateways.end(), g) == root.gateways.end()) return true;
  }
  return false;
}

// maps.MergeCopy(root, delegate): delegate entries win, root entries fill in.
std::vector<config::NamedStringMatch> merge_named(const std::vector<config::NamedStringMatch>& root,
                                                  const std::vector<config::NamedStringMatch>& leaf) {
  std::vector<config::NamedStringMatch> out = root;
  for (const auto& l : leaf) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.name == l.name; });
    if (it != out.end()) it->match = l.match;
    else out.push_back(l);
  }
  return out;
}

config::HTTPMatchRequest merge_match(const config::HTTPMatchRequest& root, const config::HTTPMatchRequest& leaf) {
  config::HTTPMatchRequest out = leaf;
  if (out.name.empty()) out.name = root.name;
  else if (!root.name.empty()) out.name = root.name + "-" + leaf.name;
  if (!out.uri.is_set()) out.uri = root.uri;
  if (!out.scheme.is_set()) out.scheme = root.scheme;
  if (!out.method.is_set()) out.method = root.method;
  if (!out.authority.is_set()) out.authority = root.authority;
  out.headers = merge_named(root.headers, leaf.headers);
  out.without_headers = merge_named(root.without_headers, leaf.without_headers);
  out.query_params = merge_named(root.query_params, leaf.query_params);
  if (out.port == 0) out.port = root.port;
  config::Labels labels = root.source_labels;
  for (const auto& [k, v] : leaf.source_labels) labels[k] = v;
  out.source_labels = std::move(labels);
  if (out.source_namespace.empty()) out.source_namespace = root.source_namespace;
  if (out.gateways.empty()) out.gateways = root.gateways;
  if (out.stat_prefix.empty()) out.stat_prefix = root.stat_prefix;
  return out;
}

// Istio mergeHTTPRoute: nullopt when the delegate's matches conflict with the root's.
std::optional<config::HTTPRoute> merge_route(const config::HTTPRoute& root, config::HTTPRoute leaf) {
  if (!root.match.empty() && !leaf.match.empty()) {
    std::vector<config::HTTPMatchRequest> merged;
    for (const auto& sub : leaf.match) {
      bool found = false;
      for (const auto& rm : root.match) {
        if (has_conflict(rm, sub)) continue;
        merged.push_back(merge_match(rm, sub));
        found = true;
      }
      if (!found) return std::nullopt;
    }
    if (merged.empty()) return std::nullopt;
    leaf.match = std::move(merged);
  } else if (leaf.match.empty()) {
    leaf.match = root.match;
  }
  if (leaf.name.empty()) leaf.name = root.name;
  else if (!root.name.empty()) leaf.name = root.name + "-" + leaf.name;
  if (!leaf.rewrite) leaf.rewrite = root.rewrite;
  if (!leaf.direct_response) leaf.direct_response = root.direct_response;
  if (!leaf.timeout) leaf.timeout = root.timeout;
  if (!leaf.retries) leaf.retries = root.retries;
  if (!leaf.fault) leaf.fault = root.fault;
  if (!leaf.mirror) leaf.mirror = root.mirror;
  if (!leaf.mirror_percent) leaf.mirror_percent = root.mirror_percent;
  if (!leaf.mirror_percentage) leaf.mirror_percentage = root.mirror_percentage;
  if (!leaf.cors_policy) leaf.cors_policy = root.cors_policy;
  if (leaf.mirrors.empty()) leaf.mirrors = root.mirrors;
  const bool leaf_headers = !leaf.headers.request.set.empty() || !leaf.headers.request.add.empty() ||
                            !leaf.headers.request.remove.empty() || !leaf.headers.response.set.empty() ||
                            !leaf.headers.response.add.empty() || !leaf.headers.response.remove.empty();
  if (!leaf_headers) leaf.headers = root.headers;
  return leaf;
}

// Short names of a delegate resolve in the delegate's namespace (istiod resolves every VS before
// merging), so destinations are rewritten to FQDNs before they move into the root.
void resolve_destinations(config::HTTPRoute& r, std::string_view ns, std::string_view domain) {
  for (auto& d : r.route) d.destination.host = registry::resolve_short_name(d.destination.host, ns, domain);
  if (r.mirror) r.mirror->host = registry::resolve_short_name(r.mirror->host, ns, domain);
  for (auto& m : r.mirrors) m.destination.host = registry::resolve_short_name(m.destination.host, ns, domain);
}

}  // namespace

bool is_root_virtual_service(const config::VirtualService& vs) {
  return std::any_of(vs.http.begin(), vs.http.end(), [](const config::HTTPRoute& r) { return r.delegate.has_value(); });
}

MergedVirtualService merge_delegates(const config::VirtualService& root, const config::ConfigStore& store,
                                     std::string_view domain, config::Diagnostics* diags) {
  MergedVirtualService out;
  out.vs = root;
  out.vs.http.clear();
  const std::string root_key = root.meta.namespace_ + "/" + root.meta.name;
  for (std::size_t i = 0; i < root.http.size(); ++i) {
    const config::HTTPRoute& rule = root.http[i];
    const std::string field = "spec.http[" + std::to_string(i) + "].delegate";
    if (!rule.delegate) {
      config::HTTPRoute copy = rule;
      resolve_destinations(copy, root.meta.namespace_, domain);
      out.vs.http.push_back(std::move(copy));
      out.rule_ids.push_back(root_key + "#http[" + std::to_string(i) + "]");
      continue;
    }
    const std::string ns = rule.delegate->namespace_.empty() ? root.meta.namespace_ : rule.delegate->namespace_;
    const config::VirtualService* delegate = nullptr;
    for (const auto& vs : store.virtual_services())
      if (vs.hosts.empty() && vs.meta.namespace_ == ns && vs.meta.name == rule.delegate->name) delegate = &vs;
    if (!delegate) {
      // Only this root rule is dropped; the others stay (I-VSC).
      if (diags)
        diags->warning(rule.location, field,
                       "delegate VirtualService " + ns + "/" + rule.delegate->name + " not found; this rule is ignored");
      continue;
    }
    if (!exported_to(delegate->export_to, delegate->meta.namespace_, root.meta.namespace_)) {
      if (diags)
        diags->warning(rule.location, field,
                       "delegate VirtualService " + ns + "/" + delegate->meta.name + " is not exported to namespace " +
                           root.meta.namespace_ + "; this rule is ignored");
      continue;
    }
    for (std::size_t j = 0; j < delegate->http.size(); ++j) {
      config::HTTPRoute leaf = delegate->http[j];
      resolve_destinations(leaf, delegate->meta.namespace_, domain);
      std::optional<config::HTTPRoute> merged = merge_route(rule, std::move(leaf));
      if (!merged) continue;  // conflicts with every root match: dropped
      out.vs.http.push_back(std::move(*merged));
      out.rule_ids.push_back(delegate->meta.namespace_ + "/" + delegate->meta.name + "#http[" + std::to_string(j) +
                             "]");
    }
  }
  return out;
}

}  // namespace meshtwin::xds::detail
