// OutFile: the destination of an archive. For a path, a temporary file next to it that
// replaces the path only on publish() (a failed save leaves the old file, if any, untouched);
// for "-", standard output; an existing device or FIFO (/dev/null) is written in place.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/base/fd.hpp"

namespace kiln::transport {

class OutFile {
 public:
  static Result<OutFile> create(const std::string& path);
  OutFile(OutFile&&) = default;
  OutFile& operator=(OutFile&&) = default;
  ~OutFile();

  int fd() const { return m_stdout ? 1 : m_fd.get(); }
  const std::string& path() const { return m_path; }
  // fsyncs and renames the temporary file over the path.
  Status publish();

 private:
  OutFile() = default;
  std::string m_path, m_tmp;
  Fd m_fd;
  bool m_stdout = false;
  bool m_special = false;  // a device or FIFO, written in place
};

// Writes a small file (--iidfile, --digestfile) through an OutFile: replaced whole for a
// path, written in place for a device or FIFO, standard output for "-".
Status write_out_file(const std::string& path, std::string_view data);

}  // namespace kiln::transport
