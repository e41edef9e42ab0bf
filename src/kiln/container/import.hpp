// `kiln import`: a root filesystem (a directory, or a tar stream that may be gzip or zstd
// compressed) becomes a one-layer image in the store.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiln/io/compress.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/oci/types.hpp"
#include "kiln/store/store.hpp"

namespace kiln::container {

struct ImportOptions {
  std::string source;  // a directory, a tar file, or "-" (then `stdin_fd` is read)
  int stdin_fd = 0;
  std::optional<oci::Reference> ref;
  std::vector<std::string> changes;
  std::string message;
  std::optional<oci::Platform> platform;
  io::Compression compression = io::Compression::gzip;
  // Creation time (and, for a directory, the mtime clamp) for reproducible imports.
  std::optional<int64_t> source_date_epoch;
  std::function<void(int64_t bytes_read)> progress;
};

Result<store::ImageRecord> import_rootfs(store::Store& store, const ImportOptions& opts);

}  // namespace kiln::container
