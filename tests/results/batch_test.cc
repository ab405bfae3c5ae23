// Batches of replications in results/ (issue 12): the Student t interval, verdicts over an
// interval, copying part files into a batch, the warm-up, and the migration from version 4.
#include "results/batch.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>

#include "engine/rng.h"
#include "results/writer.h"
#include "schema_6_metrics.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;
constexpr engine::SimDuration kMs = engine::kMillisecond;
constexpr engine::SimDuration kS = engine::kSecond;

TEST(StudentT, QuantilesMatchTables) {
  // Two-sided 95 % critical values from any t table.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.7764, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.2622, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 1000), 1.9623, 1e-4);
}

TEST(StudentT, IntervalOfReplicationValues) {
  const Interval i = t_interval({1, 2, 3, 4, 5});
  EXPECT_EQ(i.n, 5);
  EXPECT_DOUBLE_EQ(i.mean, 3);
  EXPECT_NEAR(i.stddev, std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(i.half_width, 2.776445 * std::sqrt(2.5) / std::sqrt(5.0), 1e-5);
  EXPECT_NEAR(i.lo, 3 - i.half_width, 1e-12);
  EXPECT_DOUBLE_EQ(i.min, 1);
  EXPECT_DOUBLE_EQ(i.max, 5);
  // A higher confidence is a wider interval.
  EXPECT_GT(t_interval({1, 2, 3, 4, 5}, 0.99).half_width, i.half_width);
  // One value: a mean, no interval.
  const Interval one = t_interval({7});
  EXPECT_FALSE(one.has_interval());
  EXPECT_DOUBLE_EQ(one.lo, 7);
  EXPECT_EQ(t_interval({}).n, 0);
}

Interval around(double lo, double hi) {
  Interval i;
  i.n = 5;
  i.lo = lo;
  i.hi = hi;
  i.mean = (lo + hi) / 2;
  i.half_width = (hi - lo) / 2;
  return i;
}

TEST(Verdict, WholeIntervalOnOneSide) {
  EXPECT_EQ(decide(around(0.1, 0.2), "<", 0.3), Verdict::Pass);
  EXPECT_EQ(decide(around(0.1, 0.4), "<", 0.3), Verdict::Inconclusive);
  EXPECT_EQ(decide(around(0.35, 0.4), "<", 0.3), Verdict::Fail);
  EXPECT_EQ(decide(around(0.3, 0.4), "<", 0.3), Verdict::Fail);  // the bound itself is on the bad side
  EXPECT_EQ(decide(around(0.3, 0.4), "<=", 0.4), Verdict::Pass);
  EXPECT_EQ(decide(around(0.991, 0.999), ">=", 0.99), Verdict::Pass);
  EXPECT_EQ(decide(around(0.985, 0.995), ">=", 0.99), Verdict::Inconclusive);
  EXPECT_EQ(decide(around(0.95, 0.98), ">=", 0.99), Verdict::Fail);
  EXPECT_EQ(decide(around(0.95, 0.98), ">", 0.94), Verdict::Pass);
  // == passes only for an interval of no width at the bound; fails when the bound is outside.
  EXPECT_EQ(decide(around(0, 0), "==", 0), Verdict::Pass);
  EXPECT_EQ(decide(around(1, 3), "==", 2), Verdict::Inconclusive);
  EXPECT_EQ(decide(around(1, 3), "==", 5), Verdict::Fail);
  EXPECT_EQ(decide(around(1, 3), "!=", 5), Verdict::Pass);
  // Nothing measured fails, as for one run; one value cannot be decided.
  EXPECT_EQ(decide(Interval{}, "<", 1), Verdict::Fail);
  Interval one = around(2, 2);
  one.n = 1;
  EXPECT_EQ(decide(one, "<", 5), Verdict::Inconclusive);
}

AssertionResult observed(double value) {
  AssertionResult r;
  r.name = "p99";
  ConditionResult c;
  c.condition = {"p99", "<", 300e6, "< 300ms"};
  c.expected_text = "p99 < 300ms";
  c.observed = value;
  r.conditions.push_back(c);
  return r;
}

TEST(Verdict, BatchOfReplications) {
  // Replications around 290ms with a spread that reaches past 300ms: not decided.
  std::vector<std::vector<AssertionResult>> per_run;
  for (double v : {270e6, 310e6, 285e6, 300e6, 280e6}) per_run.push_back({observed(v)});
  auto decided = decide_batch(per_run, 0.95);
  ASSERT_EQ(decided.size(), 1u);
  ASSERT_EQ(decided[0].conditions.size(), 1u);
  EXPECT_EQ(decided[0].conditions[0].verdict, Verdict::Inconclusive);
  EXPECT_EQ(decided[0].conditions[0].interval.n, 5);
  EXPECT_EQ(summarize(decided).inconclusive, 1u);
  // Tight around 250ms: passes.
  per_run.clear();
  for (double v : {249e6, 251e6, 250e6, 252e6, 248e6}) per_run.push_back({observed(v)});
  EXPECT_EQ(decide_batch(per_run, 0.95)[0].conditions[0].verdict, Verdict::Pass);
  // A replication that measured nothing is counted, not averaged in.
  per_run.push_back({observed(0)});
  per_run.back()[0].conditions[0].observed.reset();
  per_run.back()[0].problem = "no client request started";
  auto with_gap = decide_batch(per_run, 0.95);
  EXPECT_EQ(with_gap[0].conditions[0].unmeasured, 1);
  EXPECT_EQ(with_gap[0].conditions[0].interval.n, 5);
  EXPECT_EQ(with_gap[0].problem, "no client request started");
}

TEST(ReplicationSeed, ZeroIsTheSeedOthersAreMixed) {
  EXPECT_EQ(engine::replication_seed(42, 0), 42u);
  EXPECT_NE(engine::replication_seed(42, 1), 43u);
  EXPECT_NE(engine::replication_seed(42, 1), engine::replication_seed(43, 1));
  EXPECT_NE(engine::replication_seed(42, 1), engine::replication_seed(42, 2));
  // Neighbouring batches share no replication seed.
  for (std::uint64_t r = 1; r < 50; ++r)
    for (std::uint64_t s = 1; s < 50; ++s) EXPECT_NE(engine::replication_seed(42, r), engine::replication_seed(43, s));
}

RequestRecord request(std::uint64_t id, SimTime start, engine::SimDuration duration, std::string_view client, std::string_view version) {
  RequestRecord r;
  r.request_id = id;
  r.client = client;
  r.start = start;
  r.duration = duration;
  r.method = "GET";
  r.authority = "a";
  r.path = "/";
  r.response_code = 200;
  r.attempts = 1;
  r.route_name = "-";
  r.vs_rule = "-";
  r.destination_service = "reviews.default.svc.cluster.local";
  r.destination_version = version;
  r.destination_workload = "reviews";
  return r;
}

RunInfo info(std::uint64_t seed) {
  RunInfo i;
  i.scenario = "unit";
  i.seed = seed;
  i.duration = 10 * kS;
  i.meshtwin_version = "test";
  i.metrics_interval = kS;
  return i;
}

// A part file holding one run whose strings are interned in an order of its own.
void write_part(const std::string& path, std::uint64_t seed, std::string_view client, std::string_view version,
                int requests, SimTime warmup = engine::SimTime{}) {
  std::string error;
  WriterOptions options;
  options.scratch = true;
  options.warmup = warmup.ns();
  auto w = SqliteWriter::open(path, &error, options);
  ASSERT_TRUE(w) << error;
  w->begin_run(info(seed));
  for (int i = 1; i <= requests; ++i) {
    w->on_request(request(i, engine::SimTime{} + i * 100 * kMs, i * kMs, client, version));
    // A hop with Istio's peer labels: its label strings must survive the copy too.
    HopRecord h;
    h.start = engine::SimTime{} + i * 100 * kMs;
    h.duration = i * kMs;
    h.source_workload = client;
    h.destination_service = "reviews.default.svc.cluster.local";
    h.destination_workload = "reviews";
    h.destination_version = version;
    h.destination_pod = "reviews-0";
    h.response_code = 200;
    h.peers.source_app = client;
    h.peers.destination_app = "reviews";
    h.peers.request_protocol = "http";
    w->on_hop(h);
  }
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
}

TEST(Batches, PartFilesAreCopiedInReplicationOrderWithTheirStrings) {
  TempDir dir;
  const std::string target = dir.file("t.db");
  write_part(dir.file("p0.db"), engine::SimTime::from_ns((42)).ns(), "users", "v1", 3);
  write_part(dir.file("p1.db"), engine::SimTime::from_ns((7)).ns(), "bots", "v2", 5);
  std::string error;
  {
    auto w = SqliteWriter::open(target, &error);
    ASSERT_TRUE(w) << error;
    // A plain run first, so the batch's string and run ids do not start at 1.
    w->begin_run(info(1));
    w->on_request(request(1, SimTime{}, kMs, "first", "v9"));
    w->end_run({});
    BatchInfo b;
    b.scenario = "unit";
    b.seed = 42;
    b.replications = 2;
    b.meshtwin_version = "test";
    const auto batch = w->begin_batch(b);
    ASSERT_EQ(batch, 1);
    EXPECT_EQ(w->append_run(dir.file("p0.db"), batch, 0), 2);
    EXPECT_EQ(w->append_run(dir.file("p1.db"), batch, 1), 3);
    w->end_batch(batch, "complete", 2, 1.5);
    ASSERT_TRUE(w->ok()) << w->error();
  }
  auto reader = Reader::open(target, &error);
  ASSERT_TRUE(reader) << error;
  const auto runs = reader->batch_runs(1);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, 2);
  EXPECT_EQ(runs[0].replication, 0);
  EXPECT_EQ(runs[1].seed, 7u);
  EXPECT_EQ(*runs[1].batch_id, 1);
  EXPECT_FALSE(reader->run(1)->batch_id.has_value());
  // Through the views: every string reads back as the part wrote it.
  auto rows = reader->query("SELECT run_id, client, destination_version, count(*) FROM requests GROUP BY 1, 2, 3 ORDER BY 1");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1], (Row{std::int64_t{2}, std::string("users"), std::string("v1"), std::int64_t{3}}));
  EXPECT_EQ((*rows)[2], (Row{std::int64_t{3}, std::string("bots"), std::string("v2"), std::int64_t{5}}));
  EXPECT_EQ(reader->summaries(3).size(), 1u);
  auto peers = reader->query("SELECT DISTINCT source_app, destination_app, request_protocol FROM metrics WHERE run_id = 3");
  ASSERT_TRUE(peers);
  ASSERT_EQ(peers->size(), 1u);
  EXPECT_EQ((*peers)[0], (Row{std::string("bots"), std::string("reviews"), std::string("http")}));
  auto batch = reader->batch(1);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->status, "complete");
  EXPECT_EQ(batch->replications, 2);
  // Addressing: FILE.db:b1 is the batch, FILE.db:1 a run; open_run refuses a batch.
  auto ref = parse_run_ref(target + ":b1");
  EXPECT_EQ(ref.path, target);
  EXPECT_EQ(*ref.batch, 1);
  EXPECT_FALSE(ref.run);
  auto opened = open_ref(target + ":b1", &error);
  ASSERT_TRUE(opened) << error;
  EXPECT_EQ(opened->runs.size(), 2u);
  EXPECT_FALSE(open_run(target + ":b1", &error));
  EXPECT_NE(error.find("not a batch"), std::string::npos);
  EXPECT_FALSE(open_ref(target + ":b2", &error));
  EXPECT_NE(error.find("its batches are b1"), std::string::npos);
  // The batch report: one figure per replication, the interval over them.
  auto data = compute_batch_report(*reader, *batch, opened->runs, &error);
  ASSERT_TRUE(data) << error;
  ASSERT_FALSE(data->clients.empty());
  EXPECT_EQ(data->clients[0].name, "requests");
  EXPECT_EQ(data->clients[0].values, (std::vector<double>{3, 5}));
  EXPECT_DOUBLE_EQ(data->clients[0].interval.mean, 4);
  EXPECT_NE(format_batch_report(*data).find("requests"), std::string::npos);
}

