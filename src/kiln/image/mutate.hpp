// Making a new image from an old one: the changes every image-making command shares (build,
// commit, import). The config's rootfs.diff_ids and history must stay in step with the
// manifest's layers; these functions keep them so, and new_manifest() writes the manifest for
// a config and its layers. What the store records comes after, through its Sink.
#pragma once

#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/image/image.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::image {

// A layer on top: its diffID, and a history entry for it (empty_layer forced false).
void append_layer(oci::ImageConfig& config, const Digest& diff_id, oci::History history);
// A step that made no layer (ENV, LABEL, ...): a history entry with empty_layer set.
void append_empty(oci::ImageConfig& config, oci::History history);
// Replaces the container config (Env, Cmd, ...), keeping layers and history.
void set_container_config(oci::ImageConfig& config, oci::ContainerConfig cc);

// As many diffIDs in the config as layers (what every image must have).
Status check_diff_ids(const oci::ImageConfig& config, const std::vector<oci::Descriptor>& layers);

// An OCI image manifest for the config and layers (check_diff_ids first), both serialized.
struct NewImage {
  std::string raw_config;
  oci::Manifest manifest;
  Document document;  // the manifest, serialized
};
Result<NewImage> new_manifest(const oci::ImageConfig& config,
                              const std::vector<oci::Descriptor>& layers);

}  // namespace kiln::image
