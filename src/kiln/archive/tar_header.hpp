// The raw 512-byte tar header: numeric fields (octal or GNU base-256), the header checksum
// and PAX extended records. Shared by the streaming checker (tar_check.hpp) and the in-place
// index of archive files (transport/tar_index.cpp), which read headers without libarchive.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"

namespace kiln::archive {

inline constexpr int64_t k_tar_block = 512;
// The largest PAX or GNU long-name extension header kiln reads (Go's archive/tar allows 1 MiB).
inline constexpr int64_t k_max_tar_extension = 1 << 20;

// A numeric header field: octal with optional NUL/space padding, or base-256 (high bit set).
Result<int64_t> parse_tar_number(const unsigned char* p, size_t n, std::string_view field);
// A NUL-terminated string field of at most n bytes.
std::string tar_field(const unsigned char* p, size_t n);
// True when the stored checksum matches the header's bytes (unsigned sum, or the signed sum
// some old writers used).
bool tar_checksum_ok(const unsigned char* header);
bool tar_block_is_zero(const unsigned char* block);
// Parses PAX records "LEN key=value\n" into out (later records win).
Status parse_pax_records(std::string_view data, std::map<std::string, std::string>& out);
// The decimal value of a PAX "size" record.
Result<int64_t> parse_pax_size(const std::string& value);
// True for the PAX keys of GNU sparse files (GNU.sparse.*).
bool is_sparse_pax_key(std::string_view key);

}  // namespace kiln::archive
