// libFuzzer target: the manifest loader (Kubernetes, Istio and Gateway API YAML) on arbitrary
// text, as `kubectl apply -f` input. Must never crash, hang or throw; every problem is a
// diagnostic. Seeds: fuzz/corpus/manifest (the bundled manifests and the bad ones tests know).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/config/config_store.h"
#include "model/config/diagnostics.h"
#include "model/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace meshtwin::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool lenient : {false, true}) {
    ConfigStore store;
    Diagnostics diags;
    LoadOptions options;
    options.lenient_api_checks = lenient;
    load_yaml_text(text, "fuzz.yaml", store, diags, options);
    for (const auto& d : diags.items()) (void)d.format();
  }
  return 0;
}
