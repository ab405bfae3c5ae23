// Internal to model/xds: what translate.cc (the Gateway API) and translate_ingress.cc (Ingress)
// share. Not a contract for other folders: use model/xds/translate.h.
#pragma once

#include <string>

#include "model/config/config_store.h"
#include "model/xds/proxy_config.h"

namespace meshtwin::xds::detail {

// The metadata of an object istiod generates from `from`: its creation time and source location.
config::ObjectMeta derived_meta(const config::ObjectMeta& from, std::string name, std::string ns);

// istiod's ingress controller (pilot/pkg/config/kube/ingress): a Gateway per Ingress and a
// VirtualService per host, applied to `out` (translate_ingress.cc).
void translate_ingresses(const config::ConfigStore& in, const MeshOptions& mesh, config::ConfigStore& out,
                         config::Diagnostics* diags);

}  // namespace meshtwin::xds::detail
