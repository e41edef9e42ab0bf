#include "kiln/store/image_view.hpp"

#include "kiln/image/load.hpp"
#include "kiln/image/mutate.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/store/image_sink.hpp"

namespace kiln::store {

Result<ImageView> load_image(store::Store& store, const store::ImageRecord& record) {
  auto ctx = fmt::format("image {}", record.config_digest.short_hex());
  if (!oci::mt::is_manifest(record.media_type))
    return failf(Errc::unsupported, "{}: {} is not a single-platform image manifest", ctx,
                 record.media_type);
  auto src = KILN_TRY_CTX(image_source(store, record), ctx);
  auto loaded = KILN_TRY_CTX(image::load(*src), ctx);
  ImageView v;
  v.record = record;
  v.raw_manifest = std::move(loaded.manifest.raw);
  v.manifest = std::move(loaded.parsed);
  v.raw_config = std::move(loaded.raw_config);
  v.config = std::move(loaded.config);
  return v;
}

Result<ImageView> load_image(store::Store& store, std::string_view ref,
                             const std::optional<oci::Platform>& platform) {
  auto rec = KILN_TRY(store.resolve(ref, platform));
  return load_image(store, rec);
}

namespace {

oci::Descriptor descriptor(std::string media_type, const Digest& d, int64_t size) {
  oci::Descriptor out;
  out.media_type = std::move(media_type);
  out.digest = d;
  out.size = size;
  return out;
}

}  // namespace

// Through the store's one sink (image_sink.hpp): the config and manifest are put as blobs,
// the layers (already stored under the lease) are found there, and the image is recorded with
// its names in one transaction at finish().
Result<store::ImageRecord> store_image(store::Store& store, store::Lease& lease,
                                       const Assembled& image) {
  std::vector<oci::Descriptor> layers;
  for (const auto& l : image.layers) layers.push_back(descriptor(l.media_type, l.digest, l.size));
  auto made = KILN_TRY_CTX(image::new_manifest(image.config, layers), "store image");
  image::ImageInfo info;
  info.raw_config = std::move(made.raw_config);
  info.config = image.config;
  info.parsed = std::move(made.manifest);
  info.manifest = std::move(made.document);
  for (const auto& l : image.layers) {
    info.uncompressed_sizes.push_back(l.uncompressed_size);
    info.content_sizes.push_back(l.content_size);
  }
  const oci::Manifest& m = info.parsed;
  const std::string& raw = info.manifest.raw;
  auto sink = image_sink(store, lease);
  // The sink leases a config or manifest the store has already instead of writing it again.
  auto put = [&](const oci::Descriptor& d, const std::string& bytes) {
    io::StringReader in(bytes);
    return sink->put_blob(d, in);
  };
  KILN_TRY(put(m.config, info.raw_config));
  KILN_TRY(
      put(descriptor(m.media_type, info.manifest.digest, static_cast<int64_t>(raw.size())), raw));
  KILN_TRY(sink->put_image(info));
  KILN_TRY(sink->commit(info.manifest, image.names));
  KILN_TRY(sink->finish());
  auto out = KILN_TRY(store.image(info.manifest.digest));
  if (!out) return fail(Errc::internal, "stored image vanished");
  return *out;
}

Result<std::vector<store::LayerRecord>> layer_records(store::Store& store, const ImageView& image) {
  std::vector<store::LayerRecord> out;
  for (const auto& d : image.manifest.layers) {
    auto rec = KILN_TRY(store.layer(d.digest));
    if (!rec)
      return failf(Errc::corrupt, "image {}: layer {} is not recorded in the store",
                   image.record.config_digest.short_hex(), d.digest);
    out.push_back(*rec);
  }
  return out;
}

}  // namespace kiln::store
