// Reading one image from any Source: its manifest (the platform's, when the source names an
// index) and its config, size-limited, verified against their descriptors and parsed. The one
// read path: `kiln inspect` of a store image or of a registry's, and the store's load_image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/image/image.hpp"

namespace kiln::image {

struct Loaded {
  Document manifest;  // the single-platform image's manifest, as raw bytes
  oci::Manifest parsed;
  std::string raw_config;
  oci::ImageConfig config;
};

// An index gives its image for `platform` (default: this machine's). Errc::unsupported when
// the source names neither an image manifest nor an index.
Result<Loaded> load(Source& src, const std::optional<oci::Platform>& platform = std::nullopt);

// For each layer, the index of the config's history entry that made it (the entries that are
// not empty_layer, in order); empty when the history does not line up with the layers.
std::vector<size_t> layer_history(const Loaded& img);

}  // namespace kiln::image
