// `meshtwin trace FILE.db[:RUN] REQUEST_ID [--lang zh-CN]`: one client request's life as text —
// every hop, attempt, pool wait, backoff, timeout, fault, retry decision and response flag,
// indented by app-call depth, with simulated times (issue 16 §3).
//
// Pool waits, backoffs and retry reasons are not in the results file, so the run is simulated
// again from what the file stores (the scenario and manifests in `inputs`, the --set overrides,
// the seed and the duration in `runs`) with the decision log (model/telemetry/decision_log.h)
// on for this one request. The simulation is deterministic, so the request's `requests` and
// `spans` rows come out again; they are compared with the stored ones before anything is
// printed, and a difference (a file edited after the run, another meshtwin version, a scenario
// file read besides the manifests) is an error naming the row and column.

#include <deque>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/i18n.h"
#include "engine/stop_token.h"
#include "engine/time.h"
#include "model/config/diagnostics.h"
#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "model/telemetry/decision_log.h"
#include "model/telemetry/response_flags.h"
#include "model/text/format.h"
#include "results/reader.h"
#include "results/request_rows.h"

namespace meshtwin::cli {
namespace {

namespace fs = std::filesystem;
using fmt::arg;

struct TraceArgs {
  std::string run;
  std::uint64_t request_id = 0;
  std::string lang;
};

// A folder holding the run's inputs at paths that keep their relative positions, so that the
// stored scenario finds its stored manifests exactly as it found the originals. Removed with it.
class InputTree {
 public:
  InputTree() {
    std::string pattern = (fs::temp_directory_path() / "meshtwin-trace-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) root_ = pattern;
  }
  ~InputTree() {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  InputTree(const InputTree&) = delete;
  InputTree& operator=(const InputTree&) = delete;

  bool ok() const { return !root_.empty(); }

  // Writes every input; returns where the first one (the scenario) now is, or "" and *error.
  std::string write(const std::vector<std::pair<std::string, std::string>>& inputs, std::string* error) {
    // A relative path may climb out of the run's folder (`../../third_party/...`): relative
    // paths are put that many folders deep so that climbing stays inside the tree.
    std::size_t climb = 0;
    for (const auto& [path, content] : inputs) {
      std::size_t up = 0;
      for (const auto& part : fs::path(path).lexically_normal())
        if (part == "..") ++up;
        else break;
      climb = std::max(climb, up);
    }
    fs::path base = root_ / "relative";
    for (std::size_t i = 0; i < climb; ++i) base /= "up";
    std::string scenario;
    for (const auto& [path, content] : inputs) {
      if (path == scenario::kOverridesInput) continue;
      const fs::path p(path);
      const fs::path where =
          (p.is_absolute() ? root_ / "absolute" / p.relative_path() : base / p).lexically_normal();
      std::error_code ec;
      fs::create_directories(where.parent_path(), ec);
      std::FILE* f = std::fopen(where.c_str(), "wb");
      if (!f || std::fwrite(content.data(), 1, content.size(), f) != content.size()) {
        if (f) std::fclose(f);
        *error = "cannot write " + where.string() + " (the stored input " + path + ")";
        return "";
      }
      std::fclose(f);
      if (scenario.empty()) scenario = where.string();
    }
    if (scenario.empty()) *error = "the run stores no inputs";
    return scenario;
  }

 private:
  fs::path root_;
};

// The re-simulation's view of one request: its rows, as the writer would store them, and its
// decision-log records (text copied: the run's strings go when the mesh does). Once it holds the
// request's row and as many spans as the file stores, the rest of the run cannot change them
// (a request's spans all end before or with it, but for a mirror's): it stops the run there and
// takes no more rows (the stop's own `unfinished` rows included).
class RequestCollector : public telemetry::Sink, public telemetry::LogSink {
 public:
  RequestCollector(std::uint64_t id, std::size_t stored_spans) : id_(id), stored_spans_(stored_spans) {}
  void begin_run(const telemetry::RunInfo&) override {}
  void on_request(const telemetry::RequestRecord& r) override {
    if (r.request_id != id_ || complete()) return;
    rows.request = results::request_row(r);
    maybe_stop();
  }
  void on_span(const telemetry::SpanRecord& s) override {
    if (s.request_id != id_ || !s.sampled || complete()) return;
    rows.spans.push_back(results::span_row(s));
    maybe_stop();
  }
  // Rows only: hops (metrics) are not read, so the mesh does not make them.
  telemetry::Interest interest() const override { return {true, false, true}; }
  void on_hop(const telemetry::HopRecord&) override {}
  void on_event(const telemetry::EventRecord&) override {}
  void end_run(const telemetry::RunEnd&) override {
    std::stable_sort(rows.spans.begin(), rows.spans.end(),
                     [](const results::Row& a, const results::Row& b) { return a[1] < b[1]; });
  }
  // Records keep coming until the run stops after the current event: what the request's end
  // still logs at the same instant (the client receiving it) is part of its story.
  void on_log(const telemetry::LogRecord& r) override {
    telemetry::LogRecord kept = r;
    for (std::uint8_t i = 0; i < kept.field_count; ++i) {
      auto& f = kept.fields[i];
      if (f.type != telemetry::LogField::Type::Text) continue;
      texts_.emplace_back(f.text);
      f.text = texts_.back();
    }
    records.push_back(kept);
  }

  results::RequestRows rows;
  std::vector<telemetry::LogRecord> records;
  engine::StopToken stop;

 private:
  bool complete() const { return stop.stop_requested(); }
  void maybe_stop() {
    if (rows.request && rows.spans.size() >= stored_spans_) stop.request_stop();
  }

  std::uint64_t id_;
  std::size_t stored_spans_;
  std::deque<std::string> texts_;
};

// The label printed for each component, translated (the --log names stay as they are).
std::string component_label(telemetry::LogComponent c) {
  static const char* const kLabels[telemetry::kLogComponents] = {N_("client"), N_("router"), N_("fault"), N_("lb"),
                                                                 N_("pool"),   N_("retry"),  N_("outlier"), N_("app")};
  return text::tr(kLabels[static_cast<std::size_t>(c)]);
}

std::string seconds(engine::SimTime t) { return fmt::format("{:.6f}s", engine::to_seconds(t)); }

// Re-simulates the run and collects `request_id`. false after printing why it cannot.
bool resimulate(const results::Reader& reader, const results::RunRow& run, std::uint64_t request_id,
                RequestCollector& collector) {
  const auto inputs = reader.inputs(run.run_id);
  std::vector<std::string> overrides;
  for (const auto& [path, content] : inputs) {
    if (path != scenario::kOverridesInput) continue;
    for (std::size_t from = 0; from < content.size();) {
      const auto nl = content.find('\n', from);
      const std::string line = content.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
      if (!line.empty()) overrides.push_back(line);
      if (nl == std::string::npos) break;
      from = nl + 1;
    }
  }
  InputTree tree;
  std::string error;
  const std::string scenario_path = tree.ok() ? tree.write(inputs, &error) : "";
  if (scenario_path.empty()) {
    std::cerr << "meshtwin trace: cannot re-simulate run " << run.run_id << ": "
              << (tree.ok() ? error : "cannot make a temporary folder") << '\n';
    return false;
  }
  config::Diagnostics diags;
  scenario::LoadScenarioOptions load_options;
  load_options.allow_unknown_fields = true;  // the run accepted its inputs once; warnings are not repeated
  auto spec = scenario::load_scenario(scenario_path, overrides, diags, load_options);
  std::unique_ptr<scenario::Mesh> mesh;
  if (spec) {
    spec->seed = run.seed;
    spec->duration = engine::SimDuration::from_ns(run.sim_duration);
    mesh = scenario::Mesh::build(*spec, diags);
  }
  if (!mesh) {
    std::cerr << "meshtwin trace: cannot re-simulate run " << run.run_id
              << " from the inputs stored in the results file:\n";
    print_diagnostics(diags, false);
    return false;
  }
  telemetry::DecisionLog log;
  log.set_all(telemetry::LogLevel::Trace);
  log.set_request(request_id);
  log.set_sink(&collector);
  scenario::RunOptions options;
  options.meshtwin_version = MESHTWIN_VERSION;
  options.log = &log;
  options.stop = &collector.stop;
  mesh->run(collector, options);
  return true;
}

void print_trace(const TraceArgs& args, const results::RunRow& run, const results::Row& request,
                 const RequestCollector& c) {
  auto str = [&](std::size_t column) { return std::get<std::string>(request[column]); };
  auto num = [&](std::size_t column) { return std::get<std::int64_t>(request[column]); };
  // Column order: results::request_columns().
  std::cout << text::trf("Request {id} of run {run} in {file}: {method} {authority}{path} from client {client}",
                            arg("id", args.request_id), arg("run", run.run_id),
                            arg("file", results::parse_run_ref(args.run).path), arg("method", str(4)),
                            arg("authority", str(5)), arg("path", str(6)), arg("client", str(1)))
            << '\n'
            << text::trf("Re-simulated from the run's stored inputs with seed {seed}: its requests row and {spans} "
                            "spans rows equal the stored ones.",
                            arg("seed", run.seed), arg("spans", c.rows.spans.size()))
            << "\n\n";
  for (const telemetry::LogRecord& r : c.records)
    std::cout << fmt::format("{:>12}  {:{}}[{}] {}\n", seconds(r.time), "", 2 * r.depth, component_label(r.component()),
                             telemetry::describe(r));
  std::cout << '\n'
            << text::trf("Result: {code} {flags} after {duration}, {attempts} attempt(s) at the first proxy.",
                            arg("code", num(7)), arg("flags", str(8)), arg("duration", engine::human_duration(engine::SimDuration::from_ns(num(3)))),
                            arg("attempts", num(9)))
            << '\n';
}

int cmd_trace(const TraceArgs& args) {
  std::string error;
  if (!use_language(args.lang, &error)) {
    std::cerr << "meshtwin trace: " << error << '\n';
    return kExitBadInput;
  }
  auto opened = results::open_run(args.run, &error);
  if (!opened) {
    std::cerr << "meshtwin trace: " << error << '\n';
    return kExitBadInput;
  }
  const results::Reader& reader = *opened->reader;
  const auto run = reader.run(opened->run_id);
  const results::RequestRows stored = results::read_request_rows(reader, opened->run_id, args.request_id);
  if (!run || !stored.request) {
    std::cerr << "meshtwin trace: " << reader.path() << ": run " << opened->run_id << " has no requests row for request "
              << args.request_id
              << " (request ids count from 1; spec.record.requests may have left it out of the file)\n";
    return kExitBadInput;
  }
  RequestCollector collector(args.request_id, stored.spans.size());
  if (!resimulate(reader, *run, args.request_id, collector)) return kExitBadInput;
  if (auto diff = results::first_difference(stored, collector.rows)) {
    std::cerr << "meshtwin trace: " << reader.path() << ": run " << opened->run_id << ", request " << args.request_id
              << ": the re-simulation differs from the stored rows at " << *diff
              << "; the file was changed after the run, or the run was made by another meshtwin version (it says "
              << run->meshtwin_version << ", this is " << MESHTWIN_VERSION << "), so it cannot be traced\n";
    return kExitBadInput;
  }
  print_trace(args, *run, *stored.request, collector);
  return kExitOk;
}

}  // namespace

void register_trace(CLI::App& app, Commands& commands) {
  auto args = std::make_shared<TraceArgs>();
  auto* cmd = app.add_subcommand(
      "trace",
      "Tell one request's life: every hop, attempt, pool wait, backoff, timeout, fault, retry decision and response "
      "flag, indented by call depth, with simulated times. The run is simulated again from the inputs and seed the "
      "results file stores, and the request's rows must equal the stored ones");
  cmd->add_option("RESULTS", args->run, "Results file, FILE.db or FILE.db:RUN (default: the latest run)")->required();
  cmd->add_option("REQUEST_ID", args->request_id, "The request_id of a `requests` row of the run")->required();
  add_lang_option(*cmd, args->lang);
  commands.push_back({cmd, [args] { return cmd_trace(*args); }});
}

}  // namespace meshtwin::cli
