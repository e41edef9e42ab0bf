#include "kiln/os/dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <random>

#include "kiln/base/defer.hpp"

namespace kiln::os {

namespace {

std::string rand_suffix() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  return fmt::format("{:x}-{:x}-{}", getpid(), rd(), counter++);
}

}  // namespace

Result<Dir> Dir::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(fmt::format("open directory {}", path));
  return Dir(Fd(fd), path);
}

Result<Dir> Dir::create(const std::string& path, mode_t mode) {
  if (path.empty()) return fail(Errc::invalid_argument, "empty directory path");
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      partial = path.substr(0, i);
      if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
        return fail_errno(fmt::format("create directory {}", partial));
    }
  }
  return open(path);
}

std::string Dir::child_path(std::string_view rel) const {
  if (m_path.empty() || m_path == "/") return fmt::format("/{}", rel);
  return fmt::format("{}/{}", m_path, rel);
}

Result<Dir> Dir::open_dir(std::string_view rel) const {
  std::string r(rel);
  int fd = ::openat(m_fd.get(), r.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(fmt::format("open directory {}", child_path(rel)));
  return Dir(Fd(fd), child_path(rel));
}

Result<Dir> Dir::make_dir(std::string_view rel, mode_t mode) const {
  std::string r(rel);
  if (::mkdirat(m_fd.get(), r.c_str(), mode) != 0 && errno != EEXIST)
    return fail_errno(fmt::format("create directory {}", child_path(rel)));
  return open_dir(rel);
}

Result<Fd> Dir::open_file(std::string_view rel, int flags, mode_t mode) const {
  std::string r(rel);
  int fd = ::openat(m_fd.get(), r.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return fail_errno(fmt::format("open {}", child_path(rel)));
  return Fd(fd);
}

Result<Fd> Dir::open_in_root(std::string_view rel, int flags, mode_t mode) const {
  std::string r(rel);
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd;
  do {
    fd = syscall(SYS_openat2, m_fd.get(), r.c_str(), &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return fail_errno(fmt::format("open {} inside {}", rel, m_path));
  return Fd(static_cast<int>(fd));
}

Result<struct stat> Dir::stat(std::string_view rel, bool follow) const {
  std::string r(rel);
  struct stat st {};
  int flags = follow ? 0 : AT_SYMLINK_NOFOLLOW;
  if (r.empty()) flags |= AT_EMPTY_PATH;
  if (::fstatat(m_fd.get(), r.c_str(), &st, flags) != 0)
    return fail_errno(fmt::format("stat {}", child_path(rel)));
  return st;
}

bool Dir::exists(std::string_view rel) const {
  return stat(rel).has_value();
}

Result<std::vector<std::string>> Dir::list() const {
  int fd = ::openat(m_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(fmt::format("list {}", m_path));
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return fail_errno(fmt::format("list {}", m_path));
  }
  Defer closer([&] { ::closedir(d); });
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  if (errno != 0) return fail_errno(fmt::format("list {}", m_path));
  return names;
}

Status Dir::rename(std::string_view from, const Dir& to_dir, std::string_view to) const {
  std::string f(from), t(to);
  if (::renameat(m_fd.get(), f.c_str(), to_dir.fd(), t.c_str()) != 0)
    return fail_errno(fmt::format("rename {} to {}", child_path(from), to_dir.child_path(to)));
  return {};
}

Status Dir::unlink(std::string_view rel) const {
  std::string r(rel);
  if (::unlinkat(m_fd.get(), r.c_str(), 0) != 0)
    return fail_errno(fmt::format("remove {}", child_path(rel)));
  return {};
}

Status Dir::remove_all(std::string_view rel) const {
  std::string r(rel);
  if (::unlinkat(m_fd.get(), r.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM)
    return fail_errno(fmt::format("remove {}", child_path(rel)));
  auto sub = KILN_TRY(open_dir(rel));
  auto names = KILN_TRY(sub.list());
  for (const auto& n : names) KILN_TRY(sub.remove_all(n));
  if (::unlinkat(m_fd.get(), r.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    return fail_errno(fmt::format("remove {}", child_path(rel)));
  return {};
}

Status Dir::fsync() const {
  if (::fsync(m_fd.get()) != 0) return fail_errno(fmt::format("fsync {}", m_path));
  return {};
}

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(fmt::format("open {}", path));
  Fd owner(fd);
  return with_context(read_fd(fd), path);
}

Result<std::string> read_file_at(const Dir& dir, std::string_view rel) {
  auto fd = KILN_TRY(dir.open_file(rel, O_RDONLY));
  return with_context(read_fd(fd.get()), dir.child_path(rel));
}

Status write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write");
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Status write_file_atomic(const Dir& dir, std::string_view name, std::string_view data, mode_t mode,
                         bool durable) {
  std::string tmp = fmt::format(".tmp-{}-{}", name, rand_suffix());
  auto fd = KILN_TRY(dir.open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, mode));
  Defer cleanup([&] { (void)dir.unlink(tmp); });
  KILN_TRY_CTX(write_all(fd.get(), data.data(), data.size()), dir.child_path(name));
  if (durable && ::fsync(fd.get()) != 0)
    return fail_errno(fmt::format("fsync {}", dir.child_path(name)));
  KILN_TRY(dir.rename(tmp, dir, name));
  cleanup.cancel();
  return durable ? dir.fsync() : Status{};
}

Status write_file(const Dir& dir, std::string_view name, std::string_view data, mode_t mode) {
  auto fd = KILN_TRY(dir.open_file(name, O_WRONLY | O_CREAT | O_TRUNC, mode));
  return with_context(write_all(fd.get(), data.data(), data.size()), dir.child_path(name));
}

Result<TempFile> TempFile::create(const Dir& dir, mode_t mode) {
  int fd = ::openat(dir.fd(), ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
  if (fd >= 0) return TempFile(&dir, Fd(fd), "");
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    return fail_errno(fmt::format("create temporary file in {}", dir.path()));
  std::string name = fmt::format(".tmp-{}", rand_suffix());
  auto named = KILN_TRY(dir.open_file(name, O_RDWR | O_CREAT | O_EXCL, mode));
  return TempFile(&dir, std::move(named), name);
}

TempFile::~TempFile() {
  if (!m_tmp_name.empty() && m_dir) (void)m_dir->unlink(m_tmp_name);
}

Status TempFile::link_as(std::string_view name) {
  std::string n(name);
  if (::fsync(m_fd.get()) != 0) return fail_errno(fmt::format("fsync {}", m_dir->child_path(n)));
  if (m_tmp_name.empty()) {
    std::string proc = fmt::format("/proc/self/fd/{}", m_fd.get());
    if (::linkat(AT_FDCWD, proc.c_str(), m_dir->fd(), n.c_str(), AT_SYMLINK_FOLLOW) != 0 &&
        errno != EEXIST)
      return fail_errno(fmt::format("publish {}", m_dir->child_path(n)));
  } else {
    if (::linkat(m_dir->fd(), m_tmp_name.c_str(), m_dir->fd(), n.c_str(), 0) != 0 &&
        errno != EEXIST)
      return fail_errno(fmt::format("publish {}", m_dir->child_path(n)));
    (void)m_dir->unlink(m_tmp_name);
    m_tmp_name.clear();
  }
  return m_dir->fsync();
}

}  // namespace kiln::os
