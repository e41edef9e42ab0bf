#include "kiln/sandbox/child.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "kiln/base/strings.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/sandbox/mount_exec.hpp"
#include "kiln/sandbox/reaper.hpp"
#include "kiln/sandbox/seccomp.hpp"

namespace kiln::sandbox::detail {

namespace {

[[noreturn]] void fail_with(const ChildPlan& plan, const Error& e) {
  report_and_exit(plan.error_fd, k_setup_failed, e.code(), e.message());
}

sigset_t forwarded_set(bool with_chld) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : forwarded_signals()) sigaddset(&set, s);
  if (with_chld) sigaddset(&set, SIGCHLD);
  return set;
}

// parent: the PID the caller saw for its parent before fork, or 0 when it cannot see it (the
// first process of a new PID namespace).
void die_with_parent(pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (parent != 0 && getppid() != parent) _exit(k_setup_failed);  // it died before prctl
}

// Waits for `child`, forwarding the signals in the blocked set to it; exits with its status.
// As PID 1 it also reaps every orphan the namespace hands it.
[[noreturn]] void supervise(pid_t child) {
  sigset_t set = forwarded_set(true);
  _exit(reap_until_exit(child, set));
}

void noop_handler(int) {}

Status set_identity(const ChildPlan& plan, const ResolvedUser& user) {
  const auto& spec = *plan.spec;
  for (int cap = 0; cap <= plan.last_cap; ++cap)
    if (!(plan.caps & (uint64_t{1} << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      return fail_errno(fmt::format("drop capability {} from the bounding set", cap));
  if (spec.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail_errno("set no_new_privs");
  if (spec.seccomp) KILN_TRY(load_default_seccomp(plan.caps, spec.no_new_privs));
  if (setgroups(user.groups.size(), user.groups.data()) != 0) return fail_errno("setgroups");
  if (setresgid(user.gid, user.gid, user.gid) != 0)
    return fail_errno(fmt::format("setgid {}", user.gid));
  if (setresuid(user.uid, user.uid, user.uid) != 0)
    return fail_errno(fmt::format("setuid {}", user.uid));
  // uid 0 keeps the set; for any other user the kernel cleared permitted and effective on
  // setuid, as Docker leaves a non-root process.
  uint64_t keep = user.uid == 0 ? plan.caps : 0;
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    auto word = static_cast<uint32_t>(keep >> (32 * i));
    data[i].effective = data[i].permitted = data[i].inheritable = word;
  }
  if (syscall(SYS_capset, &hdr, data) != 0) return fail_errno("capset");
  return {};
}

Status apply_rlimits(const SandboxSpec& spec) {
  for (const auto& r : spec.rlimits) {
    struct rlimit want {
      r.soft, r.hard
    };
    if (setrlimit(r.resource, &want) == 0) continue;
    if (errno != EPERM) return fail_errno(fmt::format("setrlimit {}", r.resource));
    // Without CAP_SYS_RESOURCE the hard limit cannot be raised: keep the host's.
    struct rlimit cur {};
    getrlimit(r.resource, &cur);
    want.rlim_max = cur.rlim_max;
    if (want.rlim_cur > cur.rlim_max) want.rlim_cur = cur.rlim_max;
    setrlimit(r.resource, &want);
  }
  return {};
}

[[noreturn]] void run_process(const ChildPlan& plan, const ResolvedUser& user) {
  const auto& spec = *plan.spec;
  sigset_t none;
  sigemptyset(&none);
  for (int s : forwarded_signals()) signal(s, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setsid();
  if (plan.tty_slave >= 0) {
    ioctl(plan.tty_slave, TIOCSCTTY, 0);
    for (int fd = 0; fd < 3; ++fd) dup2(plan.tty_slave, fd);
  } else {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(plan.stdio.in >= 0 ? plan.stdio.in : null_fd, 0);
    dup2(plan.stdio.out >= 0 ? plan.stdio.out : null_fd, 1);
    dup2(plan.stdio.err >= 0 ? plan.stdio.err : null_fd, 2);
  }
  if (auto st = apply_rlimits(spec); !st) fail_with(plan, st.error());
  umask(spec.umask);
  if (chdir(spec.cwd.c_str()) != 0)
    report_and_exit(plan.error_fd, k_setup_failed, Errc::not_found,
                    fmt::format("chdir to working directory {:?}: {}", spec.cwd, strerror(errno)));
  if (auto st = set_identity(plan, user); !st) fail_with(plan, st.error());
  exec_command(plan, user);
}

Result<ResolvedUser> lookup_user(const std::string& spec_user) {
  auto root = KILN_TRY(os::Dir::open("/"));
  auto passwd = os::read_file_at(root, "etc/passwd");
  auto group = os::read_file_at(root, "etc/group");
  return resolve_user(spec_user, passwd ? *passwd : "", group ? *group : "");
}

Status make_cwd(const std::string& cwd) {
  std::string sofar;
  for (const auto& c : split(cwd, '/')) {
    if (c.empty()) continue;
    sofar += "/" + c;
    if (mkdir(sofar.c_str(), 0755) != 0 && errno != EEXIST)
      return fail_errno(fmt::format("create working directory {}", cwd));
  }
  return {};
}

// The root filesystem is mounted first (overlayfs needs the host's privileges: its trusted.*
// whiteout markers are not readable from a user namespace), then the shim enters a new user
// namespace, kiln writes its identity id maps, and the other namespaces are created inside it,
// so that they belong to it.
void enter_user_namespace(const ChildPlan& plan) {
  const auto& spec = *plan.spec;
  if (unshare(CLONE_NEWNS) != 0)
    fail_with(plan, Error(Errc::permission_denied, "unshare mount namespace"));
  if (auto st = mount_rootfs(spec.rootfs, spec.state_dir + "/rootfs"); !st)
    fail_with(plan, st.error());
  if (unshare(CLONE_NEWUSER) != 0)
    report_and_exit(plan.error_fd, k_setup_failed, Errc::permission_denied,
                    fmt::format("create a user namespace: {}", strerror(errno)));
  char byte = 1;
  if (write(plan.userns_socket, &byte, 1) != 1 || read(plan.userns_socket, &byte, 1) != 1)
    fail_with(plan, Error(Errc::io, "kiln did not write the user namespace's id maps"));
  close(plan.userns_socket);
  if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
    fail_with(plan, Error(Errc::permission_denied, "become root in the user namespace"));
}

// The terminal lives in the sandbox's own devpts (so ttyname() works inside, as with runc);
// kiln gets the master side.
Status open_sandbox_pty(const ChildPlan& plan) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return fail_errno("open /dev/ptmx");
  Fd m(master);
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) != 0) return fail_errno("unlock the pseudo-terminal");
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (slave < 0) return fail_errno("open the pseudo-terminal's peer");
  plan.tty_slave = slave;
  KILN_TRY(send_fd(plan.tty_socket, master));
  close(plan.tty_socket);
  return {};
}

// PID 1 of the new namespace.
[[noreturn]] void run_init(const ChildPlan& plan, pid_t shim) {
  const auto& spec = *plan.spec;
  (void)shim;
  die_with_parent(0);
  std::string root = spec.state_dir + "/rootfs";
  // With a user namespace the shim mounted the root before entering it; that mount is locked
  // here (it came from a more privileged namespace) and pivot_root refuses locked mounts, so
  // the root is bound onto itself first, as bubblewrap does.
  if (!spec.user_namespace) {
    if (auto st = mount_rootfs(spec.rootfs, root); !st) fail_with(plan, st.error());
  } else if (mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    fail_with(plan,
              Error(Errc::permission_denied, fmt::format("bind {}: {}", root, strerror(errno))));
  }
  if (auto st = execute_mounts(root, plan.mounts); !st) fail_with(plan, st.error());
  if (sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
    fail_with(plan, Error(Errc::io, "sethostname failed"));
  if (spec.network == Network::none)
    if (auto st = loopback_up(); !st) fail_with(plan, st.error());
  if (auto st = enter_root(root); !st) fail_with(plan, st.error());
  auto user = lookup_user(spec.user);
  if (!user) fail_with(plan, user.error());
  if (plan.tty_socket >= 0)
    if (auto st = open_sandbox_pty(plan); !st) fail_with(plan, st.error());
  if (!spec.readonly_rootfs)
    if (auto st = make_cwd(spec.cwd); !st) fail_with(plan, st.error());
  struct sigaction sa {};
  sa.sa_handler = noop_handler;
  for (int s : forwarded_signals()) sigaction(s, &sa, nullptr);
  pid_t child = fork();
  if (child < 0) fail_with(plan, Error(Errc::io, "fork failed"));
  if (child == 0) run_process(plan, *user);
  close(plan.error_fd);
  if (plan.tty_slave >= 0) close(plan.tty_slave);
  int null_fd = open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) dup2(null_fd, fd);
  supervise(child);
}

}  // namespace

