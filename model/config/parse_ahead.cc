#include "model/config/parse_ahead.h"

#include <algorithm>
#include <cstdlib>  // getloadavg
#include <system_error>
#include <utility>

namespace meshtwin::config::yaml {

unsigned parse_helpers_for(std::size_t docs, std::size_t text_bytes, unsigned requested, unsigned hardware_threads,
                           double load_average) {
  if (docs < 2) return 0;
  if (requested > 0) return std::min<unsigned>(requested - 1, 15);
  // Below this a file parses in a few milliseconds: starting a thread is not worth it, and
  // small inputs (every test, every fuzzer input) keep the plain one-thread path.
  constexpr std::size_t kMinBytes = 256 * 1024;
  if (text_bytes < kMinBytes) return 0;
  // Only cores that are idle help. On a busy machine a helper only competes with the other
  // processes while the process pays the multi-threaded costs (atomic reference counts, locked
  // malloc; docs/performance.md): lint on 1,000 services takes 0.30 s of CPU with a helper
  // against 0.24 s without.
  // The load average counts runnable processes, rounded here to whole cores; on 2 cores a
  // helper starts below a load of 1.5 (a run of lint in a loop shows as up to 1 itself).
  if (hardware_threads <= 1) return 0;
  const double idle = static_cast<double>(hardware_threads) + 0.5 - std::max(load_average, 0.0);
  if (idle < 1) return 0;
  // More helpers than this stop paying: the loader applying documents in order is then the
  // bottleneck.
  return std::min({static_cast<unsigned>(idle), hardware_threads - 1, 3u});
}

unsigned parse_helpers_for(std::size_t docs, std::size_t text_bytes, unsigned requested) {
  double load = 0;
  // The 1-minute load average, as `make -l` uses it; unknown counts as busy.
  if (getloadavg(&load, 1) != 1) load = 1e9;
  return parse_helpers_for(docs, text_bytes, requested, std::thread::hardware_concurrency(), load);
}

ParseAhead::ParseAhead(const std::vector<RawDocument>& docs, const std::string& file, unsigned helpers,
                       std::size_t window)
    : docs_(docs), file_(file), window_(std::max<std::size_t>(window, 1)), slots_(docs.size()) {
  for (unsigned h = 0; h < helpers; ++h) {
    try {
      threads_.emplace_back([this] { helper_loop(); });
    } catch (const std::system_error&) {
      break;  // out of threads (e.g. a process limit): parse with those we have
    }
  }
}

ParseAhead::~ParseAhead() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

bool ParseAhead::parse_next(std::unique_lock<std::mutex>& lock, bool helper) {
  if (stop_ || next_ >= slots_.size() || next_ >= taken_ + window_) return false;
  const std::size_t i = next_++;
  lock.unlock();
  Diagnostics diags;
  std::optional<YAML::Node> node;
  try {
    node = parse_document(docs_[i], file_, diags);
  } catch (...) {
    // parse_document turns every std::exception into a diagnostic; anything else would
    // terminate a helper thread, so it becomes the same kind of diagnostic here.
    diags.error(SourceLocation{file_, docs_[i].line_offset + 1, 1}, "", "invalid YAML: unknown error");
  }
  lock.lock();
  slots_[i].node = std::move(node);
  slots_[i].diags = std::move(diags);
  slots_[i].ready = true;
  slots_[i].by_helper = helper;
  changed_.notify_all();
  return true;
}

void ParseAhead::helper_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (!retired_.empty()) {
      // Trees this thread built, freed here: cheaper than the loader freeing them into this
      // thread's malloc arena while this thread allocates from it.
      std::vector<YAML::Node> done;
      done.swap(retired_);
      lock.unlock();
      done.clear();
      lock.lock();
      continue;
    }
    if (stop_) break;
    if (!parse_next(lock, true)) changed_.wait(lock);  // window full or file done: wait
  }
}

void ParseAhead::give_back(std::optional<YAML::Node>& node) {
  if (!node) return;
  if (!last_by_helper_ || threads_.empty()) {
    node.reset();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    retired_.push_back(*node);
    node.reset();  // the retired copy is now the tree's last handle
  }
  changed_.notify_all();
}

std::optional<YAML::Node> ParseAhead::take(std::size_t i, Diagnostics& diags) {
  std::unique_lock<std::mutex> lock(mutex_);
  // In-order taking means document i is always inside the window, so if nobody has claimed
  // it, parse_next claims it here.
  while (!slots_[i].ready) {
    if (!parse_next(lock, false)) changed_.wait(lock);
  }
  last_by_helper_ = slots_[i].by_helper;
  Slot slot = std::move(slots_[i]);
  slots_[i] = Slot{};
  ++taken_;
  lock.unlock();
  changed_.notify_all();  // the window moved: a waiting helper may claim another document
  for (const auto& d : slot.diags.items()) diags.add(d.severity, d.location, d.field_path, d.message);
  return std::move(slot.node);
}

}  // namespace meshtwin::config::yaml
