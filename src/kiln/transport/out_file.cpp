#include "kiln/transport/out_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

#include "kiln/os/dir.hpp"

namespace kiln::transport {

Result<OutFile> OutFile::create(const std::string& path) {
  OutFile f;
  f.m_path = path;
  if (path == "-") {
    f.m_stdout = true;
    return f;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    // A device or a FIFO (-o /dev/null, a named pipe) is written in place, as a shell redirect
    // writes it: a rename would replace the device with a regular file.
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno(fmt::format("open {}", path));
    f.m_fd.reset(fd);
    f.m_special = true;
    return f;
  }
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) return failf(Errc::invalid_argument, "{}: not a file name", path);
  std::random_device rd;
  f.m_tmp = fmt::format("{}.{}.kiln-{:08x}", dir, base, rd());
  int fd = ::open(f.m_tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail_errno(fmt::format("create {}", path));
  f.m_fd.reset(fd);
  return f;
}

OutFile::~OutFile() {
  if (!m_tmp.empty()) ::unlink(m_tmp.c_str());
}

Status OutFile::publish() {
  if (m_stdout || m_special) return {};
  if (::fsync(m_fd.get()) != 0) return fail_errno(fmt::format("fsync {}", m_path));
  if (::rename(m_tmp.c_str(), m_path.c_str()) != 0)
    return fail_errno(fmt::format("rename into {}", m_path));
  m_tmp.clear();
  return {};
}

Status write_out_file(const std::string& path, std::string_view data) {
  auto out = KILN_TRY(OutFile::create(path));
  KILN_TRY_CTX(os::write_all(out.fd(), data.data(), data.size()), path);
  return out.publish();
}

}  // namespace kiln::transport
