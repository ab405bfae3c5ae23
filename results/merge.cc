#include "results/merge.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <system_error>

#include <fmt/format.h>

#include "results/reader.h"
#include "results/writer.h"

namespace meshtwin::results {
namespace {

namespace fs = std::filesystem;

// One input file, read once: its batches, runs and sweeps.
struct Input {
  std::string path;
  std::unique_ptr<Reader> reader;
  std::vector<BatchRow> batches;                 // ascending batch_id
  std::map<std::int64_t, std::size_t> ordinal;   // batch_id -> index in batches
  std::vector<std::vector<RunRow>> batch_runs;   // per batch, in replication order
  std::vector<RunRow> loose_runs;                // runs outside any batch, ascending run_id
  std::vector<SweepRow> sweeps;                  // ascending sweep_id
};

// The worse of two statuses, as a joined batch or sweep reads: one failed shard fails it.
int status_rank(const std::string& status) {
  if (status == "failed") return 3;
  if (status == "interrupted") return 2;
  if (status == "complete") return 0;
  return 1;  // running: a writer was killed, or still at work
}
const std::string& worse(const std::string& a, const std::string& b) { return status_rank(b) > status_rank(a) ? b : a; }

std::optional<Input> read_input(const std::string& path, std::string* error) {
  std::error_code ec;
  // A journal left by a writer that died: reading would roll it back, that is, write to the
  // input. Say so instead; any reader (e.g. `meshtwin report`) recovers the file first.
  if (fs::exists(path + "-journal", ec)) {
    *error = fmt::format("{}: a writer left it mid-write ({}-journal exists); open it once with `meshtwin report` "
                         "to roll it back, then merge",
                         path, path);
    return std::nullopt;
  }
  Input in;
  in.path = path;
  in.reader = Reader::open(path, error);
  if (!in.reader) return std::nullopt;
  auto version = in.reader->query("PRAGMA user_version", {}, error);
  if (!version || version->empty()) return std::nullopt;
  const auto v = std::get<std::int64_t>(version->front().front());
  if (v != kSchemaVersion) {
    // Older files lack the columns and tables a joined file needs; merging across versions would
    // mix two layouts in one file.
    *error = fmt::format("{}: schema version {}, this meshtwin writes version {}; merge joins files of version {} "
                         "only (appending a run with this meshtwin upgrades a file)",
                         path, v, kSchemaVersion, kSchemaVersion);
    return std::nullopt;
  }
  in.batches = in.reader->batches();
  for (std::size_t i = 0; i < in.batches.size(); ++i) in.ordinal[in.batches[i].batch_id] = i;
  in.batch_runs.resize(in.batches.size());
  for (auto& run : in.reader->runs()) {
    if (!run.batch_id) {
      in.loose_runs.push_back(std::move(run));
    } else if (auto it = in.ordinal.find(*run.batch_id); it != in.ordinal.end()) {
      in.batch_runs[it->second].push_back(std::move(run));
    }
  }
  for (auto& runs : in.batch_runs)
    std::stable_sort(runs.begin(), runs.end(), [](const RunRow& a, const RunRow& b) { return a.replication < b.replication; });
  auto sweep_ids = in.reader->query("SELECT sweep_id FROM sweeps ORDER BY sweep_id", {}, error);
  if (!sweep_ids) return std::nullopt;
  for (const auto& row : *sweep_ids) {
    auto sweep = in.reader->sweep(std::get<std::int64_t>(row.front()), error);
    if (!sweep) return std::nullopt;
    in.sweeps.push_back(std::move(*sweep));
  }
  return in;
}

std::string batch_text(const BatchRow& b) {
  return fmt::format("scenario {} seed {} warm-up {} ns (meshtwin {})", b.scenario, b.seed, b.warmup, b.meshtwin_version);
}

// `other` must hold the batches and sweeps of `first`, point for point: shards of one command.
bool same_shape(const Input& first, const Input& other, std::string* error) {
  const std::string how = "merge joins the shards of one `run --replications` or `sweep`";
  if (other.batches.size() != first.batches.size()) {
    *error = fmt::format("{} holds {} batches, {} holds {}: {}", other.path, other.batches.size(), first.path,
                         first.batches.size(), how);
    return false;
  }
  for (std::size_t i = 0; i < first.batches.size(); ++i) {
    const auto& a = first.batches[i];
    const auto& b = other.batches[i];
    if (a.scenario != b.scenario || a.seed != b.seed || a.warmup != b.warmup || a.meshtwin_version != b.meshtwin_version) {
      *error = fmt::format("{} does not match {}: its batch {} is {}, there {}: {}", other.path, first.path, i + 1,
                           batch_text(b), batch_text(a), how);
      return false;
    }
  }
  if (other.sweeps.size() != first.sweeps.size()) {
    *error = fmt::format("{} holds {} sweeps, {} holds {}: {}", other.path, other.sweeps.size(), first.path,
                         first.sweeps.size(), how);
    return false;
  }
  for (std::size_t s = 0; s < first.sweeps.size(); ++s) {
    const auto& a = first.sweeps[s];
    const auto& b = other.sweeps[s];
    bool same = a.scenario == b.scenario && a.grid == b.grid && a.points == b.points && a.done.size() == b.done.size();
    for (std::size_t p = 0; same && p < a.done.size(); ++p) {
      same = a.done[p].point == b.done[p].point && a.done[p].parameters == b.done[p].parameters &&
             first.ordinal.at(a.done[p].batch_id) == other.ordinal.at(b.done[p].batch_id);
    }
    if (!same) {
      *error = fmt::format("{} does not match {}: their sweep {} differs (scenario, --grid or points): {}", other.path,
                           first.path, s + 1, how);
      return false;
    }
  }
  return true;
}

// Batch i's runs of every input: no replication twice, and all simulated from the same inputs.
bool check_batch_runs(const std::vector<Input>& inputs, std::size_t i, std::string* error) {
  std::map<int, const std::string*> owner;
  const Input* reference = nullptr;
  std::vector<std::pair<std::string, std::string>> reference_inputs;
  for (const auto& in : inputs) {
    for (const auto& run : in.batch_runs[i]) {
      auto [it, fresh] = owner.emplace(run.replication, &in.path);
      if (!fresh) {
        *error = fmt::format("replication {} of batch {} is in {} and in {}: these files are not shards of one run "
                             "(each replication belongs to one shard)",
                             run.replication, i + 1, *it->second, in.path);
        return false;
      }
    }
    if (in.batch_runs[i].empty()) continue;
    auto these = in.reader->inputs(in.batch_runs[i].front().run_id);
    if (!reference) {
      reference = &in;
      reference_inputs = std::move(these);
      continue;
    }
    // Flags such as --duration set the spec without an override line: compare the run's own
    // settings too.
    const RunRow& a = reference->batch_runs[i].front();
    const RunRow& b = in.batch_runs[i].front();
    if (a.sim_duration != b.sim_duration || a.metrics_interval != b.metrics_interval || a.warmup != b.warmup) {
      *error = fmt::format("{} does not match {}: batch {} was simulated with other settings (duration {} ns vs {} "
                           "ns, metrics interval {} ns vs {} ns, warm-up {} ns vs {} ns)",
                           in.path, reference->path, i + 1, b.sim_duration, a.sim_duration, b.metrics_interval,
                           a.metrics_interval, b.warmup, a.warmup);
      return false;
    }
    if (these != reference_inputs) {
      // Name the first input that one of them lacks or holds with other content.
      std::map<std::string, std::string> mine(these.begin(), these.end());
      std::map<std::string, std::string> theirs(reference_inputs.begin(), reference_inputs.end());
      std::string which = "the order of the input files";
      for (const auto* list : {&reference_inputs, &these}) {
        for (const auto& [path, content] : *list) {
          auto m = mine.find(path);
          auto t = theirs.find(path);
          if (m == mine.end() || t == theirs.end() || m->second != t->second) {
            which = path;
            break;
          }
        }
        if (which != "the order of the input files") break;
      }
      *error = fmt::format("{} does not match {}: batch {} was simulated from other inputs ({} differs)", in.path,
                           reference->path, i + 1, which);
      return false;
    }
  }
  return true;
}

// Writes the joined file; false and error() of the writer (or a sentence) in *error.
bool write_merged(const std::vector<Input>& inputs, SqliteWriter& w, MergeSummary& summary, std::string* error) {
  const Input& first = inputs.front();
  // Which sweep point each batch is, from the first input (the others have the same shape).
  std::map<std::size_t, std::pair<std::size_t, const SweepPoint*>> point_of;  // batch ordinal -> sweep, point
  for (std::size_t s = 0; s < first.sweeps.size(); ++s)
    for (const auto& p : first.sweeps[s].done) point_of[first.ordinal.at(p.batch_id)] = {s, &p};
  std::vector<std::int64_t> sweep_ids(first.sweeps.size(), 0);
  auto begin_sweep = [&](std::size_t s) {
    if (sweep_ids[s] == 0) {
      const auto& sw = first.sweeps[s];
      sweep_ids[s] = w.begin_sweep(sw.scenario, sw.grid, sw.points);
    }
    return sweep_ids[s] != 0;
  };
  auto fail = [&] {
    *error = w.error();
    return false;
  };
  for (std::size_t i = 0; i < first.batches.size(); ++i) {
    auto sweep_point = point_of.find(i);
    if (sweep_point != point_of.end() && !begin_sweep(sweep_point->second.first)) return fail();
    // The runs of every input, in replication order.
    std::vector<std::pair<const Input*, const RunRow*>> runs;
    BatchInfo info;
    info.scenario = first.batches[i].scenario;
    info.seed = first.batches[i].seed;
    info.warmup = first.batches[i].warmup;
    info.meshtwin_version = first.batches[i].meshtwin_version;
    std::string status = "complete";
    double wall = 0;  // the shards' wall times added: what the batch took on all machines together
    for (const auto& in : inputs) {
      for (const auto& run : in.batch_runs[i]) runs.emplace_back(&in, &run);
      status = worse(status, in.batches[i].status);
      wall += in.batches[i].wall_seconds;
    }
    std::stable_sort(runs.begin(), runs.end(),
                     [](const auto& a, const auto& b) { return a.second->replication < b.second->replication; });
    info.replications = static_cast<int>(runs.size());
    for (std::size_t k = 0; k < runs.size(); ++k) {
      if (runs[k].second->replication != static_cast<int>(k)) {
        summary.gaps.push_back(fmt::format("batch {} has no replication {} (its {} runs go up to replication {})", i + 1,
                                           k, runs.size(), runs.back().second->replication));
        break;
      }
    }
    const std::int64_t batch_id = w.begin_batch(info);
    if (batch_id == 0) return fail();
    for (const auto& [in, run] : runs) {
      if (w.copy_run(in->path, run->run_id, batch_id, run->replication) == 0) {
        *error = fmt::format("copying run {} of {}: {}", run->run_id, in->path, w.error());
        return false;
      }
      ++summary.runs;
    }
    w.end_batch(batch_id, status, info.replications, wall);
    ++summary.batches;
    if (sweep_point != point_of.end()) {
      const auto& [s, point] = sweep_point->second;
      if (!w.add_sweep_point(sweep_ids[s], point->point, batch_id, point->parameters)) return fail();
    }
  }
  for (std::size_t s = 0; s < first.sweeps.size(); ++s) {
    if (!begin_sweep(s)) return fail();
    std::string status = "complete";
    for (const auto& in : inputs) status = worse(status, in.sweeps[s].status);
    w.end_sweep(sweep_ids[s], status);
    ++summary.sweeps;
  }
  for (const auto& in : inputs) {
    for (const auto& run : in.loose_runs) {
      if (w.copy_run(in.path, run.run_id, 0, std::nullopt) == 0) {
        *error = fmt::format("copying run {} of {}: {}", run.run_id, in.path, w.error());
        return false;
      }
      ++summary.runs;
    }
  }
  if (!w.ok()) return fail();
  return true;
}

}  // namespace

std::optional<MergeSummary> merge_results(const std::vector<std::string>& paths, const std::string& output,
                                          std::string* error) {
  std::error_code ec;
  if (paths.empty()) {
    *error = "nothing to merge: give the shards' results files";
    return std::nullopt;
  }
  if (fs::exists(output, ec)) {
    // Appending to a file that already holds runs would make batch numbers depend on it.
    *error = fmt::format("{} exists; merge writes a new file (remove it, or name another with -o)", output);
    return std::nullopt;
  }
  std::vector<Input> inputs;
  for (const auto& path : paths) {
    for (const auto& in : inputs) {
      if (fs::equivalent(in.path, path, ec)) {
        *error = fmt::format("{} is given twice (as {} and {})", path, in.path, path);
        return std::nullopt;
      }
    }
    auto in = read_input(path, error);
    if (!in) return std::nullopt;
    if (!inputs.empty() && !same_shape(inputs.front(), *in, error)) return std::nullopt;
    inputs.push_back(std::move(*in));
  }
  for (std::size_t i = 0; i < inputs.front().batches.size(); ++i)
    if (!check_batch_runs(inputs, i, error)) return std::nullopt;

  // A temporary file beside the output, renamed over it at the end: a failed merge leaves no
  // half-written ALL.db for a later step to take as the result.
  const std::string partial = output + ".merging";
  fs::remove(partial, ec);
  fs::remove(partial + "-journal", ec);
  MergeSummary summary;
  summary.files = static_cast<int>(inputs.size());
  bool ok = false;
  {
    auto w = SqliteWriter::open(partial, error);
    if (!w) return std::nullopt;
    ok = write_merged(inputs, *w, summary, error);
    if (ok && !w->ok()) {
      *error = w->error();
      ok = false;
    }
    if (!ok) *error = fmt::format("{}: {}", output, *error);
  }
  if (ok) {
    fs::rename(partial, output, ec);
    if (ec) {
      *error = fmt::format("cannot rename {} to {}: {}", partial, output, ec.message());
      ok = false;
    }
  }
  if (!ok) {
    fs::remove(partial, ec);
    fs::remove(partial + "-journal", ec);
    return std::nullopt;
  }
  return summary;
}

}  // namespace meshtwin::results
