#include "kiln/archive/apply.hpp"
#include "kiln/base/buffer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>
#include <vector>

#include "kiln/archive/path.hpp"
#include "kiln/base/log.hpp"
#include "kiln/base/strings.hpp"

namespace kiln::archive {

namespace {

constexpr std::string_view k_wh = ".wh.";
constexpr std::string_view k_opaque = ".wh..wh..opq";

struct DirTime {
  std::string path;
  struct timespec mtime;
};

class Applier {
 public:
  Applier(const os::Dir& root, TarReader& tar, const ApplyOptions& opts)
      : m_root(root), m_tar(tar), m_opts(opts) {}

  Result<ApplyStats> run() {
    while (true) {
      auto e = KILN_TRY(m_tar.next());
      if (!e) break;
      ++m_stats.entries;
      KILN_TRY_CTX(apply(*e), fmt::format("entry {}", e->path));
    }
    // Directory times last: creating children changes them.
    for (const auto& d : m_dir_times) {
      struct timespec ts[2] = {d.mtime, d.mtime};
      if (d.path.empty()) continue;
      auto comps = clean_components(d.path);
      auto parent = open_parent(comps, false);
      if (!parent) continue;
      utimensat(parent->get(), comps.back().c_str(), ts, AT_SYMLINK_NOFOLLOW);
    }
    return m_stats;
  }

 private:
  // Opens (O_PATH) the directory holding the last component, creating missing parents.
  Result<Fd> open_parent(const std::vector<std::string>& comps, bool create) {
    std::vector<std::string> parent(comps.begin(), comps.end() - 1);
    std::string p = parent.empty() ? "." : join(parent, "/");
    auto fd = m_root.open_in_root(p, O_PATH | O_DIRECTORY);
    if (fd || !create || fd.error().code() != Errc::not_found) return fd;
    // Create the missing components one by one, each inside the root.
    Fd cur = KILN_TRY(m_root.open_in_root(".", O_PATH | O_DIRECTORY));
    std::string sofar;
    for (const auto& c : parent) {
      sofar = sofar.empty() ? c : sofar + "/" + c;
      auto next = m_root.open_in_root(sofar, O_PATH | O_DIRECTORY);
      if (!next) {
        if (next.error().code() != Errc::not_found) return next;
        if (mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST)
          return fail_errno(fmt::format("create directory {}", sofar));
        next = KILN_TRY(m_root.open_in_root(sofar, O_PATH | O_DIRECTORY));
      }
      cur = std::move(*next);
    }
    return cur;
  }

  Status remove_at(int pfd, const std::string& name, const std::string& display) {
    os::Dir parent(Fd(dup(pfd)), display);
    return parent.remove_all(name);
  }

  Status whiteout(const std::vector<std::string>& comps, const std::string& name) {
    auto pfd = KILN_TRY(open_parent(comps, true));
    std::string parent_path = join(std::vector<std::string>(comps.begin(), comps.end() - 1), "/");
    if (m_opts.overlay_whiteouts) return overlay_whiteout(pfd.get(), name, parent_path);
    if (name == k_opaque) {
      os::Dir parent(Fd(dup(pfd.get())), parent_path);
      auto children = KILN_TRY(parent.list());
      for (const auto& c : children) {
        std::string child = parent_path.empty() ? c : parent_path + "/" + c;
        if (!m_created.contains(child)) KILN_TRY(parent.remove_all(c));
      }
      return {};
    }
    std::string target = name.substr(k_wh.size());
    if (target.empty() || target == "." || target == "..")
      return fail(Errc::invalid_argument, "malformed whiteout name");
    return remove_at(pfd.get(), target, parent_path);
  }

