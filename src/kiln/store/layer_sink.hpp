// LayerSink: write an uncompressed layer tar into it; it hashes the tar (the diffID),
// compresses it on all cores and streams the result into the store as a blob, all in one
// pass. Nothing is visible in the store until commit() returns.
#pragma once

#include <memory>

#include "kiln/archive/tar_check.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/store/store.hpp"

namespace kiln::store {

class LayerSink final : public io::Writer {
 public:
  static Result<std::unique_ptr<LayerSink>> create(store::Store& store, store::Lease& lease,
                                                   io::Compression compression,
                                                   const io::CompressOptions& opts = {});
  Status write(const void* buf, size_t size) override {
    (void)m_check.write(buf, size);  // its error is sticky: commit() reports it
    return m_diff.write(buf, size);
  }
  // Finishes compression and stores the blob.
  Result<store::LayerRecord> commit();

 private:
  LayerSink(std::unique_ptr<store::BlobWriter> blob, io::Compression c)
      : m_blob(std::move(blob)), m_compression(c), m_diff(nullptr) {}

  std::unique_ptr<store::BlobWriter> m_blob;
  io::Compression m_compression;
  std::unique_ptr<io::Writer> m_compressor;
  io::HashingWriter m_diff;
  archive::TarChecker m_check;  // the content size docker shows, and a last check of the tar
};

// The OCI media type of a layer compressed with c.
std::string_view layer_media_type(io::Compression c);

}  // namespace kiln::store
