#include "model/telemetry/response_flags.h"

#include <array>

namespace meshtwin::telemetry {
namespace {

// Short codes indexed by bit position; the enum is declared in Envoy's print order, so a walk
// from bit 0 up reproduces %RESPONSE_FLAGS%.
constexpr std::array<std::string_view, 29> kCodes = {
    "LH",  "UH",   "UT",   "LR", "UR",  "UF",   "UC",   "UO",   "NR", "DI",
    "FI",  "RL",   "UAEX", "RLSE", "DC", "URX", "SI",   "IH",   "DPE", "UMSDR",
    "RFCF", "NFCF", "DT",  "UPE", "NC",  "OM",   "DF",   "DO",   "DR"};

}  // namespace

std::string format_response_flags(std::uint32_t flags) {
  if (flags == 0) return "-";
  std::string out;
  for (std::size_t bit = 0; bit < kCodes.size(); ++bit) {
    if ((flags & (1u << bit)) == 0) continue;
    if (!out.empty()) out += ',';
    out += kCodes[bit];
  }
  // Bits beyond the table would mean a flag added to the enum but not here; print them rather
  // than silently dropping information.
  if (std::uint32_t unknown = flags & ~((1u << kCodes.size()) - 1); unknown != 0) {
    if (!out.empty()) out += ',';
    out += "0x";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (; unknown; unknown >>= 4) hex.insert(hex.begin(), kHex[unknown & 0xf]);
    out += hex;
  }
  return out;
}

std::optional<std::uint32_t> parse_response_flags(std::string_view text) {
  if (text == "-" || text.empty()) return 0u;
  std::uint32_t flags = 0;
  while (true) {
    std::size_t comma = text.find(',');
    std::string_view code = text.substr(0, comma);
    std::size_t bit = 0;
    while (bit < kCodes.size() && kCodes[bit] != code) ++bit;
    if (bit == kCodes.size()) return std::nullopt;
    flags |= 1u << bit;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return flags;
}

}  // namespace meshtwin::telemetry