  Status overlay_whiteout(int pfd, const std::string& name, const std::string& parent_path) {
    if (name == k_opaque) {
      Fd dir(openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!dir.valid() || fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) != 0)
        return fail_errno(fmt::format("mark {} opaque", parent_path.empty() ? "/" : parent_path));
      return {};
    }
    std::string target = name.substr(k_wh.size());
    if (target.empty() || target == "." || target == "..")
      return fail(Errc::invalid_argument, "malformed whiteout name");
    KILN_TRY(remove_at(pfd, target, parent_path));
    if (mknodat(pfd, target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
      return fail_errno(fmt::format("create whiteout for {}", target));
    m_created.insert(parent_path.empty() ? target : parent_path + "/" + target);
    return {};
  }

  Status apply(const Entry& e) {
    auto comps = clean_components(e.path);
    if (comps.empty()) return {};  // the root itself
    std::string path = join(comps, "/");
    const std::string& name = comps.back();
    if (m_opts.whiteouts && name.starts_with(k_wh)) return whiteout(comps, name);

    auto pfd = KILN_TRY(open_parent(comps, true));
    struct stat st {};
    bool exists = fstatat(pfd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(e.type == EntryType::dir && S_ISDIR(st.st_mode)))
      KILN_TRY(remove_at(pfd.get(), name, path));

    Fd data_fd;
    switch (e.type) {
      case EntryType::dir:
        if (!exists || !S_ISDIR(st.st_mode))
          if (mkdirat(pfd.get(), name.c_str(), 0700) != 0) return fail_errno("create directory");
        break;
      case EntryType::file:
        data_fd = KILN_TRY(write_file(pfd.get(), name, e));
        break;
      case EntryType::symlink:
        if (symlinkat(e.linkname.c_str(), pfd.get(), name.c_str()) != 0)
          return fail_errno("create symlink");
        break;
      case EntryType::hardlink:
        KILN_TRY(hardlink(pfd.get(), name, e));
        break;
      case EntryType::chardev:
      case EntryType::blockdev:
      case EntryType::fifo: {
        mode_t type = e.type == EntryType::chardev    ? S_IFCHR
                      : e.type == EntryType::blockdev ? S_IFBLK
                                                      : S_IFIFO;
        if (mknodat(pfd.get(), name.c_str(), type | (e.mode & 0777),
                    makedev(e.devmajor, e.devminor)) != 0) {
          if (errno == EPERM && e.type != EntryType::fifo) {
            ++m_stats.skipped_devices;
            log::debug("skipping device {}: not permitted", path);
            return {};
          }
          return fail_errno("create special file");
        }
        break;
      }
    }
    m_created.insert(path);
    if (e.type == EntryType::hardlink) return {};
    return set_metadata(pfd.get(), name, path, e, data_fd);
  }

  Result<Fd> write_file(int pfd, const std::string& name, const Entry& e) {
    int fd = openat(pfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail_errno("create file");
    Fd owner(fd);
    int64_t written = 0;
    while (true) {
      size_t n = KILN_TRY(m_tar.read(m_buf.data(), m_buf.size()));
      if (n == 0) break;
      m_stats.bytes += static_cast<int64_t>(n);
      if (m_opts.max_bytes >= 0 && m_stats.bytes > m_opts.max_bytes)
        return failf(Errc::invalid_argument, "layer expands beyond the limit of {} bytes",
                     m_opts.max_bytes);
      KILN_TRY(os::write_all(fd, m_buf.data(), n));
      written += static_cast<int64_t>(n);
    }
    if (written != e.size)
      return failf(Errc::corrupt, "file data is {} bytes, header says {}", written, e.size);
    return owner;
  }

  Status hardlink(int pfd, const std::string& name, const Entry& e) {
    auto lcomps = clean_components(e.linkname);
    if (lcomps.empty()) return fail(Errc::invalid_argument, "hardlink to the root directory");
    auto tpfd =
        KILN_TRY_CTX(open_parent(lcomps, false), fmt::format("hardlink target {}", e.linkname));
    if (linkat(tpfd.get(), lcomps.back().c_str(), pfd, name.c_str(), 0) != 0)
      return fail_errno(fmt::format("hardlink to {}", e.linkname));
    return {};
  }

  Status set_metadata(int pfd, const std::string& name, const std::string& path, const Entry& e,
                      const Fd& data_fd) {
    if (m_opts.same_owner && fchownat(pfd, name.c_str(), e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno("chown");
    if (e.type != EntryType::symlink) {
      if (fchmodat(pfd, name.c_str(), e.mode & 07777, 0) != 0) return fail_errno("chmod");
      if (!e.xattrs.empty()) {
        Fd fd;
        int target = data_fd.get();
        if (target < 0) {
          fd.reset(openat(pfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
          target = fd.get();
        }
        for (const auto& [k, v] : e.xattrs)
          if (target >= 0 && fsetxattr(target, k.c_str(), v.data(), v.size(), 0) != 0 &&
              errno != ENOTSUP && errno != EPERM)
            return fail_errno(fmt::format("set xattr {}", k));
      }
    }
    struct timespec ts[2] = {{e.mtime, e.mtime_nsec}, {e.mtime, e.mtime_nsec}};
    if (e.type == EntryType::dir) {
      m_dir_times.push_back({path, ts[0]});
      return {};
    }
    if (utimensat(pfd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return fail_errno("set times");
    return {};
  }

  const os::Dir& m_root;
  TarReader& m_tar;
  const ApplyOptions& m_opts;
  Buffer m_buf{1 << 20};
  ApplyStats m_stats;
  std::set<std::string> m_created;
  std::vector<DirTime> m_dir_times;
};

}  // namespace

Result<ApplyStats> apply_layer(const os::Dir& root, TarReader& tar, const ApplyOptions& opts) {
  Applier a(root, tar, opts);
  return a.run();
}

}  // namespace kiln::archive
