// Root filesystems for sandboxes, made from an image's layers.
//
// Overlay snapshotter: each layer is unpacked once, alone, into snapshots/<diffID hex>/fs with
// its whiteouts kept as overlayfs markers, and shared read-only by every image and container
// that has it; a container gets overlayfs over those lower dirs with its own upper dir.
// Copy snapshotter (where overlayfs is not available, or KILN_SNAPSHOTTER=copy): the layers
// are applied in order into the container's own directory.
#pragma once

#include <string>
#include <vector>

#include "kiln/sandbox/spec.hpp"
#include "kiln/store/image_view.hpp"

namespace kiln::container {

enum class Snapshotter { overlay, copy };

// overlayfs when the kernel mounts it here (probed once per process in a throwaway mount
// namespace), unless KILN_SNAPSHOTTER=copy.
Snapshotter choose_snapshotter(const store::Store& store);

// The unpacked lower dirs of `layers` (bottom first), unpacking what is missing. Each layer's
// content is checked against its diffID while it is unpacked. Concurrent callers are safe: a
// snapshot appears by an atomic rename.
Result<std::vector<std::string>> layer_snapshots(store::Store& store,
                                                 const std::vector<oci::Descriptor>& layers,
                                                 const std::vector<Digest>& diff_ids);

// Applies the layers in order into `dir` (the copy snapshotter; also used by export).
Status apply_layers(store::Store& store, const std::vector<oci::Descriptor>& layers,
                    const std::vector<Digest>& diff_ids, const os::Dir& dir);

// Creates the sandbox's mount points (/proc, /sys, /dev, /etc/hosts, /etc/hostname,
// /etc/resolv.conf) where the tree lacks them, with mtime 0, so a diff never contains them.
Status make_mount_points(const os::Dir& root);

// The shared lower dir holding only those mount points (stacked above an image's layers).
Result<std::string> mount_points_snapshot(store::Store& store);
// Records snapshots/<diff_id hex> in the store's `unpacked` table (its size, used now).
Status record_snapshot(store::Store& store, const Digest& diff_id, int64_t size);

// A writable root filesystem for a container kept in `state`: overlay lowers + state/upper,
// state/work, or a full copy in state/fs.
Result<sandbox::RootFs> prepare_rootfs(store::Store& store, const store::ImageView& image,
                                       const std::string& state, Snapshotter snapshotter);

// Removes snapshots no image in the store has and no container uses; returns bytes freed.
Result<int64_t> prune_snapshots(store::Store& store, const std::vector<std::string>& in_use);

}  // namespace kiln::container
