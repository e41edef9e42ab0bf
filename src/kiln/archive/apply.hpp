// Applying a layer tar to a directory (extraction with OCI whiteouts).
//
// Every path is cleaned lexically ("..", "/" and "." cannot climb above the root) and resolved
// with openat2(RESOLVE_IN_ROOT): symlinks met on the way, absolute or relative, are resolved as
// if `root` were "/", so no entry, symlink or hardlink can create, change or link anything
// outside `root`. Whiteouts (".wh.NAME", ".wh..wh..opq") remove what lower layers put there and
// are not themselves written.
#pragma once

#include <cstdint>

#include "kiln/archive/tar.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::archive {

struct ApplyOptions {
  bool same_owner = true;  // chown to the archive's uid/gid (needs root)
  bool whiteouts = true;   // interpret .wh. entries
  // Keep whiteouts as overlayfs markers instead (a 0/0 character device for ".wh.NAME", the
  // trusted.overlay.opaque xattr for ".wh..wh..opq"): the tree becomes an overlay lower dir.
  bool overlay_whiteouts = false;
  int64_t max_bytes = -1;  // fail when file data would exceed this (bomb guard); <0: none
};

struct ApplyStats {
  int64_t entries = 0;
  int64_t bytes = 0;
  int64_t skipped_devices = 0;  // device nodes that could not be created (not root)
};

Result<ApplyStats> apply_layer(const os::Dir& root, TarReader& tar, const ApplyOptions& opts = {});

}  // namespace kiln::archive
