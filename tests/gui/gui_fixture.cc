#include "gui_fixture.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "model/scenario/mesh.h"
#include "model/scenario/scenario_spec.h"
#include "results/writer.h"

namespace meshtwin::gui::testing {

namespace {

namespace fs = std::filesystem;

constexpr const char* kRetryManifests = R"(
apiVersion: v1
kind: Service
metadata: {name: back}
spec:
  selector: {app: back}
  ports: [{name: http, port: 9090}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: back-v1}
spec:
  replicas: 2
  selector: {matchLabels: {app: back, version: v1}}
  template:
    metadata: {labels: {app: back, version: v1}}
    spec: {containers: [{name: back, image: x, ports: [{containerPort: 9090}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: back}
spec:
  hosts: [back]
  http:
  - route: [{destination: {host: back}}]
    retries: {attempts: 3, retryOn: 5xx}
)";

constexpr const char* kRetryScenario = R"(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: flaky-back-with-retries}
spec:
  seed: 7
  duration: 10s
  manifests: [mesh.yaml]
  apps:
    back-v1:
      serviceTime: 2ms
      failures: [{rate: 0.5, kind: status, status: 503}]
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/items", rate: {constant: 50}}
  record: {requests: all, spans: 1.0, metricsInterval: 1s}
)";

constexpr const char* kPodScenario = R"(apiVersion: meshtwin.dev/v1alpha1
kind: Scenario
metadata: {name: twelve-pods-some-404}
spec:
  seed: 11
  duration: 10s
  manifests: [pods-mesh.yaml]
  apps:
    back-v1:
      serviceTime: 3ms
      failures: [{rate: 0.2, kind: status, status: 404}]
  clients:
    - {name: c, from: {workload: client}, to: "http://back:9090/", rate: {constant: 240}}
  record: {requests: all, spans: 0, metricsInterval: 1s}
)";

// Simulates `scenario` (with --set style overrides) into `db`, appending a run.
bool simulate(const std::string& scenario, const std::vector<std::string>& overrides,
              const std::string& db, std::string* error) {
  config::Diagnostics diags;
  auto spec = scenario::load_scenario(scenario, overrides, diags);
  auto describe = [&] {
    std::string out;
    for (const auto& d : diags.items()) out += d.format() + "\n";
    return out;
  };
  if (!spec) {
    *error = "cannot load " + scenario + ":\n" + describe();
    return false;
  }
  auto mesh = scenario::Mesh::build(*spec, diags);
  if (!mesh) {
    *error = "cannot build " + scenario + ":\n" + describe();
    return false;
  }
  auto writer = results::SqliteWriter::open(db, error);
  if (!writer) return false;
  mesh->run(*writer);
  if (!writer->ok()) {
    *error = writer->error();
    return false;
  }
  return true;
}

struct Holder {
  Fixture f;
  Holder() {
    std::string tmpl = (fs::temp_directory_path() / "meshtwin-gui-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      f.error = "cannot create a temporary directory";
      return;
    }
    f.dir = tmpl;
    f.bookinfo_db = (fs::path(f.dir) / "bookinfo.db").string();
    f.retries_db = (fs::path(f.dir) / "retries.db").string();
    f.pods_db = (fs::path(f.dir) / "pods.db").string();
    const std::string bookinfo = std::string(MESHTWIN_SOURCE_DIR) + "/scenarios/bookinfo/";
    std::ofstream(fs::path(f.dir) / "mesh.yaml") << kRetryManifests;
    std::ofstream(fs::path(f.dir) / "retries.yaml") << kRetryScenario;
    // The retry mesh's service with 12 pods and no VirtualService (so no retries).
    std::string pod_manifests = kRetryManifests;
    pod_manifests.replace(pod_manifests.find("replicas: 2"), 11, "replicas: 12");
    pod_manifests.erase(pod_manifests.find("---\napiVersion: networking.istio.io"));
    std::ofstream(fs::path(f.dir) / "pods-mesh.yaml") << pod_manifests;
    std::ofstream(fs::path(f.dir) / "pods.yaml") << kPodScenario;
    const std::string pods = (fs::path(f.dir) / "pods.yaml").string();
    if (!simulate(bookinfo + "reviews-80-20.yaml", {"spec.duration=20s"}, f.bookinfo_db,
                  &f.error) ||
        !simulate(bookinfo + "reviews-50-v3.yaml", {"spec.duration=20s"}, f.bookinfo_db,
                  &f.error) ||
        !simulate((fs::path(f.dir) / "retries.yaml").string(), {}, f.retries_db, &f.error) ||
        !simulate((fs::path(f.dir) / "retries.yaml").string(), {"spec.record.spans=0.2"},
                  f.retries_db, &f.error) ||
        !simulate(pods, {}, f.pods_db, &f.error) ||
        !simulate(pods, {"spec.apps.back-v1.failures=[{rate: 0.2, kind: status, status: 503}]"},
                  f.pods_db, &f.error)) {
      return;
    }
  }
  ~Holder() {
    std::error_code ec;
    if (!f.dir.empty()) fs::remove_all(f.dir, ec);
  }
};

}  // namespace

const Fixture& fixture() {
  static Holder holder;
  return holder.f;
}

std::shared_ptr<DataSource> bookinfo() {
  static std::shared_ptr<DataSource> source = [] {
    std::string error;
    return DataSource::open(fixture().bookinfo_db, &error);
  }();
  return source;
}

std::shared_ptr<DataSource> retries() {
  static std::shared_ptr<DataSource> source = [] {
    std::string error;
    return DataSource::open(fixture().retries_db, &error);
  }();
  return source;
}

std::unique_ptr<results::Reader> open_reader(const std::string& path) {
  std::string error;
  return results::Reader::open(path, &error);
}

std::int64_t sql_int(const std::string& path, const std::string& sql,
                     const std::vector<results::Value>& params) {
  auto reader = open_reader(path);
  if (!reader) return -1;
  auto rows = reader->query(sql, params);
  if (!rows || rows->empty() || (*rows)[0].empty()) return -1;
  const auto& v = (*rows)[0][0];
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return -1;
}

}  // namespace meshtwin::gui::testing
