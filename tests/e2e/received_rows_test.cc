// End to end into the results file (schema 6): the spans rows say what the upstream app received
// after the route's rewrites and header operations (received_path, received_authority,
// received_headers with `record.headers`), with Istio's httpbin and sleep samples.
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/reader.h"
#include "results/writer.h"

namespace meshtwin {
namespace {

namespace fs = std::filesystem;

const std::string kSamples = std::string(MESHTWIN_SOURCE_DIR) + "/scenarios/istio-tasks/manifests/";

// httpbin serves /anything/…: a VirtualService maps the public /api/ prefix onto it, renames the
// Host and tags the request.
constexpr const char* kVirtualService = R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin]
  http:
  - match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /anything/, authority: httpbin.internal}
    headers: {request: {set: {x-via: mesh}, remove: [x-debug]}}
    route: [{destination: {host: httpbin}}]
  - route: [{destination: {host: httpbin}}]
)";

std::vector<results::Row> run_and_query(const fs::path& dir, const std::string& record, const std::string& sql) {
  fs::create_directories(dir);
  std::ofstream(dir / "vs.yaml") << kVirtualService;
  std::ofstream(dir / "scenario.yaml")
      << "apiVersion: meshtwin.dev/v1alpha1\nkind: Scenario\nmetadata: {name: received}\nspec:\n"
         "  duration: 2s\n"
         "  manifests: [" << kSamples << "httpbin.yaml, " << kSamples << "sleep.yaml, vs.yaml]\n"
      << record <<
         "  apps:\n"
         "    httpbin:\n"
         "      endpoints:\n"
         "        - match: {path: {prefix: /anything/}, headers: {x-via: {exact: mesh}}}\n"
         "          status: 200\n"
         "        - match: {path: {prefix: /}}\n"
         "          status: 404\n"
         "  clients:\n"
         "    - name: api\n"
         "      from: {workload: sleep}\n"
         "      to: \"http://httpbin:8000/api/users/7\"\n"
         "      rate: {constant: 5}\n"
         "      mix: [{headers: {x-debug: \"1\", x-user: jason}}]\n"
         "    - {name: plain, from: {workload: sleep}, to: \"http://httpbin:8000/get\", rate: {constant: 5}}\n";
  config::Diagnostics diags;
  auto spec = scenario::load_scenario((dir / "scenario.yaml").string(), {}, diags);
  for (const auto& d : diags.items())
    if (d.severity == config::Severity::Error) ADD_FAILURE() << d.format();
  if (!spec) return {};
  auto mesh = scenario::Mesh::build(*spec, diags);
  if (!mesh) return {};
  const std::string db = (dir / "out.db").string();
  std::string error;
  {
    auto writer = results::SqliteWriter::open(db, &error);
    EXPECT_TRUE(writer) << error;
    if (!writer) return {};
    mesh->run(*writer);
    EXPECT_TRUE(writer->ok()) << writer->error();
  }
  auto reader = results::Reader::open(db, &error);
  EXPECT_TRUE(reader) << error;
  if (!reader) return {};
  auto rows = reader->query(sql, {}, &error);
  EXPECT_TRUE(rows) << error;
  return rows ? *rows : std::vector<results::Row>{};
}

std::string text(const results::Value& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : "NULL";
}

constexpr const char* kQuery =
    "SELECT r.client, s.received_path, s.received_authority, s.received_headers, r.response_code, count(*) "
    "FROM spans s JOIN requests r USING (run_id, request_id) GROUP BY 1, 2, 3, 4, 5 ORDER BY 1";

TEST(ReceivedRows, SpansHoldTheRewrittenRequestAndTheMentionedHeaders_Sem3_4) {
  const fs::path dir = fs::temp_directory_path() / "meshtwin_received_rows_mentioned";
  fs::remove_all(dir);
  const auto rows = run_and_query(dir, "", kQuery);
  ASSERT_EQ(rows.size(), 2u);  // one kind of row per client: deterministic per request
  EXPECT_EQ(text(rows[0][0]), "api");
  EXPECT_EQ(text(rows[0][1]), "/anything/users/7");
  EXPECT_EQ(text(rows[0][2]), "httpbin.internal");
  // Mentioned: x-debug and x-user (the client), x-via (the endpoint); x-debug was removed.
  EXPECT_EQ(text(rows[0][3]), R"({"x-user":"jason","x-via":"mesh"})");
  EXPECT_EQ(rows[0][4], results::Value{std::int64_t{200}});  // the app matched the rewritten path
  EXPECT_EQ(text(rows[1][0]), "plain");
  EXPECT_EQ(text(rows[1][1]), "/get");
  EXPECT_EQ(text(rows[1][2]), "httpbin:8000");
  EXPECT_EQ(text(rows[1][3]), "{}");
  EXPECT_EQ(rows[1][4], results::Value{std::int64_t{404}});
  fs::remove_all(dir);
}

TEST(ReceivedRows, RecordHeadersNoneLeavesTheColumnNull) {
  const fs::path dir = fs::temp_directory_path() / "meshtwin_received_rows_none";
  fs::remove_all(dir);
  const auto rows = run_and_query(dir, "  record: {headers: none}\n", kQuery);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(text(rows[0][1]), "/anything/users/7");
  EXPECT_EQ(text(rows[0][3]), "NULL");
  EXPECT_EQ(text(rows[1][3]), "NULL");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace meshtwin
