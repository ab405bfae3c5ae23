// Readers for the parts of an app and a client that both `spec.apps` / `spec.clients` and the
// timeline's `app:` changes take (calls, failures, URLs, workload references). Moved out of
// the loader so that a timeline change is read by exactly the code that reads the original.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "model/scenario/scenario_values.h"

namespace meshtwin::scenario::detail {
namespace {

bool http_token(const std::string& s) {
  static const std::string kSeparators = "()<>@,;:\\\"/[]?={} \t";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c > 32 && c < 127 && kSeparators.find(static_cast<char>(c)) == std::string::npos;
  });
}

std::optional<CallSpec> read_call(const Value& v) {
  MapReader m(v);
  if (!m.ok()) return std::nullopt;
  CallSpec c;
  c.location = v.location();
  bool ok = true;
  if (auto to = m.require("to", "to is required: the URL to call, e.g. \"http://reviews:9080/reviews/0\"")) {
    if (auto url = read_url(*to))
      c.to = *url;
    else
      ok = false;
  } else {
    ok = false;
  }
  read_method(m, c.method);
  m.read_duration("timeout", c.timeout);
  if (auto a = m.get("attempts")) {
    if (auto n = a->as_int(1, 1000))
      c.attempts = static_cast<int>(*n);
    else
      ok = false;
  }
  std::vector<std::string> headers;
  if (m.read("forwardHeaders", headers)) {
    for (auto& h : headers) c.forward_headers.push_back(lower_case(h));
  }
  std::string on_failure;
  if (m.read_enum("onFailure", on_failure, {"fail", "continue"}))
    c.on_failure = on_failure == "continue" ? CallSpec::OnFailure::Continue : CallSpec::OnFailure::Fail;
  m.finish();
  if (!ok) return std::nullopt;
  return c;
}

int grpc_code(const std::string& name) {
  static const char* const kNames[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                       "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
                                       "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  for (int i = 0; i < 17; ++i)
    if (name == kNames[i]) return i;
  return -1;
}

// `{exact: v}`, `{prefix: v}` or `{regex: v}` (exactly one), as Istio's StringMatch.
std::optional<app::StringMatch> read_string_match(const Value& v) {
  MapReader m(v);
  if (!m.ok()) return std::nullopt;
  std::optional<app::StringMatch> out;
  int given = 0;
  for (auto [key, kind] : {std::pair{"exact", app::StringMatch::Kind::Exact},
                           std::pair{"prefix", app::StringMatch::Kind::Prefix},
                           std::pair{"regex", app::StringMatch::Kind::Regex}}) {
    auto f = m.get(key);
    if (!f) continue;
    ++given;
    auto text = f->as_string();
    if (!text) continue;
    std::string error;
    out = app::make_string_match(kind, *text, &error);
    if (!out) f->error(std::string(key) + ": " + error);
  }
  m.finish();
  if (given != 1) {
    v.error("give exactly one of exact, prefix or regex, e.g. {prefix: /status/}");
    return std::nullopt;
  }
  return out;
}

// `headers:` / `query:` of a match: name → string match, in document order.
bool read_match_map(const Value& v, bool lower, std::vector<std::pair<std::string, app::StringMatch>>& out) {
  MapReader m(v);
  if (!m.ok()) return false;
  bool ok = true;
  for (auto& [name, body] : m.entries()) {
    if (auto match = read_string_match(body))
      out.emplace_back(lower ? lower_case(name) : name, std::move(*match));
    else
      ok = false;
  }
  return ok;
}

// `$N` as written for status and serviceTime: N must name a capture group of the path regex.
std::optional<int> capture_ref(const Value& v, const EndpointSpec& e) {
  const std::string& text = v.node().Scalar();
  if (text.size() != 2 || text[0] != '$' || text[1] < '1' || text[1] > '9') {
    v.error(v.name() + " must be $1 to $9 (a capture group of match.path.regex), got " + v.describe());
    return std::nullopt;
  }
  const int group = text[1] - '0';
  const int groups = e.match.path ? e.match.path->groups() : 0;
  if (group > groups) {
    v.error(v.name() + ": " + text + " names capture group " + std::to_string(group) + " but match.path " +
            (e.match.path && e.match.path->kind == app::StringMatch::Kind::Regex
                 ? "has " + std::to_string(groups)
                 : std::string("is not a regex")));
    return std::nullopt;
  }
  return group;
}

bool is_capture_text(const Value& v) { return v.is_scalar() && !v.node().Scalar().empty() && v.node().Scalar()[0] == '$'; }

std::optional<EndpointSpec> read_endpoint(const Value& v) {
  MapReader m(v);
  if (!m.ok()) return std::nullopt;
  EndpointSpec e;
  e.location = v.location();
  bool ok = true;
  if (auto match = m.get("match")) {
    MapReader mm(*match);
    if (mm.ok()) {
      read_method(mm, e.match.method);
      if (auto p = mm.get("path")) {
        e.match.path = read_string_match(*p);
        ok = ok && e.match.path.has_value();
      }
      if (auto h = mm.get("headers")) ok = read_match_map(*h, true, e.match.headers) && ok;
      if (auto q = mm.get("query")) ok = read_match_map(*q, false, e.match.query) && ok;
      mm.finish();
    } else {
      ok = false;
    }
  }
  if (auto st = m.get("status")) {
    if (is_capture_text(*st)) {
      if (auto g = capture_ref(*st, e)) e.status_ref.group = *g; else ok = false;
    } else if (auto n = st->as_int(100, 599)) {
      e.status = static_cast<int>(*n);
    } else {
      ok = false;
    }
  }
  if (auto t = m.get("serviceTime")) {
    if (is_capture_text(*t)) {
      if (auto g = capture_ref(*t, e)) e.delay.group = *g; else ok = false;
    } else if (auto d = read_duration_distribution(*t)) {
      e.service_time = *d;
    } else {
      ok = false;
    }
  }
  if (auto failures = m.get("failures")) {
    std::vector<FailureSpec> out;
    read_failures(*failures, out);
    e.failures = std::move(out);
  }
  if (auto calls = m.get("calls")) {
    std::vector<CallStep> out;
    read_calls(*calls, out);
    e.calls = std::move(out);
  }
  if (auto es = m.get("errorStatus")) {
    if (auto n = es->as_int(100, 599)) e.error_status = static_cast<int>(*n); else ok = false;
  }
  m.finish();
  if (!ok) return std::nullopt;
  return e;
}

}  // namespace

