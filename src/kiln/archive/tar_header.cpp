#include "kiln/archive/tar_header.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kiln::archive {

Result<int64_t> parse_tar_number(const unsigned char* p, size_t n, std::string_view field) {
  if (p[0] & 0x80) {  // base-256
    if (p[0] & 0x40) return failf(Errc::corrupt, "tar header: {} is negative", field);
    int64_t v = p[0] & 0x3f;
    for (size_t i = 1; i < n; ++i) {
      if (v > (INT64_MAX >> 8)) return failf(Errc::corrupt, "tar header: {} overflows", field);
      v = (v << 8) | p[i];
    }
    return v;
  }
  int64_t v = 0;
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == 0)) ++i;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v > (INT64_MAX >> 3)) return failf(Errc::corrupt, "tar header: {} overflows", field);
    v = v * 8 + (p[i] - '0');
  }
  for (; i < n; ++i)
    if (p[i] != ' ' && p[i] != 0)
      return failf(Errc::corrupt, "tar header: {} is not an octal number", field);
  return v;
}

std::string tar_field(const unsigned char* p, size_t n) {
  const char* c = reinterpret_cast<const char*>(p);
  return std::string(c, strnlen(c, n));
}

bool tar_checksum_ok(const unsigned char* h) {
  auto want = parse_tar_number(h + 148, 8, "checksum");
  if (!want) return false;
  int64_t sum = 0, signed_sum = 0;
  for (int i = 0; i < k_tar_block; ++i) {
    bool chk = i >= 148 && i < 156;
    sum += chk ? ' ' : h[i];
    signed_sum += chk ? ' ' : static_cast<signed char>(h[i]);
  }
  return sum == *want || signed_sum == *want;
}

bool tar_block_is_zero(const unsigned char* b) {
  return std::all_of(b, b + k_tar_block, [](unsigned char c) { return c == 0; });
}

Status parse_pax_records(std::string_view data, std::map<std::string, std::string>& out) {
  while (!data.empty()) {
    // A header padded with NULs after its last record (some writers do) ends here.
    if (data.find_first_not_of('\0') == std::string_view::npos) return {};
    size_t sp = data.find(' ');
    if (sp == std::string_view::npos) return fail(Errc::corrupt, "tar: malformed PAX record");
    size_t len = 0;
    for (char c : data.substr(0, sp)) {
      if (c < '0' || c > '9') return fail(Errc::corrupt, "tar: malformed PAX record length");
      len = len * 10 + static_cast<size_t>(c - '0');
      if (len > data.size()) return fail(Errc::corrupt, "tar: PAX record runs past its header");
    }
    if (len <= sp + 1 || data[len - 1] != '\n')
      return fail(Errc::corrupt, "tar: malformed PAX record");
    auto rec = data.substr(sp + 1, len - sp - 2);
    size_t eq = rec.find('=');
    if (eq == std::string_view::npos) return fail(Errc::corrupt, "tar: PAX record without '='");
    out[std::string(rec.substr(0, eq))] = std::string(rec.substr(eq + 1));
    data.remove_prefix(len);
  }
  return {};
}

Result<int64_t> parse_pax_size(const std::string& value) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end || v < 0 || errno)
    return failf(Errc::corrupt, "tar: bad PAX size \"{}\"", value);
  return static_cast<int64_t>(v);
}

bool is_sparse_pax_key(std::string_view key) {
  return key.starts_with("GNU.sparse.");
}

}  // namespace kiln::archive
