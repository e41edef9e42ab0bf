// Executes the sandbox's file system setup. Called only inside the sandbox's own mount
// namespace (the child side of the executor), never in kiln's.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kiln/sandbox/mount_plan.hpp"

namespace kiln::sandbox {

// Makes every mount private (nothing propagates back to the host), then mounts the root
// filesystem (overlayfs or a bind of a plain directory) at `mount_point`.
Status mount_rootfs(const RootFs& rootfs, const std::string& mount_point);

// Runs the plan against the root mounted at root_path. Mount targets are created as needed and
// resolved with openat2(RESOLVE_IN_ROOT), so symlinks in the image cannot redirect a mount to
// the host; the mount itself goes through the resolved /proc/self/fd/N.
Status execute_mounts(const std::string& root_path, const std::vector<MountOp>& ops);

// pivot_root into new_root and detach the old root.
Status enter_root(const std::string& new_root);

// Runs fn in a forked child with a mount namespace of its own (so whatever fn mounts, e.g. a
// root filesystem to read or write, is gone when it returns) and returns fn's result, error
// code and message included. Blocks until the child exits.
Status in_private_mount_namespace(const std::function<Status()>& fn);

// Brings the loopback interface of the current network namespace up.
Status loopback_up();

// The overlayfs option string for these layers ("lowerdir=...,upperdir=...,workdir=...").
// Lower dirs with a common parent are given relative to it (`chdir_to`), so that many layers fit
// in the kernel's one-page limit for mount options.
Result<std::string> overlay_options(const RootFs& rootfs, std::string& chdir_to);

}  // namespace kiln::sandbox
