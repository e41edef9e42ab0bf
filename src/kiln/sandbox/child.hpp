// Internal to sandbox/: the parts of a run that execute in forked children, and the tiny wire
// format they use to report a failure to kiln through a close-on-exec pipe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/sandbox/mount_plan.hpp"
#include "kiln/sandbox/spec.hpp"
#include "kiln/sandbox/users.hpp"

namespace kiln::sandbox::detail {

inline constexpr int k_setup_failed = 125;

// Everything the children need, computed before fork.
struct ChildPlan {
  const SandboxSpec* spec = nullptr;
  std::vector<MountOp> mounts;
  uint64_t caps = 0;
  int last_cap = 0;
  int error_fd = -1;    // write end of the report pipe
  int tty_socket = -1;  // with a tty: init opens the pty in the sandbox's devpts and sends
                        // the master over this socket
  mutable int tty_slave = -1;
  int userns_socket = -1;  // with a user namespace: the shim asks kiln to write its id maps
  Stdio stdio;
};

// Writes "<exit code> <errc>\n<message>" to fd and exits with the exit code.
[[noreturn]] void report_and_exit(int fd, int exit_code, Errc code, const std::string& message);
// Parses what report_and_exit wrote ("" when the child exec'd or exited normally).
struct Report {
  int exit_code = 0;
  Errc code = Errc::internal;
  std::string message;
};
std::optional<Report> parse_report(const std::string& wire);

// The shim (see linux_executor.hpp); never returns.
[[noreturn]] void run_shim(const ChildPlan& plan);

// Resolves args[0] against PATH from env and execs, with HOME set from `user` when env has
// none (as runc does); on failure reports 126/127 with Docker's wording. Used by the built-in
// executor's last child.
[[noreturn]] void exec_command(const ChildPlan& plan, const ResolvedUser& user);

// Passing a file descriptor over a unix socket (SCM_RIGHTS).
Status send_fd(int socket, int fd);
Result<int> receive_fd(int socket);  // -1 when the peer closed without sending

// Signals kiln relays to the sandbox.
const std::vector<int>& forwarded_signals();

}  // namespace kiln::sandbox::detail
