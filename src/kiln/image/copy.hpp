// copy_image: reads an image from a Source and writes it to a Sink (`kiln copy`, save, load,
// push and pull are all this one operation).
//
// Without conversion the copy is digest-preserving: the manifest, index and config travel as
// their raw bytes and layers byte for byte. A conversion (another manifest format, another
// layer compression, or a sink that wants plain tar layers) rewrites the media types and
// recompresses only the layers whose compression must change; those layers' uncompressed
// bytes are checked against the config's diffIDs on the way. Every blob read from an
// untrusted source is verified against its descriptor while it streams.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiln/image/image.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/oci/convert.hpp"

namespace kiln::image {

// Size limits for the JSON documents an image is made of.
inline constexpr int64_t k_max_manifest_bytes = 4 << 20;
inline constexpr int64_t k_max_config_bytes = 16 << 20;
inline constexpr size_t k_max_layers = 1000;

// Progress of a copy, reported from the threads that move layers (several at once).
struct CopyEvent {
  enum Kind { blob_start, blob_progress, blob_skipped, blob_done } kind;
  oci::Descriptor blob;  // as the source has it
  std::string action;    // "copy", "decompress", "compress to zstd", ...
  int64_t bytes = 0;     // blob_progress: source bytes read so far
};

struct CopyOptions {
  std::optional<oci::Format> format;        // convert manifests (default: keep)
  std::optional<io::Compression> compress;  // recompress layers (default: keep)
  io::CompressOptions compress_options;
  bool all_platforms = false;             // copy a whole index
  std::optional<oci::Platform> platform;  // which image of an index (default: this host)
  bool preserve_digests = false;          // fail rather than change any digest
  std::string scratch_dir;                // temp files of recompressed layers (default TMPDIR)
  std::vector<std::string> names;         // references to record at the sink
  int max_concurrent = 6;                 // layers moved at once when both ends allow it
  std::function<void(const CopyEvent&)> on_event;
};

struct CopyResult {
  Document root;           // what the sink's reference now names
  bool converted = false;  // some digest changed
};

Result<CopyResult> copy_image(Source& src, Sink& dst, const CopyOptions& opts);

// Reads a whole (small) blob, verified against its descriptor, refusing more than `limit`.
Result<std::string> read_blob(Source& src, const oci::Descriptor& d, int64_t limit);

// The layer media type for a format and a compression (none, gzip or zstd); `like` is the
// original type, whose non-distributable flavour is kept.
Result<std::string> layer_media_type(oci::Format f, io::Compression c, std::string_view like);

}  // namespace kiln::image
