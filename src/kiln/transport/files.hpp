// FileSet: a read-only set of named regular files, the common ground of the OCI layout and
// docker archive readers. Two backends: a directory (every path resolved in the directory as
// its root, so nothing outside can be reached) and an uncompressed tar archive indexed in place
// (members read with pread; several readers may be open at once). Paths are "/"-separated and
// relative; "." components are ignored and ".." or absolute paths are refused.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/base/fd.hpp"
#include "kiln/io/stream.hpp"

namespace kiln::transport {

class FileSet {
 public:
  virtual ~FileSet() = default;
  virtual std::string describe() const = 0;
  // True when a regular file (or a link to one) exists at path.
  virtual bool exists(std::string_view path) = 0;
  // Errc::not_found names the path.
  virtual Result<int64_t> size(std::string_view path) = 0;
  virtual Result<std::unique_ptr<io::Reader>> open(std::string_view path) = 0;
  // A whole small file; more than `limit` bytes is an error.
  Result<std::string> read(std::string_view path, int64_t limit);
};

// Normalises a relative path ("./a//b" -> "a/b"); ".." and absolute paths are invalid_argument.
Result<std::string> clean_path(std::string_view path);

Result<std::unique_ptr<FileSet>> open_dir_files(const std::string& dir);

// Indexes the tar archive in `fd` (a regular file, uncompressed, read from offset 0). Refuses
// members whose names escape the archive, links that point outside it, duplicate names and
// truncated members.
Result<std::unique_ptr<FileSet>> index_tar(Fd fd, std::string name);

// Limits for unpacking a compressed or piped archive into a temporary file.
struct SpoolLimits {
  std::string temp_dir;    // default: $TMPDIR or /var/tmp
  int64_t max_bytes = -1;  // default: the temp filesystem's free space
};

// Opens an image archive: a path, or "-" for stdin. A plain tar file is indexed in place;
// compressed (gzip, zstd, bzip2, xz) or non-seekable input is first decompressed into an
// anonymous temporary file within `limits`.
Result<std::unique_ptr<FileSet>> open_archive(const std::string& path, const SpoolLimits& limits);

}  // namespace kiln::transport
