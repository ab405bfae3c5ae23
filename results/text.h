// Column layout for the human outputs of report, diff and check: widths in terminal columns,
// so that a value such as "350µs" (µ is two bytes in UTF-8) lines up with "2.51s".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace meshtwin::results {

// Terminal columns of UTF-8 text: continuation bytes take none.
inline std::size_t display_columns(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// `s` padded with spaces to `width` columns, on the left when `right` (right-aligned).
inline std::string pad_columns(const std::string& s, std::size_t width, bool right = false) {
  const std::size_t n = display_columns(s);
  const std::string fill(width > n ? width - n : 0, ' ');
  return right ? fill + s : s + fill;
}

// Rows laid out in columns two spaces apart, each column as wide as its widest cell; cells of
// columns marked in `right_align` are right-aligned, the last column is not padded otherwise.
std::string pad_table(const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& right_align = {});

// Text for XML (JUnit): markup characters as references; in attributes a newline too.
std::string xml_escape(const std::string& s, bool attribute = true);

}  // namespace meshtwin::results
