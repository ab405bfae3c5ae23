#pragma once

// Synthetic meshes of any size, for benchmarks, scale tests and users who want to try the
// twin on a mesh shaped like theirs before writing one: a layered call DAG of services, each
// with a Service, a v1 Deployment, a DestinationRule and a VirtualService; a share of them
// also run a canary v2 that gets 10 % of the traffic. Generation is pure text: deterministic
// in (shape, seed), no file system (the caller writes the two documents).
//
// Complexity: O(services × fanout) time and output size.

#include <cstdint>
#include <string>
#include <vector>

namespace meshtwin::synth {

struct MeshShape {
  int services = 100;        // total services, spread over `depth` layers
  int depth = 3;             // layers of the call DAG; layer 0 is called by the clients
  int fanout_min = 1;        // calls each non-leaf service makes, to distinct services of the
  int fanout_max = 3;        //   next layer, drawn uniformly in [min, max] (capped by its size)
  double canary_share = 0.33;  // fraction of services with a v2 at 90/10
  int namespaces = 1;        // services spread round-robin over ns-0 … ns-(k-1); 1 = `default`
  double rate = 400;         // client requests per second, all entry services together
  std::uint64_t requests = 20'000;  // client requests in the run (sets the duration)
  std::string record = "metrics";   // metrics (metrics table only) | all (every request and span)
  std::uint64_t seed = 1;
};

struct GeneratedService {
  std::string name;       // svc-<layer>-<index>
  std::string namespace_;
  int layer = 0;
  bool canary = false;
  std::vector<int> calls;  // indices into GeneratedMesh::services
};

struct GeneratedMesh {
  std::vector<GeneratedService> services;
  std::string manifests;  // Kubernetes + Istio YAML, multi-document
  std::string scenario;   // a meshtwin Scenario that reads `manifests_file`
};

// Validates `shape`; returns an empty string when it is usable, else a one-line reason naming
// the field (e.g. "services: must be between 1 and 100000").
std::string validate(const MeshShape& shape);

// Generates the mesh; `manifests_file` is the path the scenario names for the manifests,
// relative to the scenario file. Precondition: validate(shape) is empty.
GeneratedMesh generate(const MeshShape& shape, const std::string& manifests_file = "manifests.yaml");

}  // namespace meshtwin::synth
