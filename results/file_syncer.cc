#include "results/file_syncer.h"

#include <unistd.h>

namespace meshtwin::results {

bool FileSyncer::request(int fd) {
  std::unique_lock lock(mutex_);
  if (busy_ || pending_fd_ >= 0 || fd < 0) return false;
  pending_fd_ = fd;
  busy_ = true;
  if (!thread_.joinable()) {
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
  }
  lock.unlock();
  wake_.notify_one();
  return true;
}

void FileSyncer::stop() {
  std::unique_lock lock(mutex_);
  if (!thread_.joinable()) return;
  idle_.wait(lock, [this] { return !busy_; });
  stopping_ = true;
  lock.unlock();
  wake_.notify_one();
  thread_.join();
}

FileSyncer::Done FileSyncer::done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

void FileSyncer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || pending_fd_ >= 0; });
    if (pending_fd_ < 0) return;  // stopping, nothing asked
    const int fd = pending_fd_;
    pending_fd_ = -1;
    lock.unlock();
    const bool ok = ::fdatasync(fd) == 0;
    lock.lock();
    ++done_.syncs;
    if (!ok) ++done_.failures;
    done_.last_thread = std::this_thread::get_id();
    busy_ = false;
    idle_.notify_all();
  }
}

}  // namespace meshtwin::results
