#include "kiln/sandbox/mount_exec.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/base/strings.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::sandbox {

namespace {

std::string fd_path(int fd) {
  return fmt::format("/proc/self/fd/{}", fd);
}

std::string relative(std::string_view target) {
  while (target.starts_with('/')) target.remove_prefix(1);
  return target.empty() ? "." : std::string(target);
}

// Opens target (O_PATH) inside root, creating missing directories (and the last component as
// an empty file when `file`). A dangling symlink on the way is followed as the kernel would
// inside the root: its target is created there (as runc does), never on the host.
Result<Fd> ensure_path(const os::Dir& root, const std::string& target, bool file, int depth = 0) {
  if (depth > 40) return failf(Errc::invalid_argument, "mount point {}: too many symlinks", target);
  auto comps = split(relative(target), '/');
  std::erase_if(comps, [](const std::string& c) { return c.empty() || c == "."; });
  Fd cur = KILN_TRY(root.open_in_root(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::string sofar;
  for (size_t i = 0; i < comps.size(); ++i) {
    bool last = i + 1 == comps.size();
    std::string parent = sofar;
    sofar = sofar.empty() ? comps[i] : sofar + "/" + comps[i];
    int flags = O_PATH | O_CLOEXEC | (last && file ? 0 : O_DIRECTORY);
    auto next = root.open_in_root(sofar, flags);
    if (!next) {
      if (next.error().code() != Errc::not_found) return next;
      char link[4096];
      ssize_t n = readlinkat(cur.get(), comps[i].c_str(), link, sizeof link);
      if (n > 0) {
        // A dangling symlink: continue from its target, resolved inside the root.
        std::string to(link, static_cast<size_t>(n));
        std::string rest;
        for (size_t j = i + 1; j < comps.size(); ++j) rest += "/" + comps[j];
        std::string next_path = to.starts_with('/') ? to + rest : "/" + parent + "/" + to + rest;
        return ensure_path(root, next_path, file, depth + 1);
      }
      if (last && file) {
        int fd =
            openat(cur.get(), comps[i].c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
          return fail_errno(fmt::format("create mount point {}", target));
        if (fd >= 0) close(fd);
      } else if (mkdirat(cur.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST) {
        return fail_errno(fmt::format("create mount point {}", target));
      }
      next = KILN_TRY(root.open_in_root(sofar, flags));
    }
    cur = std::move(*next);
  }
  return cur;
}

Status do_mount(const std::string& source, int target_fd, const std::string& fstype,
                unsigned long flags, const std::string& data, const std::string& display) {
  std::string target = fd_path(target_fd);
  if (::mount(source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    return fail_errno(fmt::format("mount {} on {}", fstype.empty() ? source : fstype, display));
  return {};
}

Status remount_ro(const os::Dir& root, const std::string& target) {
  auto fd = KILN_TRY(root.open_in_root(relative(target), O_PATH | O_CLOEXEC));
  std::string path = fd_path(fd.get());
  if (::mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, nullptr) !=
      0) {
    // A mount that carries nosuid/nodev/noexec must keep them when remounted.
    if (::mount(nullptr, path.c_str(), nullptr,
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      return fail_errno(fmt::format("make {} read-only", target));
  }
  return {};
}

Status run_op(const os::Dir& root, const MountOp& op) {
  using K = MountOp::Kind;
  switch (op.kind) {
    case K::mount: {
      auto fd = KILN_TRY(ensure_path(root, op.target, op.file));
      return do_mount(op.source, fd.get(), op.fstype, op.flags, op.data, op.target);
    }
    case K::remount_ro:
      return remount_ro(root, op.target);
    case K::mknod: {
      auto parent = KILN_TRY(ensure_path(root, "/dev", false));
      std::string name = op.target.substr(op.target.rfind('/') + 1);
      if (mknodat(parent.get(), name.c_str(), S_IFCHR | 0666, op.dev) == 0) {
        fchmodat(parent.get(), name.c_str(), 0666, 0);  // umask
        return {};
      }
      // Without CAP_MKNOD (user namespaces), bind the host's node instead.
      auto fd = KILN_TRY(ensure_path(root, op.target, true));
      return do_mount(op.target, fd.get(), "", MS_BIND, "", op.target);
    }
    case K::symlink: {
      std::string dir = op.target.substr(0, op.target.rfind('/'));
      auto parent = KILN_TRY(ensure_path(root, dir.empty() ? "/" : dir, false));
      std::string name = op.target.substr(op.target.rfind('/') + 1);
      if (symlinkat(op.source.c_str(), parent.get(), name.c_str()) != 0 && errno != EEXIST)
        return fail_errno(fmt::format("create symlink {}", op.target));
      return {};
    }
    case K::mask: {
      auto fd = root.open_in_root(relative(op.target), O_PATH | O_CLOEXEC);
      if (!fd) return {};
      struct stat st {};
      if (fstat(fd->get(), &st) != 0) return {};
      if (S_ISDIR(st.st_mode))
        return do_mount("tmpfs", fd->get(), "tmpfs", MS_RDONLY, "size=0", op.target);
      return do_mount("/dev/null", fd->get(), "", MS_BIND, "", op.target);
    }
    case K::readonly: {
      auto fd = root.open_in_root(relative(op.target), O_PATH | O_CLOEXEC);
      if (!fd) return {};
      std::string p = fd_path(fd->get());
      if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return fail_errno(fmt::format("bind {}", op.target));
      return remount_ro(root, op.target);
    }
  }
  return {};
}

}  // namespace

Result<std::string> overlay_options(const RootFs& rootfs, std::string& chdir_to) {
  // A common parent of all lower dirs (their grandparent: snapshots/<id>/fs).
  auto parent_of = [](const std::string& p) {
    auto pos = p.rfind('/');
    return pos == std::string::npos ? std::string() : p.substr(0, pos);
  };
  std::string common = parent_of(parent_of(rootfs.lowers.front()));
  for (const auto& l : rootfs.lowers)
    if (common.empty() || !l.starts_with(common + "/")) common.clear();
  chdir_to = common;
  std::string lower;
  for (auto it = rootfs.lowers.rbegin(); it != rootfs.lowers.rend(); ++it) {
    if (it->find_first_of(":,") != std::string::npos)
      return failf(Errc::invalid_argument, "layer path {:?} contains ':' or ','", *it);
    if (!lower.empty()) lower += ':';
    lower += common.empty() ? *it : it->substr(common.size() + 1);
  }
  std::string data = "lowerdir=" + lower;
  if (!rootfs.upper.empty()) data += ",upperdir=" + rootfs.upper + ",workdir=" + rootfs.work;
  if (data.size() >= 4000)
    return failf(Errc::unsupported,
                 "{} layers do not fit in one overlay mount (options are {} bytes, the limit is "
                 "one page)",
                 rootfs.lowers.size(), data.size());
  return data;
}

Status mount_rootfs(const RootFs& rootfs, const std::string& mount_point) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_errno("make mounts private");
  if (!rootfs.overlay()) {
    if (::mount(rootfs.dir.c_str(), mount_point.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return fail_errno(fmt::format("bind root filesystem {}", rootfs.dir));
    return {};
  }
  std::string chdir_to;
  std::string data = KILN_TRY(overlay_options(rootfs, chdir_to));
  if (!chdir_to.empty() && chdir(chdir_to.c_str()) != 0)
    return fail_errno(fmt::format("chdir {}", chdir_to));
  if (rootfs.volatile_upper && !rootfs.upper.empty() &&
      ::mount("overlay", mount_point.c_str(), "overlay", 0, (data + ",volatile").c_str()) == 0)
    return {};
  if (::mount("overlay", mount_point.c_str(), "overlay", 0, data.c_str()) != 0)
    return fail_errno("mount the overlay root filesystem");
  return {};
}

Status execute_mounts(const std::string& root_path, const std::vector<MountOp>& ops) {
  auto root = KILN_TRY(os::Dir::open(root_path));
  for (const auto& op : ops) {
    auto st = run_op(root, op);
    if (!st && !op.optional) return st;
  }
  return {};
}

Status enter_root(const std::string& new_root) {
  if (chdir(new_root.c_str()) != 0) return fail_errno("chdir to the new root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) return fail_errno("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) return fail_errno("detach the old root");
  if (chdir("/") != 0) return fail_errno("chdir /");
  return {};
}

Status loopback_up() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail_errno("socket");
  Fd owner(s);
  struct ifreq ifr {};
  std::snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return fail_errno("read loopback flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return fail_errno("bring loopback up");
  return {};
}

Status in_private_mount_namespace(const std::function<Status()>& fn) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe");
  Fd rd(fds[0]), wr(fds[1]);
  pid_t p = fork();
  if (p < 0) return fail_errno("fork");
  if (p == 0) {
    rd.reset();
    Status st = unshare(CLONE_NEWNS) != 0 ? fail_errno("create a mount namespace") : fn();
    if (!st) {
      std::string wire =
          fmt::format("{}\n{}", static_cast<int>(st.error().code()), st.error().message());
      (void)os::write_all(wr.get(), wire.data(), wire.size());
      _exit(1);
    }
    _exit(0);
  }
  wr.reset();
  auto report = os::read_fd(rd.get());
  int status = 0;
  while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
  }
  if (report && !report->empty()) {
    auto nl = report->find('\n');
    int code = static_cast<int>(parse_int(report->substr(0, nl)).value_or(0));
    return fail(static_cast<Errc>(code), nl == std::string::npos ? "" : report->substr(nl + 1));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(Errc::internal, "the file operation's process died");
  return {};
}

}  // namespace kiln::sandbox
