// Schema 6 (docs/results-schema.md): what the upstream app received (spans.received_path,
// received_authority, received_headers), the Location of 3xx responses (spans.location,
// requests.location) and requests.redirect_of; NULL when not filled; the migration 5 -> 6 and
// readers of version-5 files.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "results/reader.h"
#include "results/request_rows.h"
#include "results/writer.h"
#include "schema_6_metrics.h"
#include "temp_dir.h"

namespace meshtwin::results {
namespace {

using namespace meshtwin::telemetry;
using testing::TempDir;

RunInfo run_info(std::string scenario) {
  RunInfo info;
  info.scenario = std::move(scenario);
  info.seed = 1;
  info.duration = engine::kSecond;
  info.meshtwin_version = "0.1.0-test";
  return info;
}

RequestRecord request(std::uint64_t id) {
  RequestRecord r;
  r.request_id = id;
  r.client = "curl";
  r.method = "GET";
  r.authority = "httpbin:8000";
  r.path = "/api/users/7";
  r.response_code = 200;
  r.attempts = 1;
  return r;
}

SpanRecord span(std::uint64_t request_id, std::uint64_t span_id) {
  SpanRecord s;
  s.request_id = request_id;
  s.span_id = span_id;
  s.source_workload = "curl";
  s.destination_service = "httpbin.default.svc.cluster.local";
  s.response_code = 200;
  s.reached_upstream = true;
  return s;
}

std::vector<Row> q(const Reader& r, const std::string& sql) {
  std::string error;
  auto rows = r.query(sql, {}, &error);
  EXPECT_TRUE(rows) << error;
  return rows ? *rows : std::vector<Row>{};
}

Value text(const char* s) { return std::string(s); }

// Run 1's rows through Reader::for_each_request.
std::vector<RequestRow> request_rows(const Reader& reader) {
  std::vector<RequestRow> rows;
  reader.for_each_request(1, [&rows](const RequestRow& r) {
    rows.push_back(r);
    return true;
  });
  return rows;
}

// Writes two requests: one redirected (301 with a Location), one that followed it, with views
// into one buffer that is overwritten between the records, as the model reuses its buffers.
void write_run(const std::string& path, bool background, std::string scenario = "v6") {
  WriterOptions options;
  options.background = background;
  std::string error;
  auto w = SqliteWriter::open(path, &error, options);
  ASSERT_TRUE(w) << error;
  w->begin_run(run_info(std::move(scenario)));
  std::string buffer = "/v2/users/7";
  std::string headers = R"({"x-user":"jason"})";
  std::string location = "https://httpbin.example.com/v2/users/7";
  {
    SpanRecord s = span(1, 1);
    s.response_code = 301;
    s.received_path = buffer;
    s.received_authority = "httpbin.example.com";
    s.received_headers = headers;
    s.location = location;
    w->on_span(s);
    RequestRecord r = request(1);
    r.response_code = 301;
    r.location = location;
    w->on_request(r);
  }
  buffer = "/get";  // same buffer, new text
  headers = "{}";
  location.clear();
  {
    SpanRecord s = span(2, 2);
    s.received_path = buffer;
    s.received_authority = "httpbin:8000";
    s.received_headers = headers;
    w->on_span(s);
    w->on_span(span(2, 3));  // nothing recorded: NULLs
    RequestRecord r = request(2);
    r.redirect_of = 1;
    w->on_request(r);
  }
  w->end_run({});
  ASSERT_TRUE(w->ok()) << w->error();
}

class SchemaV6 : public ::testing::TestWithParam<bool> {};

TEST_P(SchemaV6, StoresWhatTheAppReceivedAndRedirects) {
  TempDir dir;
  const std::string path = dir.file("v6.db");
  write_run(path, GetParam());
  std::string error;
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->schema_version(), kSchemaVersion);
  auto spans = q(*reader, "SELECT span_id, received_path, received_authority, received_headers, location "
                          "FROM spans ORDER BY span_id");
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0], (Row{std::int64_t{1}, text("/v2/users/7"), text("httpbin.example.com"),
                           text(R"({"x-user":"jason"})"), text("https://httpbin.example.com/v2/users/7")}));
  EXPECT_EQ(spans[1], (Row{std::int64_t{2}, text("/get"), text("httpbin:8000"), text("{}"), Value{}}));
  EXPECT_EQ(spans[2], (Row{std::int64_t{3}, Value{}, Value{}, Value{}, Value{}}));
  auto requests = q(*reader, "SELECT request_id, location, redirect_of FROM requests ORDER BY request_id");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0], (Row{std::int64_t{1}, text("https://httpbin.example.com/v2/users/7"), Value{}}));
  EXPECT_EQ(requests[1], (Row{std::int64_t{2}, Value{}, std::int64_t{1}}));
  const std::vector<RequestRow> rows = request_rows(*reader);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].location, "https://httpbin.example.com/v2/users/7");
  EXPECT_EQ(rows[1].redirect_of, 1u);
  // `trace` compares the records with the stored rows, the new columns included.
  RequestRows stored = read_request_rows(*reader, 1, 1);
  ASSERT_TRUE(stored.request);
  EXPECT_EQ(stored.request->size(), request_columns().size());
  ASSERT_EQ(stored.spans.size(), 1u);
  EXPECT_EQ(stored.spans[0].size(), span_columns().size());
}

INSTANTIATE_TEST_SUITE_P(WriterThread, SchemaV6, ::testing::Bool());

