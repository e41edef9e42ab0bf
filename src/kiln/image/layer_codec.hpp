// The codec a layer's media type declares, as io/compress.hpp names it.
#pragma once

#include <string_view>

#include "kiln/io/compress.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::image {

// gzip or zstd for the compressed layer types, none for a plain tar (and anything else).
inline io::Compression layer_codec(std::string_view media_type) {
  auto c = oci::mt::layer_compression(media_type);
  if (c == "gzip") return io::Compression::gzip;
  if (c == "zstd") return io::Compression::zstd;
  return io::Compression::none;
}

}  // namespace kiln::image