namespace {

// One byte of payload and room for one descriptor, as SCM_RIGHTS needs.
struct FdMessage {
  char byte = 0;
  struct iovec iov {};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  FdMessage() {
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

Status send_fd(int socket, int fd) {
  FdMessage m;
  struct msghdr& msg = m.msg;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(socket, &msg, MSG_NOSIGNAL) != 1) return fail_errno("send the terminal to kiln");
  return {};
}

Result<int> receive_fd(int socket) {
  FdMessage m;
  struct msghdr& msg = m.msg;
  ssize_t n;
  while ((n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n < 0) return fail_errno("receive the terminal");
  if (n == 0) return -1;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return fd;
}

const std::vector<int>& forwarded_signals() {
  static const std::vector<int> s = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  return s;
}

void report_and_exit(int fd, int exit_code, Errc code, const std::string& message) {
  std::string wire = fmt::format("{} {}\n{}", exit_code, static_cast<int>(code), message);
  (void)!write(fd, wire.data(), wire.size());
  _exit(exit_code);
}

std::string lower_strerror(int err) {
  std::string s = strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] + 32);
  return s;
}

std::optional<Report> parse_report(const std::string& wire) {
  auto nl = wire.find('\n');
  if (wire.empty() || nl == std::string::npos) return std::nullopt;
  auto head = split(wire.substr(0, nl), ' ');
  if (head.size() != 2) return std::nullopt;
  auto exit_code = parse_int(head[0]);
  auto code = parse_int(head[1]);
  if (!exit_code || !code || *code < 0 || *code > static_cast<int>(Errc::internal))
    return std::nullopt;
  return Report{static_cast<int>(*exit_code), static_cast<Errc>(*code), wire.substr(nl + 1)};
}

void run_shim(const ChildPlan& plan) {
  const auto& spec = *plan.spec;
  pid_t kiln_pid = getppid();
  die_with_parent(kiln_pid);
  if (spec.user_namespace) enter_user_namespace(plan);
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (spec.network == Network::none) flags |= CLONE_NEWNET;
  if (unshare(flags) != 0)
    report_and_exit(plan.error_fd, k_setup_failed, Errc::permission_denied,
                    fmt::format("create namespaces: {} (kiln run needs root or "
                                "CAP_SYS_ADMIN)",
                                strerror(errno)));
  pid_t self = getpid();
  pid_t init = fork();
  if (init < 0) fail_with(plan, Error(Errc::io, "fork failed"));
  if (init == 0) run_init(plan, self);
  close(plan.error_fd);
  supervise(init);
}

void exec_command(const ChildPlan& plan, const ResolvedUser& user) {
  const auto& spec = *plan.spec;
  std::vector<char*> argv, envp;
  for (const auto& a : spec.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  bool has_home = false;
  for (const auto& e : spec.env) {
    envp.push_back(const_cast<char*>(e.c_str()));
    has_home |= e.starts_with("HOME=");
  }
  // As runc does: HOME from the user's passwd entry ("/" without one) unless the image sets it.
  std::string home = "HOME=" + user.home;
  if (!has_home) envp.push_back(home.data());
  envp.push_back(nullptr);
  const std::string& cmd = spec.args.at(0);
  if (cmd.find('/') != std::string::npos) {
    execve(cmd.c_str(), argv.data(), envp.data());
    int err = errno;
    if (err == ENOENT)
      report_and_exit(plan.error_fd, 127, Errc::not_found,
                      fmt::format("exec: {:?}: stat {}: no such file or directory", cmd, cmd));
    report_and_exit(plan.error_fd, 126, Errc::permission_denied,
                    fmt::format("exec: {:?}: {}", cmd, lower_strerror(err)));
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : spec.env)
    if (e.starts_with("PATH=")) path = e.substr(5);
  int last_err = ENOENT;
  for (const auto& dir : split(path, ':')) {
    std::string full = (dir.empty() ? "." : dir) + "/" + cmd;
    struct stat st {};
    if (stat(full.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    execve(full.c_str(), argv.data(), envp.data());
    last_err = errno;
  }
  if (last_err == ENOENT)
    report_and_exit(plan.error_fd, 127, Errc::not_found,
                    fmt::format("exec: {:?}: executable file not found in $PATH", cmd));
  report_and_exit(plan.error_fd, 126, Errc::permission_denied,
                  fmt::format("exec: {:?}: {}", cmd, lower_strerror(last_err)));
}

}  // namespace kiln::sandbox::detail
