#include "kiln/archive/walk.hpp"
#include "kiln/base/buffer.hpp"

#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "kiln/os/dir.hpp"

namespace kiln::archive {

namespace {

constexpr std::string_view k_whiteout_prefix = ".wh.";
constexpr std::string_view k_opaque = ".wh..wh..opq";

bool keep_xattr(std::string_view name) {
  if (name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.")) return false;
  return name == "security.capability" || name.starts_with("user.") || name.starts_with("trusted.");
}

std::optional<std::string> get_xattr(int fd, const char* name) {
  char buf[256];
  ssize_t n = fgetxattr(fd, name, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

Result<std::map<std::string, std::string>> read_xattrs(int fd, const std::string& path) {
  std::map<std::string, std::string> out;
  ssize_t len = flistxattr(fd, nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP || errno == EOPNOTSUPP) return out;
    return fail_errno(fmt::format("list xattrs of {}", path));
  }
  std::string names(static_cast<size_t>(len), '\0');
  len = flistxattr(fd, names.data(), names.size());
  if (len < 0) return fail_errno(fmt::format("list xattrs of {}", path));
  names.resize(static_cast<size_t>(len));
  for (size_t pos = 0; pos < names.size();) {
    std::string name = names.c_str() + pos;
    pos += name.size() + 1;
    if (!keep_xattr(name)) continue;
    ssize_t vlen = fgetxattr(fd, name.c_str(), nullptr, 0);
    if (vlen < 0) continue;
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (vlen < 0) continue;
    value.resize(static_cast<size_t>(vlen));
    out[name] = value;
  }
  return out;
}

class Walker {
 public:
  Walker(TarWriter& tar, const WalkOptions& opts) : m_tar(tar), m_opts(opts) {}

  Status walk_dir(const os::Dir& dir, const std::string& prefix, const os::Dir* base = nullptr) {
    auto names = KILN_TRY(dir.list());
    std::sort(names.begin(), names.end());
    if (!base) {
      for (const auto& name : names) KILN_TRY(visit(dir, name, prefix + name));
      return {};
    }
    auto base_names = KILN_TRY(base->list());
    std::sort(base_names.begin(), base_names.end());
    for (const auto& gone : base_names)
      if (!std::binary_search(names.begin(), names.end(), gone)) {
        Entry w;
        w.path = prefix + std::string(k_whiteout_prefix) + gone;
        w.type = EntryType::file;
        w.mode = 0;
        w.mtime = m_opts.clamp_mtime.value_or(0);
        KILN_TRY(add(w));
      }
    for (const auto& name : names) {
      if (!std::binary_search(base_names.begin(), base_names.end(), name)) {
        KILN_TRY(visit(dir, name, prefix + name));
        continue;
      }
      KILN_TRY(visit_changed(dir, *base, name, prefix + name));
    }
    return {};
  }

 private:
  // Adds an entry, after the unchanged parent directories it sits in.
  Status add(const Entry& e) {
    for (const auto& p : m_pending) KILN_TRY(m_tar.add(p));
    m_pending.clear();
    return m_tar.add(e);
  }

  static bool same(const struct stat& a, const struct stat& b) {
    return a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid &&
           a.st_size == b.st_size && a.st_rdev == b.st_rdev &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
  }

  // `name` exists in both trees: emit it when it differs, and look inside directories.
  Status visit_changed(const os::Dir& dir, const os::Dir& base, const std::string& name,
                       const std::string& path) {
    auto st = KILN_TRY(dir.stat(name));
    auto bst = KILN_TRY(base.stat(name));
    if ((st.st_mode & S_IFMT) != (bst.st_mode & S_IFMT)) return visit(dir, name, path);
    if (!S_ISDIR(st.st_mode)) {
      if (same(st, bst) && !S_ISLNK(st.st_mode)) return {};
      if (S_ISLNK(st.st_mode)) {
        char a[4096], b[4096];
        ssize_t na = readlinkat(dir.fd(), name.c_str(), a, sizeof a);
        ssize_t nb = readlinkat(base.fd(), name.c_str(), b, sizeof b);
        if (same(st, bst) && na == nb && na >= 0 && std::memcmp(a, b, na) == 0) return {};
      }
      return visit(dir, name, path);
    }
    auto sub = KILN_TRY(dir.open_dir(name));
    auto base_sub = KILN_TRY(base.open_dir(name));
    Entry e = base_entry(st, path + "/");
    e.type = EntryType::dir;
    if (m_opts.xattrs) e.xattrs = KILN_TRY(read_xattrs(sub.fd(), sub.path()));
    bool changed = st.st_mode != bst.st_mode || st.st_uid != bst.st_uid || st.st_gid != bst.st_gid;
    if (changed) {
      KILN_TRY(add(e));
    } else {
      m_pending.push_back(e);
    }
    size_t depth = m_pending.size();
    KILN_TRY(walk_dir(sub, path + "/", &base_sub));
    if (!changed && m_pending.size() == depth) m_pending.pop_back();
    return {};
  }

  Entry base_entry(const struct stat& st, std::string path) {
    Entry e;
    e.path = std::move(path);
    e.mode = st.st_mode & 07777;
    e.uid = st.st_uid;
    e.gid = st.st_gid;
    e.mtime = st.st_mtim.tv_sec;
    e.mtime_nsec = static_cast<int32_t>(st.st_mtim.tv_nsec);
    if (m_opts.clamp_mtime) {
      e.mtime = std::min<int64_t>(e.mtime, *m_opts.clamp_mtime);
      e.mtime_nsec = 0;
    }
    return e;
  }

  Status visit(const os::Dir& dir, const std::string& name, const std::string& path) {
    auto st = KILN_TRY(dir.stat(name));
    Entry e = base_entry(st, path);
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR:
        return visit_dir(dir, name, path, std::move(e));
      case S_IFREG:
        return visit_file(dir, name, st, std::move(e));
      case S_IFLNK: {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = readlinkat(dir.fd(), name.c_str(), target.data(), target.size());
        if (n < 0) return fail_errno(fmt::format("read symlink {}", dir.child_path(name)));
        target.resize(static_cast<size_t>(n));
        e.type = EntryType::symlink;
        e.linkname = target;
        return add(e);
      }
      case S_IFCHR:
        if (m_opts.overlay_whiteouts && st.st_rdev == 0) {
          size_t slash = path.rfind('/');
          std::string parent = slash == std::string::npos ? "" : path.substr(0, slash + 1);
          e.path = parent + std::string(k_whiteout_prefix) + name;
          e.type = EntryType::file;
          e.mode = 0;
          e.size = 0;
          return add(e);
        }
        e.type = EntryType::chardev;
        e.devmajor = major(st.st_rdev);
        e.devminor = minor(st.st_rdev);
        return add(e);
      case S_IFBLK:
        e.type = EntryType::blockdev;
        e.devmajor = major(st.st_rdev);
        e.devminor = minor(st.st_rdev);
        return add(e);
      case S_IFIFO:
        e.type = EntryType::fifo;
        return add(e);
      case S_IFSOCK:
        return {};  // sockets are not archived (as docker and tar do)
      default:
        return failf(Errc::unsupported, "{}: unsupported file type", dir.child_path(name));
    }
  }

  Status visit_dir(const os::Dir& dir, const std::string& name, const std::string& path, Entry e) {
    auto sub = KILN_TRY(dir.open_dir(name));
    e.type = EntryType::dir;
    e.path = path + "/";
    if (m_opts.xattrs) e.xattrs = KILN_TRY(read_xattrs(sub.fd(), sub.path()));
    KILN_TRY(add(e));
    if (m_opts.overlay_whiteouts) {
      auto opq = get_xattr(sub.fd(), "trusted.overlay.opaque");
      if (!opq) opq = get_xattr(sub.fd(), "user.overlay.opaque");
      if (opq && *opq == "y") {
        Entry w = e;
        w.path = path + "/" + std::string(k_opaque);
        w.type = EntryType::file;
        w.mode = 0;
        w.xattrs.clear();
        KILN_TRY(add(w));
      }
    }
    return walk_dir(sub, path + "/");
  }

  Status visit_file(const os::Dir& dir, const std::string& name, const struct stat& st, Entry e) {
    if (st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto it = m_links.find(key);
      if (it != m_links.end()) {
        e.type = EntryType::hardlink;
        e.linkname = it->second;
        return add(e);
      }
      m_links[key] = e.path;
    }
    auto fd = KILN_TRY(dir.open_file(name, O_RDONLY | O_NOFOLLOW));
    e.type = EntryType::file;
    e.size = st.st_size;
    if (m_opts.xattrs) e.xattrs = KILN_TRY(read_xattrs(fd.get(), dir.child_path(name)));
    KILN_TRY(add(e));
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), m_buf.data(), std::min<size_t>(m_buf.size(), left));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno(fmt::format("read {}", dir.child_path(name)));
      }
      if (n == 0)
        return failf(Errc::conflict, "{}: file shrank while it was being archived",
                     dir.child_path(name));
      KILN_TRY(m_tar.write_data(m_buf.data(), static_cast<size_t>(n)));
      left -= n;
    }
    return {};
  }

  TarWriter& m_tar;
  const WalkOptions& m_opts;
  std::map<std::pair<dev_t, ino_t>, std::string> m_links;
  std::vector<Entry> m_pending;  // unchanged directories above the next changed entry
  Buffer m_buf{1 << 20};
};

}  // namespace

Status write_tree(const os::Dir& root, TarWriter& tar, const WalkOptions& opts) {
  Walker w(tar, opts);
  return w.walk_dir(root, "", opts.base);
}

}  // namespace kiln::archive
