#pragma once

// The labels a stream's telemetry records carry, made once per (stream, destination) by
// MeshImpl::record_labels (mesh_caller.cc): the final attempt's span and the stream's hop share
// them instead of assembling them twice.

#include <cstdint>
#include <string_view>

#include "model/scenario/ids.h"
#include "model/telemetry/records.h"

namespace meshtwin::scenario {

struct Stream;
struct ClusterRt;
struct Target;

struct RecordLabels {
  // What they were made for: the stream (slot and generation) and what decides the labels.
  const Stream* stream = nullptr;
  std::uint32_t gen = 0;
  PodId dest;
  const ClusterRt* crt = nullptr;
  const Target* target = nullptr;
  // The destination_service label, Istio's peer labels and the key that stands for them all.
  std::string_view service;
  telemetry::PeerLabels peers;
  telemetry::LabelKey key;
};

}  // namespace meshtwin::scenario
