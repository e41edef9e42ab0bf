#include "kiln/store/layer_sink.hpp"

#include "kiln/oci/media_types.hpp"

namespace kiln::store {

std::string_view layer_media_type(io::Compression c) {
  switch (c) {
    case io::Compression::gzip:
      return oci::mt::oci_layer_gzip;
    case io::Compression::zstd:
      return oci::mt::oci_layer_zstd;
    default:
      return oci::mt::oci_layer;
  }
}

Result<std::unique_ptr<LayerSink>> LayerSink::create(store::Store& store, store::Lease& lease,
                                                     io::Compression compression,
                                                     const io::CompressOptions& opts) {
  auto blob = KILN_TRY(store.new_blob(lease));
  auto sink = std::unique_ptr<LayerSink>(new LayerSink(std::move(blob), compression));
  sink->m_compressor = KILN_TRY(io::make_compressor(compression, *sink->m_blob, opts));
  sink->m_diff.set_next(sink->m_compressor.get());
  return sink;
}

Result<store::LayerRecord> LayerSink::commit() {
  KILN_TRY(m_compressor->close());
  KILN_TRY(m_check.finish());
  store::LayerRecord rec;
  rec.diff_id = m_diff.digest();
  rec.uncompressed_size = m_diff.size();
  rec.content_size = m_check.content_size();
  auto ref = KILN_TRY(m_blob->commit());
  rec.digest = ref.digest;
  rec.size = ref.size;
  rec.media_type = std::string(layer_media_type(m_compression));
  return rec;
}

}  // namespace kiln::store