TEST(Batches, WarmupIsLeftOutOfSummariesAndReports) {
  TempDir dir;
  const std::string path = dir.file("w.db");
  // Requests start every 100ms from 100ms; a 550ms warm-up leaves out the first five.
  write_part(path, 1, "users", "v1", 10, engine::SimTime{} + 550 * kMs);
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->run(1)->warmup, (550 * kMs).ns());
  EXPECT_EQ(reader->count_rows("requests", 1), 10u);  // rows are all written
  ASSERT_EQ(reader->summaries(1).size(), 1u);
  EXPECT_EQ(reader->summaries(1)[0].requests, 5u);
  auto report = compute_report(*reader, 1, &error);
  ASSERT_TRUE(report) << error;
  ASSERT_TRUE(report->clients);
  EXPECT_EQ(report->clients->count, 5u);
  EXPECT_EQ(report->clients->min, (6 * kMs).ns());
  // Assertions' windows start at the warm-up too.
  Assertion a;
  a.name = "count";
  a.expect.push_back({"count", "==", 5, "== 5"});
  auto evaluated = evaluate_assertions(*reader, 1, {a});
  ASSERT_EQ(evaluated.size(), 1u);
  EXPECT_TRUE(evaluated[0].pass()) << evaluated[0].conditions[0].observed_text;
}