void read_endpoints(const Value& v, std::vector<EndpointSpec>& out) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) {
    if (auto e = read_endpoint(item)) out.push_back(std::move(*e));
  }
}

std::string lower_case(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Kubernetes object names as they appear in `workload: name` and app keys.
bool object_name(const std::string& s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
           return std::islower(c) || std::isdigit(c) || c == '-' || c == '.';
         });
}

// `name` or `namespace/name`.
bool split_ref(const std::string& s, std::string& ns, std::string& name) {
  const auto slash = s.find('/');
  if (slash == std::string::npos) {
    ns.clear();
    name = s;
    return object_name(name);
  }
  ns = s.substr(0, slash);
  name = s.substr(slash + 1);
  return object_name(ns) && object_name(name) && ns.find('.') == std::string::npos;
}

std::optional<Url> read_url(const Value& v) {
  auto s = v.as_string();
  if (!s) return std::nullopt;
  std::string error;
  auto url = parse_url(*s, &error);
  if (!url) v.error(v.name() + ": " + error);
  return url;
}

bool read_method(MapReader& m, std::string& out) {
  auto v = m.get("method");
  if (!v) return false;
  auto s = v->as_string();
  if (!s) return false;
  if (!http_token(*s)) {
    v->error("method must be an HTTP method such as GET or POST, got " + v->describe());
    return false;
  }
  out = *s;
  return true;
}

void read_calls(const Value& v, std::vector<CallStep>& out) {
  auto items = v.as_list();
  if (!items) return;
  for (const Value& item : *items) {
    MapReader probe(item);
    if (!probe.ok()) continue;
    if (probe.has("parallel")) {
      CallStep step;
      step.parallel = true;
      auto group = probe.get("parallel");
      probe.finish();  // anything beside `parallel` is a misplaced call field
      if (auto calls = group->as_list()) {
        if (calls->empty()) group->error("parallel must list at least one call");
        for (const Value& c : *calls) {
          if (auto call = read_call(c)) step.calls.push_back(std::move(*call));
        }
      }
      out.push_back(std::move(step));
    } else if (auto call = read_call(item)) {
      out.push_back(CallStep{{std::move(*call)}, false});
    }
  }
}

