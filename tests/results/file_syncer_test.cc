// FileSyncer (results/file_syncer.h): the results writer's syncs behind its commits run on a
// thread of their own, so that the writer thread never waits for the disk.
#include "results/file_syncer.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/results/temp_dir.h"

namespace meshtwin::results {
namespace {

using testing::TempDir;

int open_written_file(const TempDir& dir) {
  const int fd = ::open(dir.file("data").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  const std::string bytes(64 * 1024, 'x');
  EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  return fd;
}

TEST(FileSyncer, SyncsOnAThreadOfItsOwn) {
  TempDir dir;
  const int fd = open_written_file(dir);
  ASSERT_GE(fd, 0);
  FileSyncer syncer;
  EXPECT_TRUE(syncer.request(fd));
  syncer.stop();  // returns only when the sync is done
  const FileSyncer::Done done = syncer.done();
  EXPECT_EQ(done.syncs, 1u);
  EXPECT_EQ(done.failures, 0u);
  EXPECT_NE(done.last_thread, std::this_thread::get_id());
  EXPECT_NE(done.last_thread, std::thread::id{});
  ::close(fd);
}

TEST(FileSyncer, AFailedSyncIsCountedAndTheNextRequestStillRuns) {
  TempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  FileSyncer syncer;
  EXPECT_FALSE(syncer.request(-1));  // no file: nothing starts
  EXPECT_TRUE(syncer.request(pipe_fds[0]));  // a pipe cannot be synced (EINVAL)
  syncer.stop();
  EXPECT_EQ(syncer.done().syncs, 1u);
  EXPECT_EQ(syncer.done().failures, 1u);
  // Stopped, it starts again on the next request.
  const int fd = open_written_file(dir);
  EXPECT_TRUE(syncer.request(fd));
  syncer.stop();
  EXPECT_EQ(syncer.done().syncs, 2u);
  EXPECT_EQ(syncer.done().failures, 1u);
  ::close(fd);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

}  // namespace
}  // namespace meshtwin::results
