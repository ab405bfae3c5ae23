// A results file as the viewer holds it: the runs it had when opened, and a small pool of
// read-only Readers so that queries can run on worker threads side by side (a Reader is one
// SQLite connection, used by one thread at a time). Kept free of Qt so tests and queries share it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "results/reader.h"

namespace meshtwin::gui {

class DataSource {
 public:
  // nullptr and a sentence in *error when the file cannot be read as a results file.
  static std::shared_ptr<DataSource> open(const std::string& path, std::string* error);

  const std::string& path() const { return path_; }
  const std::vector<results::RunRow>& runs() const { return runs_; }
  const results::RunRow* run(std::int64_t run_id) const;

  // Runs fn(const Reader&) with a Reader no other thread is using. Returns nullopt when no
  // Reader could be opened (the file went away), with the reason in *error.
  template <class Fn>
  auto with_reader(Fn&& fn, std::string* error)
      -> std::optional<decltype(fn(std::declval<const results::Reader&>()))> {
    std::unique_ptr<results::Reader> reader = acquire(error);
    if (!reader) return std::nullopt;
    auto result = fn(static_cast<const results::Reader&>(*reader));
    release(std::move(reader));
    return result;
  }

 private:
  DataSource() = default;
  std::unique_ptr<results::Reader> acquire(std::string* error);
  void release(std::unique_ptr<results::Reader> reader);

  std::string path_;
  std::vector<results::RunRow> runs_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<results::Reader>> idle_;
};

// One run of one file: what every view shows (and, for comparing, a second one).
struct RunSelection {
  std::shared_ptr<DataSource> source;
  std::int64_t run_id = 0;

  explicit operator bool() const { return source != nullptr; }
  const results::RunRow* run() const { return source ? source->run(run_id) : nullptr; }
  // "FILE.db:RUN" as every meshtwin tool spells a run.
  std::string label() const;
};

}  // namespace meshtwin::gui
