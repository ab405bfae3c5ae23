#pragma once

// The index kinds of the simulate half (issue 14 §3): each names one kind of object, converts
// only to and from its own kind (engine::StrongIndex), and costs what a bare uint32_t does.
// `Kind::none()` is "no such object". Boundaries (telemetry, SQLite, YAML) take `.value()`.

#include "engine/strong_index.h"

namespace meshtwin::scenario {

// Objects built once or grown by the timeline, never freed (MeshImpl's engine::IdVectors).
using PodId = engine::StrongIndex<struct PodTag>;        // MeshImpl::pods_ (not a registry pod index)
using ProxyId = engine::StrongIndex<struct ProxyTag>;    // MeshImpl::proxies_
using ClientId = engine::StrongIndex<struct ClientTag>;  // MeshImpl::clients_
// A compiled config of one proxy class at one config version (MeshImpl::snapshots_).
using SnapshotId = engine::StrongIndex<struct SnapshotTag>;
// One closed-loop connection of a client (0 .. rate.connections-1); none for open-loop arrivals.
using LoopConnId = engine::StrongIndex<struct LoopConnTag>;

// Slots of the pools of in-flight objects (MeshImpl's Pools, reused through free lists).
using StreamId = engine::StrongIndex<struct StreamTag>;
using ServerReqId = engine::StrongIndex<struct ServerReqTag>;
using AppCallId = engine::StrongIndex<struct AppCallTag>;
using ClientReqId = engine::StrongIndex<struct ClientReqTag>;
using ConnectOpId = engine::StrongIndex<struct ConnectOpTag>;

}  // namespace meshtwin::scenario
