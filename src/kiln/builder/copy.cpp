#include "kiln/builder/copy.hpp"
#include "kiln/base/buffer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "kiln/archive/apply.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/io/stream.hpp"
#include "kiln/sandbox/users.hpp"

namespace kiln::builder {

namespace {

struct DirTime {
  Fd dir;
  struct timespec mtime;
};

class Copier {
 public:
  Copier(const SourceTree& src, const CopySpec& spec) : m_src(src), m_spec(spec) {}

  // Copies entry `rel` of the source as `name` inside `dst`.
  // The source whose contents are being copied: --exclude patterns match below it.
  void set_base(const std::string& rel) { m_base = rel; }

  Status copy_entry(const std::string& rel, const os::Dir& dst, const std::string& name, bool top) {
    if (!top && excluded(rel)) return {};
    int flags = O_PATH | O_CLOEXEC | (top ? 0 : O_NOFOLLOW);
    auto fd = KILN_TRY(m_src.dir().open_in_root(rel, flags));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", rel));
    // An ignored directory is still walked when a .dockerignore exception may bring back
    // something inside it; it is kept only if something was.
    bool ignored = !top && m_src.ignored(rel);
    if (ignored && !(S_ISDIR(st.st_mode) && m_src.may_reinclude(rel))) return {};
    KILN_TRY(make_room(dst, name, S_ISDIR(st.st_mode)));
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR: {
        bool existed = mkdirat(dst.fd(), name.c_str(), 0755) != 0;
        if (existed && errno != EEXIST) return fail_errno(fmt::format("create {}", name));
        auto sub = KILN_TRY(dst.open_dir(name));
        KILN_TRY(copy_children(rel, sub));
        if (ignored && !existed && KILN_TRY(sub.list()).empty()) return dst.remove_all(name);
        KILN_TRY(set_meta(dst.fd(), name, st, true));
        return {};
      }
      case S_IFREG:
        return copy_file(rel, st, dst, name);
      case S_IFLNK: {
        char target[4096];
        ssize_t n = readlinkat(fd.get(), "", target, sizeof target - 1);
        if (n < 0) return fail_errno(fmt::format("read link {}", rel));
        target[n] = 0;
        if (symlinkat(target, dst.fd(), name.c_str()) != 0)
          return fail_errno(fmt::format("create symlink {}", name));
        return set_meta(dst.fd(), name, st, false);
      }
      default:
        if (mknodat(dst.fd(), name.c_str(), st.st_mode, st.st_rdev) != 0)
          return fail_errno(fmt::format("create {}", name));
        return set_meta(dst.fd(), name, st, false);
    }
  }

