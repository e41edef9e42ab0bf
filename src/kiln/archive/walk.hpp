// Writing a directory tree as a layer tar (the "diff" side of a layer).
#pragma once

#include <cstdint>
#include <optional>

#include "kiln/archive/tar.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::archive {

struct WalkOptions {
  // Clamp every mtime to at most this (SOURCE_DATE_EPOCH); also drops sub-second parts.
  std::optional<int64_t> clamp_mtime;
  // Treat the tree as an overlayfs upper dir: 0/0 character devices become ".wh.NAME" and
  // directories with trusted.overlay.opaque=y get a ".wh..wh..opq" entry.
  bool overlay_whiteouts = false;
  // Keep extended attributes (security.capability, user.*, trusted.* except overlay's).
  bool xattrs = true;
  // Write only what differs from this tree (the copy snapshotter's diff): new and changed
  // entries, the unchanged directories above them, and ".wh.NAME" for what was removed.
  // Files count as changed when type, mode, owner, size, mtime or link target differ.
  const os::Dir* base = nullptr;
};

// Writes the tree under `root` into `tar` in sorted (byte-wise) order, with names relative to
// root and directories ending in "/". Hard links inside the tree become hardlink entries.
// Files are read through dirfds without following symlinks. Does not call tar.finish().
Status write_tree(const os::Dir& root, TarWriter& tar, const WalkOptions& opts = {});

}  // namespace kiln::archive
