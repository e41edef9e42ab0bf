// Helpers for reading ELF files as they stream by (a tar entry, read once from start to end):
// integers of either byte order, and byte ranges kept when the stream passes them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kiln/io/stream.hpp"

namespace kiln::scan::elf {

// The n-byte unsigned integer at `at` (the caller has checked the bounds).
inline uint64_t get(std::string_view s, size_t at, size_t n, bool little_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned char>(s[at + (little_endian ? n - 1 - i : i)]);
    v = (v << 8) | b;
  }
  return v;
}

// The fields of the ELF header the stream readers use. nullopt when `h` (at least the first 64
// bytes of the file) does not start an ELF file of a known class and byte order.
struct Header {
  bool is64 = false, le = true;
  uint64_t phoff = 0, shoff = 0;
  unsigned phentsize = 0, phnum = 0, shentsize = 0, shnum = 0, shstrndx = 0;
};

inline std::optional<Header> parse_header(std::string_view h) {
  if (h.size() < 64 || !h.starts_with(std::string_view("\x7f"
                                                       "ELF",
                                                       4)))
    return std::nullopt;
  if ((h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2)) return std::nullopt;
  Header e;
  e.is64 = h[4] == 2;
  e.le = h[5] == 1;
  e.phoff = e.is64 ? get(h, 0x20, 8, e.le) : get(h, 0x1c, 4, e.le);
  e.shoff = e.is64 ? get(h, 0x28, 8, e.le) : get(h, 0x20, 4, e.le);
  size_t at = e.is64 ? 0x36 : 0x2a;  // e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
  e.phentsize = static_cast<unsigned>(get(h, at, 2, e.le));
  e.phnum = static_cast<unsigned>(get(h, at + 2, 2, e.le));
  e.shentsize = static_cast<unsigned>(get(h, at + 4, 2, e.le));
  e.shnum = static_cast<unsigned>(get(h, at + 6, 2, e.le));
  e.shstrndx = static_cast<unsigned>(get(h, at + 8, 2, e.le));
  return e;
}

// A byte range of the file to keep when the stream passes it.
struct Capture {
  uint64_t offset = 0, size = 0;
  std::string data;
  bool wanted = false;

  bool complete() const { return wanted && data.size() == size; }
  // The next bytes of the stream, `n` of them at file offset `at`.
  void take(uint64_t at, const char* p, size_t n) {
    if (!wanted || complete()) return;
    uint64_t next = offset + data.size();  // the first byte still missing
    if (next < at || next >= at + n) return;
    size_t skip = static_cast<size_t>(next - at);
    size_t len = static_cast<size_t>(std::min<uint64_t>(n - skip, size - data.size()));
    data.append(p + skip, len);
  }
};

// A Reader that passes everything read through `inner` on to `sink` as well.
class Tap final : public io::Reader {
 public:
  Tap(io::Reader& inner, std::function<void(const char*, size_t)> sink)
      : m_inner(inner), m_sink(std::move(sink)) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = KILN_TRY(m_inner.read(buf, size));
    m_sink(static_cast<const char*>(buf), n);
    return n;
  }

 private:
  io::Reader& m_inner;
  std::function<void(const char*, size_t)> m_sink;
};

}  // namespace kiln::scan::elf
