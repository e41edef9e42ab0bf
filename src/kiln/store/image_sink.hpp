// The local store as an image Source and Sink (image/image.hpp). The sink is the one way an
// image gets into the store: copies (pull, load, `kiln copy`) use it through
// transport/store_transport.hpp, and images made here (build, commit, import) through
// store_image (image_view.hpp).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kiln/image/image.hpp"
#include "kiln/store/store.hpp"

namespace kiln::store {

// Reads the image `ref` resolves to (a name, an ID or a prefix of one). The store verified its
// blobs when they entered it, so the source is trusted (`kiln system check` re-verifies).
Result<std::unique_ptr<image::Source>> image_source(Store& store, std::string_view ref);
// The image (or index) a record names; `ref` is how describe() shows it (default: its digest).
Result<std::unique_ptr<image::Source>> image_source(Store& store, const ImageRecord& rec,
                                                    std::string_view ref = {});

// Writes into the store. Blobs are held in anonymous temporary files until finish(), which
// links them in and records every committed image and its names in one pass, so a failed
// copy leaves the store as it was. Layers are checked on the way in: the uncompressed bytes
// must be a tar archive whose digest is the config's diffID. `ref`, when not empty, is a name
// given to every committed image. The sink holds a lease of its own on what it writes.
Result<std::unique_ptr<image::Sink>> image_sink(Store& store, std::string ref);
// The same under the caller's lease (which must outlive the sink): for images whose layers the
// caller already stored under it (store::LayerSink).
std::unique_ptr<image::Sink> image_sink(Store& store, Lease& lease);

}  // namespace kiln::store
