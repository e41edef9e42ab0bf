#include "kiln/sandbox/mount_plan.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kiln/base/strings.hpp"

namespace kiln::sandbox {

namespace {

constexpr unsigned long k_nosuid_nodev_noexec = MS_NOSUID | MS_NODEV | MS_NOEXEC;

MountOp fs(std::string fstype, std::string target, unsigned long flags, std::string data = "") {
  MountOp op;
  op.fstype = fstype;
  op.source = fstype;
  op.target = std::move(target);
  op.flags = flags;
  op.data = std::move(data);
  return op;
}

MountOp bind(std::string source, std::string target, bool file) {
  MountOp op;
  op.source = std::move(source);
  op.target = std::move(target);
  op.flags = MS_BIND | MS_REC;
  op.file = file;
  return op;
}

// An operation on an existing target (remount, mask, read-only bind, ...).
MountOp on(MountOp::Kind kind, std::string target, bool optional = false) {
  MountOp op;
  op.kind = kind;
  op.target = std::move(target);
  op.optional = optional;
  return op;
}

Status check_target(const std::string& target, std::string_view what) {
  if (target.empty() || target[0] != '/')
    return failf(Errc::invalid_argument, "{} {:?}: the container path must be absolute", what,
                 target);
  for (const auto& c : split(target, '/'))
    if (c == "..")
      return failf(Errc::invalid_argument, "{} {:?}: the container path may not contain \"..\"",
                   what, target);
  return {};
}

}  // namespace

const std::vector<std::string>& masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/asound",        "/proc/acpi",       "/proc/kcore",       "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",          "/sys/firmware"};
  return paths;
}

const std::vector<std::string>& readonly_paths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

namespace {

// /dev as a container sees it: a tmpfs with the standard device nodes, devpts, shm, mqueue
// and the usual links.
void add_dev(std::vector<MountOp>& ops) {
  ops.push_back(fs("tmpfs", "/dev", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
  struct Dev {
    const char* name;
    unsigned major, minor;
  };
  for (Dev d : {Dev{"null", 1, 3}, Dev{"zero", 1, 5}, Dev{"full", 1, 7}, Dev{"random", 1, 8},
                Dev{"urandom", 1, 9}, Dev{"tty", 5, 0}}) {
    MountOp op;
    op.kind = MountOp::Kind::mknod;
    op.target = std::string("/dev/") + d.name;
    op.dev = makedev(d.major, d.minor);
    op.file = true;
    ops.push_back(op);
  }
  ops.push_back(
      fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"));
  ops.push_back(fs("tmpfs", "/dev/shm", k_nosuid_nodev_noexec, "mode=1777,size=65536k"));
  auto mq = fs("mqueue", "/dev/mqueue", k_nosuid_nodev_noexec);
  mq.optional = true;
  ops.push_back(mq);
  for (auto [link, to] : {std::pair{"/dev/ptmx", "pts/ptmx"},
                          {"/dev/fd", "/proc/self/fd"},
                          {"/dev/stdin", "/proc/self/fd/0"},
                          {"/dev/stdout", "/proc/self/fd/1"},
                          {"/dev/stderr", "/proc/self/fd/2"},
                          {"/dev/core", "/proc/kcore"}}) {
    MountOp op;
    op.kind = MountOp::Kind::symlink;
    op.target = link;
    op.source = to;
    ops.push_back(op);
  }
}

// A volume or --tmpfs the user asked for.
Status add_user_mount(std::vector<MountOp>& ops, const Mount& m) {
  if (m.kind == Mount::Kind::tmpfs) {
    KILN_TRY(check_target(m.target, "--tmpfs"));
    std::string data = m.options.empty() ? "mode=1777" : m.options;
    ops.push_back(
        fs("tmpfs", m.target, k_nosuid_nodev_noexec | (m.readonly ? MS_RDONLY : 0), data));
    return {};
  }
  KILN_TRY(check_target(m.target, "volume"));
  if (m.source.empty() || m.source[0] != '/')
    return failf(Errc::invalid_argument, "volume {:?}: the host path must be absolute", m.source);
  struct stat st {};
  bool file = ::stat(m.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
  ops.push_back(bind(m.source, m.target, file));
  if (m.readonly) ops.push_back(on(MountOp::Kind::remount_ro, m.target));
  return {};
}

}  // namespace

Result<std::vector<MountOp>> plan_mounts(const SandboxSpec& spec) {
  std::vector<MountOp> ops;
  ops.push_back(fs("proc", "/proc", k_nosuid_nodev_noexec));
  add_dev(ops);
  // sysfs may only be mounted by the owner of the network namespace; with the host's network,
  // fall back to a read-only bind of the host's /sys.
  auto sys = fs("sysfs", "/sys", k_nosuid_nodev_noexec | MS_RDONLY);
  sys.optional = spec.network == Network::host;
  ops.push_back(sys);
  if (spec.network == Network::host) {
    auto b = bind("/sys", "/sys", false);
    b.optional = true;
    ops.push_back(b);
    ops.push_back(on(MountOp::Kind::remount_ro, "/sys"));
  }
  if (!spec.state_dir.empty()) {
    ops.push_back(bind(spec.state_dir + "/hostname", "/etc/hostname", true));
    if (!spec.etc_hosts.empty()) ops.push_back(bind(spec.state_dir + "/hosts", "/etc/hosts", true));
    if (!spec.resolv_conf.empty())
      ops.push_back(bind(spec.state_dir + "/resolv.conf", "/etc/resolv.conf", true));
  }
  for (const auto& m : spec.mounts) KILN_TRY(add_user_mount(ops, m));
  for (const auto& p : masked_paths()) ops.push_back(on(MountOp::Kind::mask, p, true));
  for (const auto& p : readonly_paths()) ops.push_back(on(MountOp::Kind::readonly, p, true));
  if (spec.readonly_rootfs) ops.push_back(on(MountOp::Kind::remount_ro, "/"));
  return ops;
}

}  // namespace kiln::sandbox
