// The filesystem driver: each key is a file under the root, opened relative to the root's
// directory fd. Values are published by rename() after fsync, and the directory is synced
// after the rename, so a crash keeps either the old value or the new one.
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>

#include "kiln/os/dir.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {
namespace {

std::string_view parent_of(std::string_view key) {
  auto slash = key.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

class FsReader final : public Reader {
 public:
  FsReader(Fd fd, int64_t size) : m_fd(std::move(fd)), m_size(size) {}
  int64_t size() const override { return m_size; }
  int fd() const override { return m_fd.get(); }
  Result<size_t> read_at(int64_t offset, std::span<char> buf) const override {
    for (;;) {
      ssize_t n = ::pread(m_fd.get(), buf.data(), buf.size(), offset);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return fail_errno("read");
    }
  }

 private:
  Fd m_fd;
  int64_t m_size;
};

class FsAppender final : public Appender {
 public:
  FsAppender(Fd fd, int64_t size) : m_fd(std::move(fd)), m_size(size) {}
  int64_t size() const override { return m_size; }
  Status write(std::span<const char> data) override {
    if (auto st = os::write_all(m_fd.get(), data.data(), data.size()); !st) return st;
    m_size += static_cast<int64_t>(data.size());
    return {};
  }
  Status sync() override {
    if (::fdatasync(m_fd.get()) != 0) return fail_errno("fdatasync");
    return {};
  }

 private:
  Fd m_fd;
  int64_t m_size;
};

class FsDriver final : public Driver {
 public:
  explicit FsDriver(os::Dir root) : m_root(std::move(root)) {}

  std::string describe() const override { return "filesystem " + m_root.path(); }

  Result<std::string> get(std::string_view key) const override {
    return os::read_file_at(m_root, key);
  }

  Status put(std::string_view key, std::string_view data) override {
    return write(key, data, true);
  }

  Status put_volatile(std::string_view key, std::string_view data) override {
    return write(key, data, false);
  }

  Result<Stat> stat(std::string_view key) const override {
    auto st = m_root.stat(key, true);
    if (!st) return std::unexpected(st.error());
    return Stat{static_cast<int64_t>(st->st_size), static_cast<int64_t>(st->st_mtim.tv_sec),
                S_ISDIR(st->st_mode)};
  }

  Result<std::vector<std::string>> list(std::string_view prefix) const override {
    auto dir = prefix.empty() ? m_root.open_dir(".") : m_root.open_dir(prefix);
    if (!dir) {
      if (dir.error().code() == Errc::not_found) return std::vector<std::string>{};
      return std::unexpected(dir.error());
    }
    auto names = dir->list();
    if (names) std::sort(names->begin(), names->end());
    return names;
  }

  Status move(std::string_view from, std::string_view to) override {
    auto dir = make_parents(to);
    if (!dir) return std::unexpected(dir.error());
    if (::renameat(m_root.fd(), std::string(from).c_str(), m_root.fd(), std::string(to).c_str()) !=
        0)
      return fail_errno(fmt::format("rename {} to {}", from, to));
    return dir->fsync();
  }

  Status remove(std::string_view key) override { return m_root.remove_all(key); }

  Result<std::unique_ptr<Reader>> open(std::string_view key) const override {
    auto fd = m_root.open_file(key, O_RDONLY | O_CLOEXEC);
    if (!fd) return std::unexpected(fd.error());
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return fail_errno("fstat");
    if (!S_ISREG(st.st_mode)) return failf(Errc::not_found, "{}: not a file", key);
    return std::make_unique<FsReader>(std::move(*fd), static_cast<int64_t>(st.st_size));
  }

  Result<std::unique_ptr<Appender>> append(std::string_view key) override {
    auto dir = make_parents(key);
    if (!dir) return std::unexpected(dir.error());
    auto fd = m_root.open_file(key, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (!fd) return std::unexpected(fd.error());
    struct stat st {};
    if (::fstat(fd->get(), &st) != 0) return fail_errno("fstat");
    return std::make_unique<FsAppender>(std::move(*fd), static_cast<int64_t>(st.st_size));
  }

  Status truncate(std::string_view key, int64_t size) override {
    auto fd = m_root.open_file(key, O_WRONLY | O_CLOEXEC);
    if (!fd) return std::unexpected(fd.error());
    if (::ftruncate(fd->get(), size) != 0) return fail_errno("truncate");
    return {};
  }

  Usage usage() const override {
    struct statvfs vfs {};
    if (::fstatvfs(m_root.fd(), &vfs) != 0) return {};
    return Usage{static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize)};
  }

 private:
  Status write(std::string_view key, std::string_view data, bool durable) {
    auto dir = make_parents(key);
    if (!dir) return std::unexpected(dir.error());
    std::string_view name = key.substr(key.rfind('/') + 1);
    if (auto st = os::write_file_atomic(*dir, name, data, 0644, durable); !st) return st;
    return durable ? dir->fsync() : Status{};
  }

  // Creates the directories above key and returns the innermost one.
  Result<os::Dir> make_parents(std::string_view key) const {
    std::string_view parent = parent_of(key);
    if (parent.empty()) return m_root.open_dir(".");
    if (auto d = m_root.open_dir(parent)) return d;
    os::Dir cur;
    size_t pos = 0;
    while (pos <= parent.size()) {
      size_t slash = parent.find('/', pos);
      if (slash == std::string_view::npos) slash = parent.size();
      auto next = (cur.valid() ? cur : m_root).make_dir(parent.substr(pos, slash - pos));
      if (!next) return std::unexpected(next.error());
      cur = std::move(*next);
      pos = slash + 1;
    }
    return cur;
  }

  os::Dir m_root;
};

}  // namespace

Result<std::unique_ptr<Driver>> filesystem_driver(const std::string& root) {
  auto dir = os::Dir::create(root, 0755);
  if (!dir) return std::unexpected(dir.error().context("registry storage " + root));
  return std::unique_ptr<Driver>(std::make_unique<FsDriver>(std::move(*dir)));
}

}  // namespace kiln::registry::server
