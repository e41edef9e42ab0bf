// Helpers for reading ELF files as they stream by (a tar entry, read once from start to end):
// integers of either byte order, and byte ranges kept when the stream passes them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
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
