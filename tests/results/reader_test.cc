#include "results/reader.h"

#include <gtest/gtest.h>

#include "results/writer.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using testing::TempDir;

TEST(RunRef, ParsesFileAndRun) {
  auto a = parse_run_ref("out.db:3");
  EXPECT_EQ(a.path, "out.db");
  EXPECT_EQ(a.run, std::optional<std::int64_t>(3));
  auto b = parse_run_ref("out.db");
  EXPECT_EQ(b.path, "out.db");
  EXPECT_FALSE(b.run.has_value());
  auto c = parse_run_ref("dir:x/out.db");  // not digits after the colon: all path
  EXPECT_EQ(c.path, "dir:x/out.db");
  EXPECT_FALSE(c.run.has_value());
  auto d = parse_run_ref("results/a:b.db:12");
  EXPECT_EQ(d.path, "results/a:b.db");
  EXPECT_EQ(d.run, std::optional<std::int64_t>(12));
  auto e = parse_run_ref("out.db:");
  EXPECT_EQ(e.path, "out.db:");
  EXPECT_FALSE(e.run.has_value());
}

void write_runs(const std::string& path, int n) {
  std::string error;
  auto w = SqliteWriter::open(path, &error);
  ASSERT_TRUE(w) << error;
  for (int i = 0; i < n; ++i) {
    telemetry::RunInfo info;
    info.scenario = "run" + std::to_string(i + 1);
    w->begin_run(info);
    w->end_run({});
  }
}

TEST(Reader, MissingRunGivesASentence) {
  TempDir dir;
  std::string path = dir.file("x.db");
  write_runs(path, 2);
  std::string error;
  auto opened = open_run(path + ":9", &error);
  EXPECT_FALSE(opened.has_value());
  EXPECT_NE(error.find("has no run 9"), std::string::npos) << error;
  EXPECT_NE(error.find("1, 2"), std::string::npos) << error;
  EXPECT_NE(error.find(path), std::string::npos) << error;

  auto latest = open_run(path, &error);
  ASSERT_TRUE(latest.has_value()) << error;
  EXPECT_EQ(latest->run_id, 2);
  auto first = open_run(path + ":1", &error);
  ASSERT_TRUE(first.has_value()) << error;
  EXPECT_EQ(first->run_id, 1);
  EXPECT_EQ(first->reader->run(1)->scenario, "run1");
  EXPECT_FALSE(first->reader->run(5).has_value());
}

TEST(Reader, EmptyFileAndMissingFile) {
  TempDir dir;
  std::string path = dir.file("empty.db");
  write_runs(path, 0);
  std::string error;
  EXPECT_FALSE(open_run(path, &error).has_value());
  EXPECT_NE(error.find("holds no runs"), std::string::npos) << error;
  EXPECT_FALSE(open_run(dir.file("nope.db"), &error).has_value());
  EXPECT_NE(error.find("does not exist"), std::string::npos) << error;
}

TEST(Reader, QueryIsReadOnly) {
  TempDir dir;
  std::string path = dir.file("ro.db");
  write_runs(path, 1);
  std::string error;
  auto r = Reader::open(path, &error);
  ASSERT_TRUE(r) << error;
  EXPECT_FALSE(r->query("DELETE FROM run_rows", {}, &error).has_value());
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(r->query("SELECT nonsense FROM", {}, &error).has_value());
  auto rows = r->query("SELECT count(*) FROM runs", {}, &error);
  ASSERT_TRUE(rows.has_value()) << error;
  EXPECT_EQ(std::get<std::int64_t>((*rows)[0][0]), 1);
  EXPECT_EQ(r->runs().size(), 1u);
}

TEST(Reader, QueryEachStreamsAndStops) {
  TempDir dir;
  std::string path = dir.file("each.db");
  write_runs(path, 3);
  std::string error;
  auto r = Reader::open(path, &error);
  ASSERT_TRUE(r) << error;
  std::vector<std::int64_t> seen;
  EXPECT_TRUE(r->query_each("SELECT run_id FROM runs WHERE run_id >= ? ORDER BY run_id", {Value{2}},
                            [&](const Row& row) {
                              seen.push_back(std::get<std::int64_t>(row[0]));
                              return true;
                            },
                            &error))
      << error;
  EXPECT_EQ(seen, (std::vector<std::int64_t>{2, 3}));
  int calls = 0;
  EXPECT_TRUE(r->query_each("SELECT run_id FROM runs", {}, [&](const Row&) { return ++calls < 1; }));
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(r->query_each("SELECT * FROM no_such_table", {}, [](const Row&) { return true; },
                             &error));
  EXPECT_NE(error.find("no_such_table"), std::string::npos) << error;
}

}  // namespace
}  // namespace meshtwin::results
