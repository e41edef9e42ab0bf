// The local store as a transport (`kiln://NAME[:TAG|@DIGEST]`, or a bare reference or ID).
// The store keeps single-platform images: a copy of an index into it takes one platform.
#pragma once

#include <memory>
#include <string>

#include "kiln/image/image.hpp"
#include "kiln/store/store.hpp"

namespace kiln::transport {

// Reads the image `ref` resolves to (a name, an ID or a prefix of one). The store verified its
// blobs when they entered it, so the source is trusted (`kiln system check` re-verifies).
Result<std::unique_ptr<image::Source>> store_source(store::Store& store, std::string_view ref);

// Writes into the store. Blobs are held in anonymous temporary files until finish(), which
// links them in and records every committed image and its names in one pass, so a failed
// copy leaves the store as it was. Layers are checked on the way in: the uncompressed bytes
// must be a tar archive whose digest is the config's diffID. `ref`, when not empty, is a name
// given to every committed image.
Result<std::unique_ptr<image::Sink>> store_sink(store::Store& store, std::string ref);

}  // namespace kiln::transport
