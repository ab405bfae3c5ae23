// libFuzzer target: the scenario loader with --set overrides. Leading lines `#set PATH=VALUE`
// (YAML comments, so a seed stays a valid scenario) become the overrides; the rest is the
// scenario file. It sits in a folder where `manifests/` holds Bookinfo's manifests, so the
// bundled scenarios' relative paths resolve and the loader gets past them.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "model/config/diagnostics.h"
#include "model/scenario/scenario_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool linked = [] {
    std::error_code ec;
    std::filesystem::create_directory_symlink(
        std::filesystem::path(MESHTWIN_SOURCE_DIR) / "scenarios/bookinfo/manifests",
        meshtwin::fuzz::scratch_dir() / "manifests", ec);
    return true;
  }();
  (void)linked;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  static constexpr std::string_view kSet = "#set ";
  while (text.substr(0, kSet.size()) == kSet) {
    const std::size_t eol = text.find('\n');
    overrides.emplace_back(text.substr(kSet.size(), eol == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : eol - kSet.size()));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  const std::string path = meshtwin::fuzz::write_input(
      "scenario.yaml", reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  meshtwin::config::Diagnostics diags;
  auto spec = meshtwin::scenario::load_scenario(path, overrides, diags);
  for (const auto& d : diags.items()) (void)d.format();
  return 0;
}
