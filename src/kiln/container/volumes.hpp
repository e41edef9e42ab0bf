// The image's VOLUMEs for `kiln run`, as `docker run` makes them: each path gets a fresh
// anonymous volume (a directory in the container's own directory, so it goes with the
// container, and with `--rm` when the container exits), seeded with what the image has at that
// path (owner, mode and contents, as `cp -a`), mounted read-write even with --read-only. A
// path the user mounts (-v, --tmpfs) gets no anonymous volume.
#pragma once

#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/sandbox/spec.hpp"

namespace kiln::container {

// Creates and seeds the volumes under container_dir/volumes; returns their bind mounts. The
// image's paths are resolved inside its root (a symlink in the image cannot point the seed
// copy at the host).
Result<std::vector<sandbox::Mount>> make_image_volumes(const std::vector<std::string>& volumes,
                                                       const std::vector<sandbox::Mount>& user,
                                                       const sandbox::RootFs& rootfs,
                                                       const std::string& container_dir);

}  // namespace kiln::container
