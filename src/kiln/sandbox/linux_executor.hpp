// The built-in executor: Linux namespaces and syscalls, no external runtime.
//
// Process tree: kiln -> "shim" (unshares the mount, PID, UTS, IPC and, with network none, net
// namespaces; relays signals and the exit status) -> "init", PID 1 of the new PID namespace
// (mounts the root filesystem and the plan, pivot_root, then reaps zombies and forwards
// signals) -> the user's process (PID 2: identity, capabilities, no_new_privs, seccomp, execve).
// The shim and init die with kiln (PR_SET_PDEATHSIG), and when init exits the kernel kills the
// rest of the namespace, so a killed kiln leaves no process and no mount behind.
#pragma once

#include "kiln/sandbox/spec.hpp"

namespace kiln::sandbox {

class LinuxExecutor final : public Executor {
 public:
  std::string_view name() const override { return "builtin"; }
  Result<Outcome> run(const SandboxSpec& spec, const Stdio& stdio) override;
};

// Writes state_dir/{hostname,hosts,resolv.conf} and creates state_dir/rootfs (shared by both
// executors).
Status prepare_state_dir(const SandboxSpec& spec);

}  // namespace kiln::sandbox