void read_failures(const Value& v, std::vector<FailureSpec>& out) {
  auto items = v.as_list();
  if (!items) return;
  double total = 0;
  bool all_ok = true;
  for (const Value& item : *items) {
    MapReader m(item);
    if (!m.ok()) {
      all_ok = false;
      continue;
    }
    FailureSpec f;
    f.location = item.location();
    const int given = int(m.has("rate")) + int(m.has("first")) + int(m.has("every"));
    if (given == 0) {
      m.require("rate", "rate is required: the probability per request, e.g. 0.05 (or first: N, every: K)");
      all_ok = false;
    } else if (given > 1) {
      item.error("give one of rate, first or every");
      for (const char* key : {"rate", "first", "every"}) m.get(key);  // reported above, not as unknown
      all_ok = false;
    } else if (m.has("rate")) {
      if (!m.read_number("rate", f.rate, 0, 1)) all_ok = false;
    } else {
      const bool first = m.has("first");
      f.pattern = first ? FailureSpec::Pattern::First : FailureSpec::Pattern::Every;
      if (!m.read_uint(first ? "first" : "every", f.n, first ? 0 : 1, 1'000'000'000)) all_ok = false;
    }
    std::string per;
    if (m.has("per") && f.pattern == FailureSpec::Pattern::Rate) {
      m.get("per")->error("per applies only to first and every (a rate is drawn per request)");
    } else if (m.read_enum("per", per, {"pod", "requestId", "connection"})) {
      f.per = per == "requestId"    ? FailureSpec::Per::RequestId
              : per == "connection" ? FailureSpec::Per::Connection
                                    : FailureSpec::Per::Pod;
    }
    if (auto b = m.get("between")) {
      // [t1, t2]: the entry applies to requests arriving from t1 up to (not including) t2.
      auto items = b->as_list();
      if (items && items->size() == 2) {
        auto t1 = (*items)[0].as_duration(), t2 = (*items)[1].as_duration();
        if (t1 && t2 && *t2 <= *t1)
          (*items)[1].error("between must end after it starts, got " + (*items)[1].describe());
        else if (t1 && t2) {
          f.from = SimTime{} + *t1;
          f.to = SimTime{} + *t2;
        }
      } else if (items) {
        b->error("between must be [start, end], e.g. [10s, 20s]");
      }
    }
    std::string kind = "status";
    m.read_enum("kind", kind, {"status", "reset", "hang", "refuse", "grpc"});
    f.kind = kind == "reset"    ? FailureSpec::Kind::Reset
             : kind == "hang"   ? FailureSpec::Kind::Hang
             : kind == "refuse" ? FailureSpec::Kind::Refuse
             : kind == "grpc"   ? FailureSpec::Kind::Grpc
                                : FailureSpec::Kind::Status;
    if (auto st = m.get("status")) {
      if (f.kind != FailureSpec::Kind::Status)
        st->error("status applies only to failures of kind status");
      else if (auto n = st->as_int(100, 599))
        f.status = static_cast<int>(*n);
    }
    if (auto g = m.get("grpcStatus")) {
      if (f.kind != FailureSpec::Kind::Grpc) {
        g->error("grpcStatus applies only to failures of kind grpc");
      } else if (g->is_scalar() && !g->node().Scalar().empty() && std::isdigit(static_cast<unsigned char>(g->node().Scalar()[0]))) {
        if (auto n = g->as_int(0, 16)) f.grpc_status = static_cast<int>(*n);
      } else if (auto s = g->as_string()) {
        const int code = grpc_code(*s);
        if (code < 0)
          g->error("grpcStatus must be a gRPC code (0-16) or its name such as UNAVAILABLE, got " + g->describe());
        else
          f.grpc_status = code;
      }
    }
    if (auto w = m.get("when")) {
      std::string when;
      if (f.kind != FailureSpec::Kind::Reset) {
        w->error("when applies only to failures of kind reset");
      } else if (auto s = w->as_string()) {
        if (*s == "beforeHeaders" || *s == "afterHeaders")
          f.after_headers = *s == "afterHeaders";
        else
          w->error("when must be beforeHeaders or afterHeaders, got " + w->describe());
      }
    }
    m.finish();
    total += f.rate;  // patterns have rate 0: they take no share of the draw
    out.push_back(f);
  }
  // One uniform draw picks at most one failure kind, so the rates share a single [0, 1].
  if (all_ok && total > 1 + 1e-9)
    v.error("failure rates add up to " + std::to_string(total) + "; together they must not exceed 1");
}

void read_paths(const Value& v, const std::string& base_dir, std::vector<std::string>& out) {
  namespace fs = std::filesystem;
  std::vector<Value> items;
  if (v.is_scalar()) {
    items.push_back(v);
  } else if (auto list = v.as_list()) {
    items = std::move(*list);
  } else {
    return;
  }
  for (const Value& item : items) {
    auto s = item.as_string();
    if (!s) continue;
    if (s->empty()) {
      item.error("manifest path must not be empty");
      continue;
    }
    fs::path p(*s);
    if (p.is_relative()) p = fs::path(base_dir) / p;
    p = p.lexically_normal();
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      item.error("manifest \"" + *s + "\" not found (looked for " + p.string() +
                 "); paths are relative to the scenario file's folder");
      continue;
    }
    out.push_back(p.string());
  }
}

}  // namespace meshtwin::scenario::detail
