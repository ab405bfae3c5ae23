// Flushes a file's data to disk (fdatasync) on a thread of its own, so that whoever asks never
// waits for the disk.
//
// Why: the results writer syncs a run's file behind its commits (writer.cc, sync_behind), ~1 MB
// at a time, so that the run's last, durable commit has little left to flush. On the writer
// thread each of those syncs took ~1 ms per MB (the VM host's flush), 10-17 ms of a
// 1,000-service metrics-only run, and the writer thread is that run's bottleneck whenever the
// simulation runs fast: whatever it has not written when the simulation ends, the simulation
// waits for (docs/performance.md, "Sitting of 2026-12-05, 02:45"). A sync of data already
// written changes when rows are on disk, never what a reader sees or what a crash can lose.
//
// One sync at a time: a request while one runs is dropped (the next request catches up, and a
// durable commit syncs whatever is left). The thread starts on the first request.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace meshtwin::results {

class FileSyncer {
 public:
  FileSyncer() = default;
  FileSyncer(const FileSyncer&) = delete;
  FileSyncer& operator=(const FileSyncer&) = delete;
  ~FileSyncer() { stop(); }

  // Starts an fdatasync of `fd` and returns at once; false, and nothing starts, while one runs.
  // `fd` must stay open until the sync is done: stop() before closing it.
  bool request(int fd);
  // Returns when no sync runs; the thread ends (a later request starts it again).
  void stop();

  // What the syncs did so far (tests): finished ones, failed ones among them, and the thread
  // that made the last.
  struct Done {
    std::uint64_t syncs = 0;
    std::uint64_t failures = 0;
    std::thread::id last_thread;
  };
  Done done() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::thread thread_;
  int pending_fd_ = -1;  // the request the thread has not taken yet
  bool busy_ = false;    // a request taken and not finished
  bool stopping_ = false;
  Done done_;
};

}  // namespace meshtwin::results