// A file of schema version 4 (before batches) is read as it is (no batches) and upgraded in place
// by the next writer, its runs staying single runs. (Older versions go through every step to 4
// first: writer_test.cc.)
TEST(Batches, MigratesSchemaVersion4) {
  TempDir dir;
  const std::string path = dir.file("v4.db");
  write_part(path, engine::SimTime::from_ns((5)).ns(), "users", "v1", 2);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(testing::metrics_as_schema_6(db), "");
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP VIEW runs; DROP INDEX run_rows_by_batch; DROP TABLE batches; "
                           "DROP INDEX sweep_points_by_sweep; DROP TABLE sweep_points; DROP TABLE sweeps; "
                           "ALTER TABLE run_rows DROP COLUMN batch_id; ALTER TABLE run_rows DROP COLUMN replication; "
                           "ALTER TABLE run_rows DROP COLUMN warmup_ns; "
                           "CREATE VIEW runs AS SELECT run_id, scenario, seed, sim_duration_ns, wall_seconds, "
                           "meshtwin_version, status, error FROM run_rows; PRAGMA user_version = 4;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::string error;
  {
    auto reader = Reader::open(path, &error);
    ASSERT_TRUE(reader) << error;
    EXPECT_EQ(reader->runs().size(), 1u);
    EXPECT_TRUE(reader->batches().empty());
    EXPECT_FALSE(open_ref(path + ":b1", &error));
    EXPECT_NE(error.find("holds no batches"), std::string::npos);
  }
  write_part(dir.file("p.db"), engine::SimTime::from_ns((9)).ns(), "users", "v1", 1);
  {
    auto w = SqliteWriter::open(path, &error);
    ASSERT_TRUE(w) << error;
    BatchInfo b;
    b.scenario = "unit";
    b.replications = 1;
    const auto batch = w->begin_batch(b);
    ASSERT_GT(batch, 0) << w->error();
    EXPECT_EQ(w->append_run(dir.file("p.db"), batch, 0), 2);
    w->end_batch(batch, "complete", 1, 0);
    ASSERT_TRUE(w->ok()) << w->error();
  }
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto v = reader->query("PRAGMA user_version");
  ASSERT_TRUE(v);
  EXPECT_EQ((*v)[0][0], Value{std::int64_t{kSchemaVersion}});
  auto runs = reader->query("SELECT run_id, batch_id, replication, warmup_ns FROM runs ORDER BY run_id");
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0], (Row{std::int64_t{1}, std::monostate{}, std::monostate{}, std::int64_t{0}}));
  EXPECT_EQ((*runs)[1], (Row{std::int64_t{2}, std::int64_t{1}, std::int64_t{0}, std::int64_t{0}}));
}

}  // namespace
}  // namespace meshtwin::results
