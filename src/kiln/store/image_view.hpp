// An image from the store with its manifest and config read, verified and parsed.
#pragma once

#include <optional>
#include <string>

#include "kiln/oci/types.hpp"
#include "kiln/store/store.hpp"

namespace kiln::store {

struct ImageView {
  store::ImageRecord record;
  std::string raw_manifest;
  oci::Manifest manifest;
  std::string raw_config;
  oci::ImageConfig config;
};

Result<ImageView> load_image(store::Store& store, const store::ImageRecord& record);
// Resolves a reference, ID or ID prefix, then loads it.
// A multi-platform index gives its image for `platform` (default: this machine's).
Result<ImageView> load_image(store::Store& store, std::string_view ref,
                             const std::optional<oci::Platform>& platform = std::nullopt);

// The store's records of the image's layers, in order (Errc::corrupt when one is missing).
Result<std::vector<store::LayerRecord>> layer_records(store::Store& store, const ImageView& image);

// Writes config + manifest blobs for the given layers and records the image with `names`.
struct Assembled {
  oci::ImageConfig config;
  std::vector<store::LayerRecord> layers;
  std::vector<std::string> names;  // full references
};
Result<store::ImageRecord> store_image(store::Store& store, store::Lease& lease,
                                       const Assembled& image);

}  // namespace kiln::store
