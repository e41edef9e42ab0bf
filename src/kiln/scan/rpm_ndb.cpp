// rpm's ndb database, Packages.db (openSUSE and SUSE Linux Enterprise; rpm's lib/backend/ndb),
// read here because Debian's librpm is built without that backend. The file is little-endian,
// in 16-byte blocks:
//   a 32-byte header: "RpmP", version 0, generation, the number of 4 KiB slot pages, next index;
//   the slot pages (the first one after the header): 16-byte slots "Slot", package index, block
//     offset, block count; a slot with block offset 0 is free;
//   each package in its blocks: "BlbS", index, timestamp, length; the header blob; zero padding;
//     then Adler-32 of everything before it in the blocks, the length again, "BlbE".
#include <zlib.h>

#include <fmt/format.h>

#include <algorithm>

#include "kiln/scan/rpmdb.hpp"

namespace kiln::scan {

namespace {

constexpr uint32_t k_page = 4096, k_block = 16, k_head = 16, k_tail = 12;
constexpr uint32_t k_max_pages = 2048;  // 524,288 slots: more than any real system has

constexpr uint32_t tag(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[0])) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[2])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[3])) << 24;
}

uint32_t le32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24;
}

// The blob of one slot, or why it is not one.
Result<std::string_view> read_blob(std::string_view db, uint32_t index, uint32_t off, uint32_t cnt,
                                   uint32_t first_block) {
  if (off < first_block) return fail(Errc::corrupt, "its blocks overlap the slot pages");
  uint64_t start = uint64_t{off} * k_block, size = uint64_t{cnt} * k_block;
  if (start + size > db.size()) return fail(Errc::corrupt, "its blocks pass the end of the file");
  if (size < k_head + k_tail) return fail(Errc::corrupt, "too few blocks");
  std::string_view blocks = db.substr(start, size);
  if (le32(blocks, 0) != tag("BlbS")) return fail(Errc::corrupt, "no blob header");
  if (le32(blocks, 4) != index) return fail(Errc::corrupt, "the blob is another package's");
  uint32_t len = le32(blocks, 12);
  if ((uint64_t{k_head} + len + k_tail + k_block - 1) / k_block != cnt)
    return fail(Errc::corrupt, "the blob's length does not fill its blocks");
  std::string_view tail = blocks.substr(size - k_tail);
  if (le32(tail, 4) != len || le32(tail, 8) != tag("BlbE"))
    return fail(Errc::corrupt, "no blob trailer");
  uLong sum = adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(blocks.data()),
                      static_cast<uInt>(size - k_tail));
  if (static_cast<uint32_t>(sum) != le32(tail, 0))
    return fail(Errc::corrupt, "checksum mismatch (Adler-32)");
  return blocks.substr(k_head, len);
}

}  // namespace

Result<std::vector<NdbBlob>> ndb_blobs(std::string_view db, std::vector<std::string>& bad) {
  if (db.size() < k_page || le32(db, 0) != tag("RpmP"))
    return fail(Errc::corrupt, "not an ndb database (no RpmP header)");
  if (uint32_t v = le32(db, 4); v != 0)
    return failf(Errc::unsupported, "ndb version {} (kiln reads version 0)", v);
  uint32_t pages = le32(db, 12);
  if (pages == 0 || pages > k_max_pages || uint64_t{pages} * k_page > db.size())
    return failf(Errc::corrupt, "{} slot pages in a file of {} bytes", pages, db.size());
  std::vector<NdbBlob> out;
  uint32_t first_block = pages * (k_page / k_block);
  for (uint64_t at = 32; at < uint64_t{pages} * k_page; at += 16) {
    if (le32(db, at) != tag("Slot")) return failf(Errc::corrupt, "slot {}: no slot magic", at / 16);
    uint32_t index = le32(db, at + 4), off = le32(db, at + 8), cnt = le32(db, at + 12);
    if (off == 0) continue;  // a free slot
    auto blob = read_blob(db, index, off, cnt, first_block);
    if (!blob) {
      bad.push_back(fmt::format("package {}: {}", index, blob.error().message()));
      continue;
    }
    out.push_back({index, *blob});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

}  // namespace kiln::scan
