// TarOut: writes the tar container of an image archive (OCI or docker) to a file descriptor:
// regular files and directories with fixed metadata (root-owned, mtime 0), so the same image
// always gives the same bytes. A member of unknown size is written with a placeholder header
// that is patched afterwards when the output is seekable, and spooled through a temporary file
// first when it is not. Layers themselves are tar streams written by archive/; this is only
// the envelope. Not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/io/stream.hpp"

namespace kiln::transport {

class TarOut {
 public:
  // fd is not owned; writing starts at its current offset.
  TarOut(int fd, std::string temp_dir);

  Status add_dir(std::string_view name);
  Status add_file(std::string_view name, std::string_view data);
  // Copies `data` to its end. size < 0: unknown (see above). A known size that the stream does
  // not match is an error.
  // Returns the member's size.
  Result<int64_t> add_stream(std::string_view name, int64_t size, io::Reader& data);
  // The end-of-archive blocks.
  Status finish();
  int64_t bytes() const { return m_pos; }

 private:
  Status header(std::string_view name, char type, int64_t size, uint32_t mode);
  static Status make_header(char* h, std::string_view name, char type, int64_t size, uint32_t mode);
  Status write(const void* p, size_t n);
  Status pad();

  int m_fd;
  std::string m_temp_dir;
  bool m_seekable = false;
  int64_t m_base = 0;  // offset of the archive's start in the file
  int64_t m_pos = 0;   // bytes written
};

}  // namespace kiln::transport
