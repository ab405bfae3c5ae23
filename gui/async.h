// Running a query off the UI thread and handing its result back on it. Every view loads
// through run_async so that a slow file never freezes the window, and so that tests and the
// --screenshot mode can wait until nothing is pending.
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrentRun>
#include <memory>
#include <type_traits>
#include <utility>

namespace meshtwin::gui {

// Queries started and not yet delivered (UI thread only).
int& pending_queries_counter();
inline int pending_queries() { return pending_queries_counter(); }

// Counts one pending query from construction until release() or destruction (the latter when
// the view that asked went away before the answer came).
class PendingToken {
 public:
  PendingToken() { ++pending_queries_counter(); }
  ~PendingToken() { release(); }
  PendingToken(const PendingToken&) = delete;
  PendingToken& operator=(const PendingToken&) = delete;
  void release() {
    if (live_) --pending_queries_counter();
    live_ = false;
  }

 private:
  bool live_ = true;
};

// Runs `work()` on Qt's global thread pool; `done(result)` then runs on `context`'s thread
// (the UI thread), unless `context` was destroyed first. The result type must be copyable.
template <class Work, class Done>
void run_async(QObject* context, Work work, Done done) {
  using Result = std::invoke_result_t<Work>;
  auto* watcher = new QFutureWatcher<Result>(context);
  auto token = std::make_shared<PendingToken>();
  QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                   [watcher, token, done = std::move(done)]() mutable {
                     token->release();
                     done(watcher->result());
                     watcher->deleteLater();
                   });
  watcher->setFuture(QtConcurrent::run(std::move(work)));
}

}  // namespace meshtwin::gui
