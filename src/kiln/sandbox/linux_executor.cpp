#include "kiln/sandbox/linux_executor.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kiln/os/dir.hpp"
#include "kiln/sandbox/caps.hpp"
#include "kiln/sandbox/child.hpp"
#include "kiln/sandbox/relay.hpp"

namespace kiln::sandbox {

Status prepare_state_dir(const SandboxSpec& spec) {
  if (spec.state_dir.empty()) return fail(Errc::invalid_argument, "sandbox: no state directory");
  if (spec.args.empty()) return fail(Errc::invalid_argument, "no command to run");
  auto dir = KILN_TRY(os::Dir::create(spec.state_dir, 0700));
  KILN_TRY(dir.make_dir("rootfs", 0755));
  KILN_TRY(os::write_file(dir, "hostname", spec.hostname + "\n", 0644));
  if (!spec.etc_hosts.empty()) KILN_TRY(os::write_file(dir, "hosts", spec.etc_hosts, 0644));
  if (!spec.resolv_conf.empty())
    KILN_TRY(os::write_file(dir, "resolv.conf", spec.resolv_conf, 0644));
  return {};
}

namespace {

// A connected pair of unix stream sockets (kiln's end, the children's end).
Status socket_pair(Fd& parent, Fd& child) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail_errno("socketpair");
  parent.reset(sv[0]);
  child.reset(sv[1]);
  return {};
}

// Identity maps for the shim's new user namespace, once it asks (a closed socket means the
// shim failed first: its report says why).
Status write_id_maps(pid_t shim, int socket) {
  char byte = 0;
  if (read(socket, &byte, 1) != 1) return {};
  for (const char* map : {"uid_map", "gid_map"}) {
    auto dir = KILN_TRY(os::Dir::open(fmt::format("/proc/{}", shim)));
    auto fd = KILN_TRY(dir.open_file(map, O_WRONLY));
    KILN_TRY_CTX(os::write_all(fd.get(), "0 0 4294967295\n", 15), fmt::format("write {}", map));
  }
  if (write(socket, &byte, 1) != 1) return fail_errno("resume the sandbox");
  return {};
}

}  // namespace

Result<Outcome> LinuxExecutor::run(const SandboxSpec& spec, const Stdio& stdio) {
  KILN_TRY(prepare_state_dir(spec));
  detail::ChildPlan plan;
  plan.spec = &spec;
  plan.mounts = KILN_TRY(plan_mounts(spec));
  plan.caps = KILN_TRY(capability_mask(spec.capabilities));
  plan.last_cap = last_capability();
  plan.stdio = stdio;
  Fd master, tty_parent, tty_child;
  if (spec.tty) {
    KILN_TRY(socket_pair(tty_parent, tty_child));
    plan.tty_socket = tty_child.get();
  }
  Fd userns_parent, userns_child;
  if (spec.user_namespace) {
    KILN_TRY(socket_pair(userns_parent, userns_child));
    plan.userns_socket = userns_child.get();
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno("pipe");
  Fd report_read(pipe_fds[0]), report_write(pipe_fds[1]);
  plan.error_fd = pipe_fds[1];

  detail::SignalBlock signals;
  pid_t shim = fork();
  if (shim < 0) return fail_errno("fork");
  if (shim == 0) detail::run_shim(plan);
  report_write.reset();
  if (spec.user_namespace) {
    userns_child.reset();
    KILN_TRY(write_id_maps(shim, userns_parent.get()));
  }
  if (spec.tty) {
    tty_child.reset();
    int fd = KILN_TRY(detail::receive_fd(tty_parent.get()));
    master.reset(fd);  // -1 when init failed first: its report says why
    if (master.valid()) detail::copy_winsize(master.get());
  }
  auto waited = KILN_TRY(detail::wait_child(shim, signals, report_read.get(), master.get(),
                                            spec.kill_on_interrupt, spec.cancel));
  if (waited.interrupted) return fail(Errc::cancelled, "interrupted");
  auto report = detail::parse_report(waited.report);
  if (!report) return Outcome{waited.exit_code, {}};
  if (report->exit_code == detail::k_setup_failed) return fail(report->code, report->message);
  return Outcome{report->exit_code, report->message};
}

}  // namespace kiln::sandbox
