#include "kiln/sandbox/runtime_executor.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/base/strings.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/sandbox/child.hpp"
#include "kiln/sandbox/linux_executor.hpp"
#include "kiln/sandbox/mount_exec.hpp"
#include "kiln/sandbox/relay.hpp"
#include "kiln/sandbox/runtime_config_json.hpp"

namespace kiln::sandbox {

namespace {

using detail::k_setup_failed;

// The command must exist in the root filesystem: report it as `docker run` does (127) instead
// of the runtime's generic failure.
std::optional<std::string> missing_command(const os::Dir& root, const SandboxSpec& spec) {
  const std::string& cmd = spec.args.at(0);
  auto executable = [&](const std::string& p) {
    auto fd = root.open_in_root(p, O_PATH | O_CLOEXEC);
    struct stat st {};
    return fd && fstat(fd->get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
  };
  if (cmd.find('/') != std::string::npos) {
    // Present but not executable: kiln-init reports that (126) as the built-in executor does.
    if (root.open_in_root(cmd, O_PATH | O_CLOEXEC)) return std::nullopt;
    return fmt::format("exec: {:?}: stat {}: no such file or directory", cmd, cmd);
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : spec.env)
    if (e.starts_with("PATH=")) path = e.substr(5);
  for (const auto& dir : split(path, ':'))
    if (executable((dir.empty() ? "." : dir) + "/" + cmd)) return std::nullopt;
  return fmt::format("exec: {:?}: executable file not found in $PATH", cmd);
}

Status prepare_bundle(const SandboxSpec& spec, const std::string& root_path) {
  std::string init = find_helper("kiln-init");
  if (init.empty())
    return fail(Errc::not_found,
                "kiln-init not found next to kiln or in PATH (the OCI runtime executor needs it)");
  KILN_TRY(mount_rootfs(spec.rootfs, root_path));
  auto root = KILN_TRY(os::Dir::open(root_path));
  auto passwd = os::read_file_at(root, "etc/passwd");
  auto group = os::read_file_at(root, "etc/group");
  auto user = KILN_TRY(resolve_user(spec.user, passwd ? *passwd : "", group ? *group : ""));
  auto config = KILN_TRY(detail::runtime_config(spec, user, init));
  auto state = KILN_TRY(os::Dir::open(spec.state_dir));
  return os::write_file(state, "config.json", config, 0600);
}

[[noreturn]] void run_helper(const SandboxSpec& spec, const std::string& runtime, int report_fd,
                             const Stdio& stdio) {
  pid_t kiln_pid = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != kiln_pid) _exit(k_setup_failed);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (unshare(CLONE_NEWNS) != 0)
    detail::report_and_exit(report_fd, k_setup_failed, Errc::permission_denied,
                            fmt::format("create a mount namespace: {}", strerror(errno)));
  std::string root_path = spec.state_dir + "/rootfs";
  if (auto st = prepare_bundle(spec, root_path); !st)
    detail::report_and_exit(report_fd, k_setup_failed, st.error().code(), st.error().message());
  if (auto root = os::Dir::open(root_path)) {
    if (auto missing = missing_command(*root, spec))
      detail::report_and_exit(report_fd, 127, Errc::not_found, *missing);
  }
  if (!spec.tty) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(stdio.in >= 0 ? stdio.in : null_fd, 0);
    dup2(stdio.out >= 0 ? stdio.out : null_fd, 1);
    dup2(stdio.err >= 0 ? stdio.err : null_fd, 2);
  }
  std::string state_root = spec.state_dir + "/runtime";
  std::vector<std::string> args = {runtime,    "--root",       state_root, "run",
                                   "--bundle", spec.state_dir, spec.id};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(runtime.c_str(), argv.data());
  detail::report_and_exit(report_fd, k_setup_failed, Errc::not_found,
                          fmt::format("exec {}: {}", runtime, strerror(errno)));
}

}  // namespace

std::string find_helper(const std::string& name) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    for (const std::string& p : {dir + "/" + name, dir + "/../libexec/kiln/" + name})
      if (access(p.c_str(), X_OK) == 0) return p;
  }
  return find_program(name);
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = getenv("PATH");
  for (const auto& dir : split(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin", ':')) {
    std::string full = dir + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
  }
  return "";
}

Result<Outcome> RuntimeExecutor::run(const SandboxSpec& spec, const Stdio& stdio) {
  std::string runtime = find_program(m_runtime);
  if (runtime.empty())
    return failf(Errc::not_found, "OCI runtime {:?} not found in PATH", m_runtime);
  if (spec.id.empty()) return fail(Errc::invalid_argument, "the runtime needs a container ID");
  KILN_TRY(prepare_state_dir(spec));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno("pipe");
  Fd report_read(pipe_fds[0]), report_write(pipe_fds[1]);
  detail::SignalBlock signals;
  pid_t helper = fork();
  if (helper < 0) return fail_errno("fork");
  if (helper == 0) run_helper(spec, runtime, pipe_fds[1], stdio);
  report_write.reset();
  auto waited = KILN_TRY(detail::wait_child(helper, signals, report_read.get(), -1,
                                            spec.kill_on_interrupt, spec.cancel));
  cleanup_runtime(runtime, spec.state_dir, spec.id);
  if (waited.interrupted) return fail(Errc::cancelled, "interrupted");
  auto report = detail::parse_report(waited.report);
  if (!report) return Outcome{waited.exit_code, {}};
  if (report->exit_code == k_setup_failed) return fail(report->code, report->message);
  return Outcome{report->exit_code, report->message};
}

void cleanup_runtime(const std::string& runtime, const std::string& state_dir,
                     const std::string& id) {
  std::string state_root = state_dir + "/runtime";
  struct stat st {};
  if (::stat((state_root + "/" + id).c_str(), &st) != 0) return;
  std::string bin = find_program(runtime);
  if (bin.empty()) return;
  pid_t p = fork();
  if (p == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execl(bin.c_str(), bin.c_str(), "--root", state_root.c_str(), "delete", "--force", id.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (p > 0)
    while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace kiln::sandbox
