// `kiln export`: an image's flattened root filesystem (every layer applied in order, whiteouts
// resolved) as one tar stream.
#pragma once

#include "kiln/io/stream.hpp"
#include "kiln/store/image_view.hpp"

namespace kiln::container {

// Applies the layers into scratch space under the store (tmp/), checking each layer's diffID
// against the image config, then writes the tree to `out` in sorted order. The scratch space is
// removed afterwards, also on error. Owners are kept when running as root.
Status export_rootfs(store::Store& store, const store::ImageView& image, io::Writer& out);

}  // namespace kiln::container
