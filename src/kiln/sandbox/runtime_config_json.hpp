// Internal to sandbox/: a SandboxSpec as an OCI runtime-spec config.json (runtime-spec 1.0.2)
// for runc or crun. The root filesystem is state_dir/rootfs, already mounted by the caller.
#pragma once

#include <string>

#include "kiln/sandbox/spec.hpp"
#include "kiln/sandbox/users.hpp"

namespace kiln::sandbox::detail {

// init: host path of kiln-init, bind-mounted read-only at /dev/init and run as PID 1 in front
// of the command.
Result<std::string> runtime_config(const SandboxSpec& spec, const ResolvedUser& user,
                                   const std::string& init);

}  // namespace kiln::sandbox::detail
