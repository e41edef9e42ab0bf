#include "kiln/ops/image_view.hpp"

#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::ops {

Result<ImageView> load_image(store::Store& store, const store::ImageRecord& record) {
  auto ctx = fmt::format("image {}", record.config_digest.short_hex());
  ImageView v;
  v.record = record;
  if (!oci::mt::is_manifest(record.media_type))
    return failf(Errc::unsupported, "{}: {} is not a single-platform image manifest", ctx,
                 record.media_type);
  v.raw_manifest = KILN_TRY_CTX(store.read_blob(record.manifest_digest), ctx);
  v.manifest = KILN_TRY_CTX(oci::parse_manifest(v.raw_manifest), ctx);
  v.raw_config = KILN_TRY_CTX(store.read_blob(v.manifest.config.digest), ctx);
  v.config = KILN_TRY_CTX(oci::parse_config(v.raw_config), ctx);
  return v;
}

Result<ImageView> load_image(store::Store& store, std::string_view ref,
                             const std::optional<oci::Platform>& platform) {
  auto rec = KILN_TRY(store.resolve(ref, platform));
  return load_image(store, rec);
}

Result<store::ImageRecord> store_image(store::Store& store, store::Lease& lease,
                                       const Assembled& image) {
  std::string raw_config = oci::serialize(image.config);
  auto config_ref = KILN_TRY(store.put_blob(raw_config, lease));
  oci::Manifest m;
  m.media_type = oci::mt::oci_manifest;
  m.config.media_type = oci::mt::oci_config;
  m.config.digest = config_ref.digest;
  m.config.size = config_ref.size;
  store::NewImage rec;
  for (const auto& l : image.layers) {
    oci::Descriptor d;
    d.media_type = l.media_type;
    d.digest = l.digest;
    d.size = l.size;
    m.layers.push_back(d);
    rec.blobs.push_back(l.digest);
  }
  std::string raw_manifest = oci::serialize(m);
  auto manifest_ref = KILN_TRY(store.put_blob(raw_manifest, lease));
  rec.manifest_digest = manifest_ref.digest;
  rec.media_type = m.media_type;
  rec.config_digest = config_ref.digest;
  rec.blobs.push_back(manifest_ref.digest);
  rec.blobs.push_back(config_ref.digest);
  rec.layers = image.layers;
  rec.names = image.names;
  KILN_TRY(store.put_image(rec));
  auto out = KILN_TRY(store.image(rec.manifest_digest));
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

}  // namespace kiln::ops
