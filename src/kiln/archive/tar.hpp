// Tar streams (ustar/PAX/GNU read; PAX written) over io::Reader / io::Writer, wrapping
// libarchive (the one file that knows it: tar.cpp). No compression here: callers stack an
// io/compress.hpp codec underneath. Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "kiln/base/error.hpp"
#include "kiln/io/stream.hpp"

namespace kiln::archive {

enum class EntryType { file, dir, symlink, hardlink, chardev, blockdev, fifo };

struct Entry {
  std::string path;  // as stored; directories may end in "/"
  EntryType type = EntryType::file;
  uint32_t mode = 0644;  // permission bits including setuid/setgid/sticky
  uint32_t uid = 0, gid = 0;
  std::string uname, gname;
  int64_t size = 0;   // regular files only
  int64_t mtime = 0;  // seconds since the epoch
  int32_t mtime_nsec = 0;
  std::string linkname;  // symlink target or hardlink target path
  uint32_t devmajor = 0, devminor = 0;
  std::map<std::string, std::string> xattrs;
};

class TarReader {
 public:
  // src must outlive the reader. An empty stream is an empty archive.
  static Result<std::unique_ptr<TarReader>> open(io::Reader& src);
  // Also undoes any compression libarchive knows (gzip, bzip2, xz, zstd, lzip, ...): for ADD
  // of local archives, where the compression is whatever the user's file has.
  static Result<std::unique_ptr<TarReader>> open_compressed(io::Reader& src);
  // A compressed tar as open_compressed, or a zip archive read front to back (its local
  // headers; zip members stored or deflated): advisory bundles such as osv.dev's all.zip.
  static Result<std::unique_ptr<TarReader>> open_bundle(io::Reader& src);
  // A zip archive alone, read front to back from its local headers (a Java archive): members
  // stored or deflated, whose sizes the local header gives or the deflate stream ends.
  static Result<std::unique_ptr<TarReader>> open_zip(io::Reader& src);
  virtual ~TarReader() = default;
  // The next header, or nullopt at the end of the archive. The previous entry's unread data is
  // skipped.
  virtual Result<std::optional<Entry>> next() = 0;
  // Reads the current entry's data; 0 at its end.
  virtual Result<size_t> read(void* buf, size_t size) = 0;
};

class TarWriter {
 public:
  // dst must outlive the writer. Output ends with the two zero blocks and no further padding.
  static Result<std::unique_ptr<TarWriter>> open(io::Writer& dst);
  virtual ~TarWriter() = default;
  // Writes a header; for regular files the caller then writes exactly entry.size bytes.
  virtual Status add(const Entry& entry) = 0;
  virtual Status write_data(const void* buf, size_t size) = 0;
  // Writes the end-of-archive marker. Does not close dst.
  virtual Status finish() = 0;
};

// Reads the current entry's data as an io::Reader.
class EntryReader final : public io::Reader {
 public:
  explicit EntryReader(TarReader& tar) : m_tar(tar) {}
  Result<size_t> read(void* buf, size_t size) override { return m_tar.read(buf, size); }

 private:
  TarReader& m_tar;
};

std::string_view entry_type_name(EntryType t);

}  // namespace kiln::archive
