// Reading user input files (manifests, scenarios, replay CSVs) defensively: only regular files,
// only up to a size limit, and text in UTF-8 (UTF-16 with a byte order mark is decoded).
// Special files such as /dev/zero or /dev/urandom would otherwise be read until memory runs out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace meshtwin::config {

// The largest input file meshtwin reads (docs/scenario-reference.md "Limits"): far above any
// real manifest bundle (Istio's own demo profile is well under 1 MiB) and small enough that the
// YAML parser's working set stays a few times this.
inline constexpr std::uintmax_t kMaxInputFileBytes = 64ull << 20;  // 64 MiB

// Reads `path` as text. On failure returns nullopt and a sentence in `error` (no file name):
// not a regular file, larger than kMaxInputFileBytes, unreadable, or not text (NUL bytes in a
// file without a UTF-16 byte order mark, a UTF-32 mark, or malformed UTF-16). A UTF-16 (LE or
// BE) file with its byte order mark is converted to UTF-8; a UTF-8 mark is kept (the YAML
// reader drops it).
std::optional<std::string> read_input_file(const std::string& path, std::string& error);
// The same with another size bound: telemetry for `meshtwin calibrate` (a day of Prometheus
// samples for a hundred workloads is hundreds of MB) uses kMaxTelemetryFileBytes.
std::optional<std::string> read_input_file(const std::string& path, std::string& error, std::uintmax_t max_bytes);
inline constexpr std::uintmax_t kMaxTelemetryFileBytes = 4ull << 30;  // 4 GiB

// The one-line diagnostic for a failed read_input_file: "cannot read WHAT: No such file or
// directory" for the system's reasons, "cannot read WHAT: it is not a regular file ..." for the
// file's own problems.
std::string read_error_message(const std::string& what, const std::string& error);

// Converts text that starts with a UTF-16 byte order mark to UTF-8 and rejects text with NUL
// bytes (a UTF-16 file without a mark, or a binary file). Exposed for tests and for text that
// did not come from a file.
std::optional<std::string> decode_input_text(std::string text, std::string& error);

}  // namespace meshtwin::config
