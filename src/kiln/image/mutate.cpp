#include "kiln/image/mutate.hpp"

#include <algorithm>

#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::image {

void append_layer(oci::ImageConfig& config, const Digest& diff_id, oci::History history) {
  config.rootfs.diff_ids.push_back(diff_id);
  history.empty_layer = false;
  config.history.push_back(std::move(history));
}

void append_empty(oci::ImageConfig& config, oci::History history) {
  history.empty_layer = true;
  config.history.push_back(std::move(history));
}

void set_container_config(oci::ImageConfig& config, oci::ContainerConfig cc) {
  config.config = std::move(cc);
}

Status check_diff_ids(const oci::ImageConfig& config, const std::vector<oci::Descriptor>& layers) {
  if (config.rootfs.diff_ids.size() != layers.size())
    return failf(Errc::invalid_argument, "the config has {} diffIDs for {} layers",
                 config.rootfs.diff_ids.size(), layers.size());
  return {};
}

Result<NewImage> new_manifest(const oci::ImageConfig& config,
                              const std::vector<oci::Descriptor>& layers) {
  KILN_TRY(check_diff_ids(config, layers));
  NewImage out;
  out.raw_config = oci::serialize(config);
  oci::Manifest& m = out.manifest;
  m.media_type = oci::mt::oci_manifest;
  m.config.media_type = oci::mt::oci_config;
  m.config.digest = Digest::of(out.raw_config);
  m.config.size = static_cast<int64_t>(out.raw_config.size());
  m.layers = layers;
  std::string raw = oci::serialize(m);
  out.document = Document{raw, m.media_type, Digest::of(raw)};
  return out;
}

}  // namespace kiln::image