  // Copies the children of directory `rel` into `dst`.
  Status copy_children(const std::string& rel, const os::Dir& dst) {
    auto dfd = KILN_TRY(m_src.dir().open_in_root(rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    os::Dir d(std::move(dfd), rel);
    auto names = KILN_TRY(d.list());
    std::sort(names.begin(), names.end());
    for (const auto& n : names) KILN_TRY(copy_entry(rel == "." ? n : rel + "/" + n, dst, n, false));
    return {};
  }

  void finish_times() {
    for (auto& d : m_dir_times) {
      struct timespec ts[2] = {d.mtime, d.mtime};
      futimens(d.dir.get(), ts);
    }
  }

 private:
  bool excluded(const std::string& rel) const {
    if (m_spec.excludes.empty()) return false;
    std::string below = m_base == "."                   ? rel
                        : rel.starts_with(m_base + "/") ? rel.substr(m_base.size() + 1)
                                                        : rel;
    return m_spec.excludes.excluded(below);
  }

  // An existing non-directory (or a directory where a file goes) is replaced.
  Status make_room(const os::Dir& dst, const std::string& name, bool want_dir) {
    struct stat st {};
    if (fstatat(dst.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return {};
    if (want_dir && S_ISDIR(st.st_mode)) return {};
    return dst.remove_all(name);
  }

  Status copy_file(const std::string& rel, const struct stat& st, const os::Dir& dst,
                   const std::string& name) {
    auto in = KILN_TRY(m_src.dir().open_in_root(rel, O_RDONLY | O_CLOEXEC));
    int out =
        openat(dst.fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) return fail_errno(fmt::format("create {}", name));
    Fd owner(out);
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = copy_file_range(in.get(), nullptr, out, nullptr, static_cast<size_t>(left), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL)) {
        Buffer buf(1 << 20);
        while (left > 0) {
          ssize_t r = ::read(in.get(), buf.data(), buf.size());
          if (r <= 0) return fail_errno(fmt::format("read {}", rel));
          KILN_TRY(os::write_all(out, buf.data(), static_cast<size_t>(r)));
          left -= r;
        }
        break;
      }
      if (n < 0) return fail_errno(fmt::format("copy {}", rel));
      if (n == 0) return failf(Errc::conflict, "{} shrank while it was copied", rel);
      left -= n;
    }
    return set_meta(dst.fd(), name, st, false);
  }

  Status set_meta(int dirfd, const std::string& name, const struct stat& st, bool is_dir) {
    uint32_t uid = m_spec.uid ? *m_spec.uid : m_spec.keep_owner ? st.st_uid : 0;
    uint32_t gid = m_spec.gid ? *m_spec.gid : m_spec.keep_owner ? st.st_gid : 0;
    if (fchownat(dirfd, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EPERM)
      return fail_errno(fmt::format("chown {}", name));
    if (!S_ISLNK(st.st_mode)) {
      mode_t mode = m_spec.mode ? *m_spec.mode : (st.st_mode & 07777);
      if (fchmodat(dirfd, name.c_str(), mode, 0) != 0)
        return fail_errno(fmt::format("chmod {}", name));
    }
    struct timespec ts[2] = {st.st_mtim, st.st_mtim};
    if (is_dir) {
      int fd = openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) m_dir_times.push_back({Fd(fd), st.st_mtim});
      return {};
    }
    utimensat(dirfd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
    return {};
  }

  const SourceTree& m_src;
  const CopySpec& m_spec;
  std::string m_base = ".";
  std::vector<DirTime> m_dir_times;
};

std::string base_name(const std::string& rel) {
  auto pos = rel.rfind('/');
  return pos == std::string::npos ? rel : rel.substr(pos + 1);
}

std::string parent_of(const std::string& path) {
  auto pos = path.rfind('/');
  return pos == std::string::npos || pos == 0 ? "/" : path.substr(0, pos);
}

// True when a local file is a tar archive (compressed or not) that ADD extracts.
bool is_archive(const SourceTree& src, const std::string& rel) {
  auto fd = src.dir().open_in_root(rel, O_RDONLY | O_CLOEXEC);
  if (!fd) return false;
  io::FdReader raw(fd->get());
  auto tar = archive::TarReader::open_compressed(raw);
  if (!tar) return false;
  auto first = (*tar)->next();
  return first && *first;
}

// Extracts a local archive into dest.
Status unpack(const SourceTree& src, const std::string& rel, const os::Dir& dest) {
  auto fd = KILN_TRY(src.dir().open_in_root(rel, O_RDONLY | O_CLOEXEC));
  io::FdReader raw(fd.get());
  auto tar = KILN_TRY(archive::TarReader::open_compressed(raw));
  archive::ApplyOptions opts;
  opts.whiteouts = false;
  opts.same_owner = geteuid() == 0;
  KILN_TRY_CTX(archive::apply_layer(dest, *tar, opts), fmt::format("extract {}", rel));
  return {};
}

}  // namespace

Result<os::Dir> make_dirs(const os::Dir& root, std::string_view path, uint32_t uid, uint32_t gid) {
  std::string sofar;
  Fd cur = KILN_TRY(root.open_in_root(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (const auto& c : split(path, '/')) {
    if (c.empty() || c == ".") continue;
    sofar = sofar.empty() ? c : sofar + "/" + c;
    auto next = root.open_in_root(sofar, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!next) {
      if (next.error().code() != Errc::not_found) return std::unexpected(next.error());
      if (mkdirat(cur.get(), c.c_str(), 0755) != 0 && errno != EEXIST)
        return fail_errno(fmt::format("create directory /{}", sofar));
      fchownat(cur.get(), c.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
      fchmodat(cur.get(), c.c_str(), 0755, 0);
      next = KILN_TRY(root.open_in_root(sofar, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    }
    cur = std::move(*next);
  }
  return os::Dir(std::move(cur), "/" + sofar);
}

Result<std::pair<uint32_t, uint32_t>> resolve_chown(const os::Dir& root, std::string_view chown) {
  auto passwd = os::read_file_at(root, "etc/passwd");
  auto group = os::read_file_at(root, "etc/group");
  auto u = KILN_TRY(sandbox::resolve_user(chown, passwd ? *passwd : "", group ? *group : ""));
  // The Dockerfile reference: "a username without groupname or a UID without GID will use the
  // same numeric UID as the GID".
  uint32_t gid = chown.find(':') == std::string_view::npos ? u.uid : u.gid;
  return std::pair{static_cast<uint32_t>(u.uid), gid};
}

Status copy_sources(const SourceTree& src, const std::vector<std::string>& rels,
                    const os::Dir& root, const CopySpec& spec) {
  uint32_t uid = spec.uid.value_or(0), gid = spec.gid.value_or(0);
  Copier copier(src, spec);
  for (const auto& rel : rels) {
    auto fd = KILN_TRY(src.dir().open_in_root(rel, O_PATH | O_CLOEXEC));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", rel));
    std::string dest = spec.dest;
    if (spec.parents && rel != ".") {
      std::string rel_parent = parent_of("/" + rel);
      dest = (dest.ends_with('/') ? dest.substr(0, dest.size() - 1) : dest) +
             (rel_parent == "/" ? "" : rel_parent) + "/";
    }
    copier.set_base(rel);
    if (S_ISDIR(st.st_mode)) {
      auto dst = KILN_TRY(make_dirs(root, dest, uid, gid));
      KILN_TRY(copier.copy_children(rel, dst));
      continue;
    }
    bool into_dir = spec.dest_is_dir || dest.ends_with('/') || spec.parents;
    if (!into_dir) {
      auto existing = root.open_in_root(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
      into_dir = existing.has_value();
    }
    if (spec.unpack && S_ISREG(st.st_mode) && is_archive(src, rel)) {
      // BuildKit extracts into DEST itself, with or without a trailing slash.
      auto dst = KILN_TRY(make_dirs(root, dest, uid, gid));
      KILN_TRY(unpack(src, rel, dst));
      continue;
    }
    std::string dir = into_dir ? dest : parent_of(dest);
    std::string name = into_dir ? base_name(rel) : base_name(dest);
    auto dst = KILN_TRY(make_dirs(root, dir, uid, gid));
    KILN_TRY(copier.copy_entry(rel, dst, name, true));
  }
  copier.finish_times();
  return {};
}

Status copy_heredocs(const std::vector<dockerfile::Heredoc>& docs, const os::Dir& root,
                     const CopySpec& spec) {
  uint32_t uid = spec.uid.value_or(0), gid = spec.gid.value_or(0);
  bool into_dir = spec.dest_is_dir || spec.dest.ends_with('/') || docs.size() > 1 ||
                  root.open_in_root(spec.dest, O_PATH | O_DIRECTORY | O_CLOEXEC).has_value();
  for (const auto& doc : docs) {
    std::string dir = into_dir ? spec.dest : parent_of(spec.dest);
    std::string name = into_dir ? doc.name : base_name(spec.dest);
    auto dst = KILN_TRY(make_dirs(root, dir, uid, gid));
    (void)dst.remove_all(name);
    auto fd = KILN_TRY(
        dst.open_file(name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, spec.mode.value_or(0644)));
    KILN_TRY(os::write_all(fd.get(), doc.content.data(), doc.content.size()));
    fchown(fd.get(), uid, gid);
    fchmod(fd.get(), spec.mode.value_or(0644));
  }
  return {};
}

}  // namespace kiln::builder