// A batch copies each replication's part file column by column: the new text columns are
// `strings` ids there, translated into the target's dictionary.
TEST(SchemaV6Batch, ReplicationsKeepTheNewColumns) {
  TempDir dir;
  write_run(dir.file("part.db"), false);
  const std::string path = dir.file("batch.db");
  std::string error;
  {
    auto w = SqliteWriter::open(path, &error);
    ASSERT_TRUE(w) << error;
    w->begin_run(run_info("first"));  // puts other strings first, so the ids differ
    RequestRecord r = request(1);
    r.path = "/other";
    r.location = "http://elsewhere/";
    w->on_request(r);
    w->end_run({});
    BatchInfo b;
    b.scenario = "v6";
    b.replications = 1;
    const auto batch = w->begin_batch(b);
    ASSERT_GT(batch, 0) << w->error();
    EXPECT_EQ(w->append_run(dir.file("part.db"), batch, 0), 2);
    w->end_batch(batch, "complete", 1, 0);
    ASSERT_TRUE(w->ok()) << w->error();
  }
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  auto spans = q(*reader, "SELECT received_path, received_headers, location FROM spans WHERE run_id = 2 "
                          "ORDER BY span_id LIMIT 1");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0], (Row{text("/v2/users/7"), text(R"({"x-user":"jason"})"),
                           text("https://httpbin.example.com/v2/users/7")}));
  auto requests = q(*reader, "SELECT location, redirect_of FROM requests WHERE run_id = 2 ORDER BY request_id");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1], (Row{Value{}, std::int64_t{1}}));
}

// A version-5 file (written before these columns) is read as it is, and the next writer that
// appends to it adds only the missing columns: old rows read NULL, new rows their values.
TEST(SchemaV6Migration, ReadsAndUpgradesVersion5) {
  TempDir dir;
  const std::string path = dir.file("v5.db");
  write_run(path, false, "old");
  {
    // Turn it into what version 5 wrote: the tables and views without the new columns.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* sql =
        "DROP VIEW requests; DROP VIEW spans;"
        "ALTER TABLE request_rows DROP COLUMN location; ALTER TABLE request_rows DROP COLUMN redirect_of;"
        "ALTER TABLE span_rows DROP COLUMN received_path; ALTER TABLE span_rows DROP COLUMN received_authority;"
        "ALTER TABLE span_rows DROP COLUMN received_headers; ALTER TABLE span_rows DROP COLUMN location;"
        "CREATE VIEW requests AS SELECT r.run_id, r.request_id, (SELECT value FROM strings WHERE id = r.client) "
        "AS client, r.start_ns, r.duration_ns, (SELECT value FROM strings WHERE id = r.method) AS method, "
        "(SELECT value FROM strings WHERE id = r.authority) AS authority, (SELECT value FROM strings WHERE id = "
        "r.path) AS path, r.response_code, (SELECT value FROM strings WHERE id = r.response_flags) AS "
        "response_flags, r.attempts, (SELECT value FROM strings WHERE id = r.route_name) AS route_name, "
        "(SELECT value FROM strings WHERE id = r.vs_rule) AS vs_rule, (SELECT value FROM strings WHERE id = "
        "r.destination_service) AS destination_service, (SELECT value FROM strings WHERE id = "
        "r.destination_version) AS destination_version, (SELECT value FROM strings WHERE id = "
        "r.destination_workload) AS destination_workload, r.degraded_calls, (SELECT value FROM strings WHERE "
        "id = r.sim_outcome) AS sim_outcome FROM request_rows r;"
        "CREATE VIEW spans AS SELECT s.run_id, s.request_id, s.span_id FROM span_rows s;"
        "PRAGMA user_version = 5;";
    ASSERT_EQ(testing::metrics_as_schema_6(db), "");
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::string error;
  {
    auto reader = Reader::open(path, &error);
    ASSERT_TRUE(reader) << error;
    EXPECT_EQ(reader->schema_version(), 5);
    const std::vector<RequestRow> rows = request_rows(*reader);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].path, "/api/users/7");
    EXPECT_EQ(rows[0].location, "");  // no such column yet
    EXPECT_EQ(rows[1].redirect_of, 0u);
    const RequestRows stored = read_request_rows(*reader, 1, 1);
    ASSERT_TRUE(stored.request);
    EXPECT_EQ(stored.request->size(), request_column_count(5));
    EXPECT_EQ(request_column_count(5) + 2, request_columns().size());
    // A version-5 file is compared on its columns only (a prefix of the records' rows).
    RequestRows resimulated{request_row([] {
                              RequestRecord r = request(1);
                              r.location = "https://httpbin.example.com/v2/users/7";
                              r.response_code = 301;
                              return r;
                            }()),
                            {}};
    RequestRows stored_request_only{stored.request, {}};
    EXPECT_EQ(first_difference(stored_request_only, resimulated), std::nullopt);
  }
  write_run(path, true, "new");
  auto reader = Reader::open(path, &error);
  ASSERT_TRUE(reader) << error;
  EXPECT_EQ(reader->schema_version(), kSchemaVersion);
  auto rows = q(*reader, "SELECT run_id, received_path, location FROM spans WHERE span_id = 1 ORDER BY run_id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (Row{std::int64_t{1}, Value{}, Value{}}));  // written before the columns
  EXPECT_EQ(rows[1], (Row{std::int64_t{2}, text("/v2/users/7"), text("https://httpbin.example.com/v2/users/7")}));
  auto requests = q(*reader, "SELECT run_id, redirect_of FROM requests WHERE request_id = 2 ORDER BY run_id");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0][1], Value{});
  EXPECT_EQ(requests[1][1], Value{std::int64_t{1}});
  // The other views survived the step.
  EXPECT_EQ(q(*reader, "SELECT count(*) FROM runs")[0][0], Value{std::int64_t{2}});
}

}  // namespace
}  // namespace meshtwin::results
