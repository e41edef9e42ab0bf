// `kiln commit`: a container's changes (its overlay upper dir, or for the copy snapshotter the
// difference between its tree and the image's) become one new layer on top of its image.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/io/compress.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/store/store.hpp"

namespace kiln::container {

struct CommitOptions {
  std::string container;
  std::optional<oci::Reference> ref;
  std::string message, author;
  std::vector<std::string> changes;  // --change, as for import
  io::Compression compression = io::Compression::gzip;
};

Result<store::ImageRecord> commit_container(store::Store& store, const CommitOptions& opts);

}  // namespace kiln::container
