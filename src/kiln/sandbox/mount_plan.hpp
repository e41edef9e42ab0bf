// The sandbox's file system setup as a list of operations, computed before anything forks
// (DESIGN.md habit 5) and executed inside the new mount namespace by mount_exec.hpp.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "kiln/sandbox/spec.hpp"

namespace kiln::sandbox {

struct MountOp {
  enum class Kind {
    mount,       // mount(source, target, fstype, flags, data); bind when fstype is empty
    remount_ro,  // make an existing bind mount at target read-only
    mknod,       // character device `dev` (falls back to a bind of the host's /dev node)
    symlink,     // target -> source
    mask,        // hide target: /dev/null over a file, an empty read-only tmpfs over a dir
    readonly,    // bind target onto itself read-only (when it exists)
  } kind = Kind::mount;
  std::string source, target, fstype, data;
  unsigned long flags = 0;
  bool file = false;      // the mount point is a file, not a directory
  bool optional = false;  // a failure is ignored (sysfs falls back, masks of missing paths)
  dev_t dev = 0;
};

// The plan for `spec`: /proc, /dev (devices, pts, shm, mqueue), /sys, the /etc files from
// state_dir, the spec's mounts, masked paths, and the read-only root remount last.
// Targets are paths inside the sandbox's root.
Result<std::vector<MountOp>> plan_mounts(const SandboxSpec& spec);

// Docker's default masked and read-only paths.
const std::vector<std::string>& masked_paths();
const std::vector<std::string>& readonly_paths();

}  // namespace kiln::sandbox
