#include "cli/data_dir.h"

#include <system_error>

namespace meshtwin::cli {

namespace fs = std::filesystem;

fs::path data_dir() {
  std::error_code ec;
  // /proc/self/exe resolves symbolic links, so a /usr/local/bin/meshtwin that is a link to
  // /opt/meshtwin/bin/meshtwin finds /opt/meshtwin/share/meshtwin.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return fs::path("/usr/share/meshtwin");  // no /proc: the FHS default
  return (exe.parent_path().parent_path() / "share" / "meshtwin").lexically_normal();
}

namespace {

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

}  // namespace

std::optional<std::string> resolve_scenario(const std::string& scenario, std::string* tried) {
  const fs::path given(scenario);
  // A file that is there is always the one meant, even when unreadable: the loader then says why.
  if (given.empty() || present(given)) return scenario;
  if (given.is_absolute()) return std::nullopt;
  const fs::path data = data_dir();
  if (tried != nullptr) *tried = (data / "scenarios").string();
  // `bookinfo/reviews-80-20.yaml` (as listed under scenarios/) and
  // `scenarios/bookinfo/reviews-80-20.yaml` (as written in the docs, relative to the source tree).
  for (const fs::path& candidate : {data / "scenarios" / given, data / given}) {
    if (present(candidate)) return candidate.string();
  }
  return std::nullopt;
}

}  // namespace meshtwin::cli
