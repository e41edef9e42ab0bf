#include "kiln/os/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

namespace kiln::os {

namespace {

// getrandom(2) without GRND_NONBLOCK blocks only until the pool is first initialised and
// returns at most 256 bytes short of a request; EINTR is retried.
void fill(unsigned char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::getrandom(out + got, n - got, 0);
    if (r > 0) got += static_cast<size_t>(r);
  }
}

}  // namespace

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  fill(raw.data(), raw.size());
  std::string out;
  out.reserve(2 * bytes);
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

std::string random_uuid() {
  unsigned char b[16];
  fill(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // the RFC 4122 variant
  std::string h;
  for (unsigned char c : b) h += fmt::format("{:02x}", c);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

}  // namespace kiln::os
