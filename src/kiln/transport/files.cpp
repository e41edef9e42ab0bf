#include "kiln/transport/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>

#include "kiln/io/compress.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::transport {

Result<std::string> FileSet::read(std::string_view path, int64_t limit) {
  auto sz = KILN_TRY(size(path));
  if (sz > limit)
    return failf(Errc::invalid_argument, "{}: {} is {} bytes, more than the limit of {}",
                 describe(), path, sz, limit);
  auto r = KILN_TRY(open(path));
  io::LimitReader bounded(*r, limit, std::string(path));
  return io::read_all(bounded, limit);
}

Result<std::string> clean_path(std::string_view path) {
  if (path.starts_with("/")) return failf(Errc::invalid_argument, "path \"{}\" is absolute", path);
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    auto part = path.substr(i, j - i);
    i = j + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return failf(Errc::invalid_argument, "path \"{}\" leaves its root", path);
    if (!out.empty()) out += '/';
    out += part;
  }
  if (out.empty()) return failf(Errc::invalid_argument, "empty path \"{}\"", path);
  return out;
}

namespace {

class OwnedFdReader final : public io::Reader {
 public:
  explicit OwnedFdReader(Fd fd) : m_fd(std::move(fd)), m_in(m_fd.get()) {}
  Result<size_t> read(void* buf, size_t size) override { return m_in.read(buf, size); }

 private:
  Fd m_fd;
  io::FdReader m_in;
};

class DirFiles final : public FileSet {
 public:
  explicit DirFiles(os::Dir dir) : m_dir(std::move(dir)) {}
  std::string describe() const override { return m_dir.path(); }
  bool exists(std::string_view path) override { return static_cast<bool>(size(path)); }
  Result<int64_t> size(std::string_view path) override {
    auto fd = KILN_TRY(open_fd(path));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", path));
    return static_cast<int64_t>(st.st_size);
  }
  Result<std::unique_ptr<io::Reader>> open(std::string_view path) override {
    auto fd = KILN_TRY(open_fd(path));
    return std::unique_ptr<io::Reader>(new OwnedFdReader(std::move(fd)));
  }

 private:
  Result<Fd> open_fd(std::string_view path) {
    auto rel = KILN_TRY_CTX(clean_path(path), m_dir.path());
    auto fd = KILN_TRY_CTX(m_dir.open_in_root(rel, O_RDONLY | O_CLOEXEC),
                           fmt::format("{}: {}", m_dir.path(), rel));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
      return failf(Errc::invalid_argument, "{}: {} is not a regular file", m_dir.path(), rel);
    return fd;
  }
  os::Dir m_dir;
};

std::string temp_dir(const SpoolLimits& l) {
  if (!l.temp_dir.empty()) return l.temp_dir;
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/var/tmp";
}

// Refuses archives larger than the free space of the temporary directory (the decompressor
// itself refuses decompression bombs: io::decompress_limits()).
class BoundedWriter final : public io::Writer {
 public:
  BoundedWriter(io::Writer& out, int64_t max, std::string what)
      : m_out(out), m_max(max), m_what(std::move(what)) {}
  Status write(const void* buf, size_t size) override {
    m_size += static_cast<int64_t>(size);
    if (m_max >= 0 && m_size > m_max)
      return failf(Errc::no_space,
                   "{}: unpacking needs more than the {} bytes free in the temporary directory",
                   m_what, m_max);
    return m_out.write(buf, size);
  }

 private:
  io::Writer& m_out;
  int64_t m_max;
  std::string m_what;
  int64_t m_size = 0;
};

Result<Fd> spool(int in_fd, const std::string& what, const SpoolLimits& limits) {
  std::string dir = temp_dir(limits);
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno(fmt::format("{}: create a temporary file in {}", what, dir));
  Fd tmp(fd);
  int64_t max = limits.max_bytes;
  if (max < 0) {
    struct statvfs vfs {};
    if (::fstatvfs(tmp.get(), &vfs) == 0)
      max = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
  }
  io::FdReader raw(in_fd);
  io::PeekReader peek(raw);
  auto plain = KILN_TRY_CTX(io::auto_decompress(peek), what);
  io::FdWriter file(tmp.get());
  BoundedWriter bounded(file, max, what);
  KILN_TRY_CTX(io::copy(*plain, bounded), what);
  return tmp;
}

}  // namespace

Result<std::unique_ptr<FileSet>> open_dir_files(const std::string& dir) {
  auto d = KILN_TRY(os::Dir::open(dir));
  return std::unique_ptr<FileSet>(new DirFiles(std::move(d)));
}

Result<std::unique_ptr<FileSet>> open_archive(const std::string& path, const SpoolLimits& limits) {
  std::string what = path == "-" ? "stdin" : path;
  Fd fd;
  if (path == "-") {
    fd.reset(::dup(0));
  } else {
    int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f < 0) return fail_errno(fmt::format("open {}", path));
    fd.reset(f);
  }
  if (!fd.valid()) return fail_errno("dup stdin");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", what));
  if (S_ISDIR(st.st_mode))
    return failf(Errc::invalid_argument, "{} is a directory, not an archive", what);
  bool in_place = S_ISREG(st.st_mode);
  if (in_place) {
    char head[6] = {};
    ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
    if (n < 0) return fail_errno(fmt::format("read {}", what));
    in_place = io::detect_compression(std::string_view(head, static_cast<size_t>(n))) ==
               io::Compression::none;
  }
  if (!in_place) fd = KILN_TRY(spool(fd.get(), what, limits));
  return index_tar(std::move(fd), what);
}

}  // namespace kiln::transport
