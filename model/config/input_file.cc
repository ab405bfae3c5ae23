#include "model/config/input_file.h"
#include <cctype>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meshtwin::config {
namespace {

std::string mib(std::uintmax_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::optional<std::string> utf16_to_utf8(const std::string& in, bool big_endian, std::string& error) {
  if (in.size() % 2 != 0) {
    error = "is UTF-16 (it starts with a byte order mark) but has an odd number of bytes; save it as UTF-8";
    return std::nullopt;
  }
  auto unit = [&](std::size_t i) -> std::uint32_t {
    const auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]);
    return big_endian ? (std::uint32_t{a} << 8 | b) : (std::uint32_t{b} << 8 | a);
  };
  std::string out;
  out.reserve(in.size() / 2);
  for (std::size_t i = 2; i < in.size(); i += 2) {  // past the byte order mark
    std::uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      const std::uint32_t low = i + 3 < in.size() ? unit(i + 2) : 0;
      if (low < 0xDC00 || low > 0xDFFF) {
        error = "is UTF-16 with an unpaired surrogate at byte " + std::to_string(i) + "; save it as UTF-8";
        return std::nullopt;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      error = "is UTF-16 with an unpaired surrogate at byte " + std::to_string(i) + "; save it as UTF-8";
      return std::nullopt;
    }
    if (cp == 0) {
      error = "contains a NUL character; it is not a text file";
      return std::nullopt;
    }
    append_utf8(out, cp);
  }
  return out;
}

}  // namespace

std::optional<std::string> decode_input_text(std::string text, std::string& error) {
  auto starts = [&](std::string_view p) { return text.compare(0, p.size(), p) == 0; };
  // UTF-32 marks first: the UTF-32LE mark begins with the UTF-16LE one.
  if (starts(std::string_view("\xFF\xFE\x00\x00", 4)) || starts(std::string_view("\x00\x00\xFE\xFF", 4))) {
    error = "is UTF-32, which YAML tools do not read; save it as UTF-8";
    return std::nullopt;
  }
  if (starts("\xFF\xFE")) return utf16_to_utf8(text, false, error);
  if (starts("\xFE\xFF")) return utf16_to_utf8(text, true, error);
  if (const auto nul = text.find('\0'); nul != std::string::npos) {
    // Windows editors write UTF-16 without a mark too; either way the bytes are not UTF-8 text.
    error = "contains a NUL byte at offset " + std::to_string(nul) +
            "; it is not UTF-8 text (UTF-16 is read only with a byte order mark)";
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> read_input_file(const std::string& path, std::string& error) {
  return read_input_file(path, error, kMaxInputFileBytes);
}

std::optional<std::string> read_input_file(const std::string& path, std::string& error, std::uintmax_t max_bytes) {
  // open + fstat on the same descriptor: the checks apply to what is actually read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = std::strerror(errno);  // the system's reason, as `cat` would say it
    return std::nullopt;
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "is a folder, not a file";
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    // /dev/zero, /dev/urandom, FIFOs, sockets: endless or blocking, never a manifest.
    error = "is not a regular file (a device, pipe or socket); meshtwin reads only regular files";
    return std::nullopt;
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
    error = "is " + std::to_string(static_cast<std::uintmax_t>(st.st_size)) + " bytes, more than the " +
            mib(max_bytes) + " meshtwin reads from one input file";
    return std::nullopt;
  }
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("cannot read: ") + std::strerror(errno);
      return std::nullopt;
    }
    if (n == 0) break;  // the file shrank while being read
    got += static_cast<std::size_t>(n);
  }
  text.resize(got);
  // A file that grew meanwhile is read up to its size at open; a regular file cannot be endless.
  return decode_input_text(std::move(text), error);
}

std::string read_error_message(const std::string& what, const std::string& error) {
  // The system's reasons ("No such file or directory", "Permission denied") read after a colon;
  // the file's own problems ("is not a regular file", "contains a NUL byte") after "it".
  const bool system_reason = !error.empty() && std::isupper(static_cast<unsigned char>(error[0]));
  // "this file" reads as plain "cannot read: No such file or directory", as cat would say it.
  const std::string subject = system_reason && what == "this file" ? std::string() : " " + what;
  return "cannot read" + subject + ": " + (system_reason ? "" : "it ") + error;
}

}  // namespace meshtwin::config
