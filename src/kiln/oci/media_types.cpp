#include "kiln/oci/media_types.hpp"

namespace kiln::oci::mt {

bool is_manifest(std::string_view m) {
  return m == oci_manifest || m == docker_manifest;
}
bool is_index(std::string_view m) {
  return m == oci_index || m == docker_manifest_list;
}
bool is_config(std::string_view m) {
  return m == oci_config || m == docker_config;
}

bool is_layer(std::string_view m) {
  return m == oci_layer || m == oci_layer_gzip || m == oci_layer_zstd || m == oci_layer_nd ||
         m == oci_layer_nd_gzip || m == oci_layer_nd_zstd || m == docker_layer ||
         m == docker_layer_gzip || m == docker_layer_foreign_gzip;
}

std::string_view layer_compression(std::string_view m) {
  if (m.ends_with("+gzip") || m.ends_with(".tar.gzip")) return "gzip";
  if (m.ends_with("+zstd")) return "zstd";
  return "";
}

}  // namespace kiln::oci::mt
