// One layer's trip from a Source to a Sink, as copy_image plans it (internal to image/).
#pragma once

#include "kiln/image/copy.hpp"

namespace kiln::image {

struct LayerPlan {
  oci::Descriptor from;  // as the source has it
  Digest diff_id;        // from the config
  io::Compression have = io::Compression::none;
  io::Compression want = io::Compression::none;
  std::string media_type;  // in the new manifest
};

struct LayerOutcome {
  oci::Descriptor to;              // as the sink has it
  int64_t uncompressed_size = -1;  // when known
  bool existed = false;            // the sink had it: nothing moved
};

// Copies, decompresses or recompresses one layer into the sink.
Result<LayerOutcome> transfer_layer(Source& src, Sink& dst, const LayerPlan& plan,
                                    const CopyOptions& opts);

// A reader of the source's blob, verified unless the source is trusted (and `always_verify`
// is false: small documents are verified wherever they come from).
class BlobStream {
 public:
  // progress, when set, is called with the bytes read so far (every 256 KiB at most).
  static Result<BlobStream> open(Source& src, const oci::Descriptor& d,
                                 std::function<void(int64_t)> progress = {},
                                 bool always_verify = false);
  io::Reader& reader() { return m_verify ? *m_verify : *m_raw; }

 private:
  std::unique_ptr<io::Reader> m_raw;
  std::unique_ptr<io::VerifyingReader> m_verify;
};

}  // namespace kiln::image
