#include "kiln/oci/convert.hpp"

#include "kiln/oci/media_types.hpp"

namespace kiln::oci {

Result<std::string> convert_layer_media_type(std::string_view m, Format to) {
  using namespace mt;
  if (to == Format::docker) {
    if (m == oci_layer || m == docker_layer) return std::string(docker_layer);
    if (m == oci_layer_gzip || m == docker_layer_gzip) return std::string(docker_layer_gzip);
    if (m == oci_layer_nd_gzip || m == docker_layer_foreign_gzip)
      return std::string(docker_layer_foreign_gzip);
    return failf(Errc::unsupported, "layer media type \"{}\" has no Docker v2 equivalent", m);
  }
  if (m == docker_layer || m == oci_layer) return std::string(oci_layer);
  if (m == docker_layer_gzip || m == oci_layer_gzip) return std::string(oci_layer_gzip);
  if (m == docker_layer_foreign_gzip || m == oci_layer_nd_gzip)
    return std::string(oci_layer_nd_gzip);
  if (is_layer(m)) return std::string(m);
  return failf(Errc::unsupported, "unknown layer media type \"{}\"", m);
}

Result<Manifest> convert(const Manifest& in, Format to) {
  Manifest m = in;
  if (to == Format::docker) {
    if (m.subject || !m.artifact_type.empty())
      return fail(Errc::unsupported,
                  "manifest with subject or artifactType cannot be expressed as Docker v2");
    m.media_type = mt::docker_manifest;
    m.config.media_type = mt::docker_config;
  } else {
    m.media_type = mt::oci_manifest;
    if (m.config.media_type == mt::docker_config) m.config.media_type = mt::oci_config;
  }
  for (size_t i = 0; i < m.layers.size(); ++i)
    m.layers[i].media_type = KILN_TRY_CTX(convert_layer_media_type(m.layers[i].media_type, to),
                                          fmt::format("layers[{}]", i));
  return m;
}

Result<Index> convert(const Index& in, Format to) {
  Index x = in;
  x.media_type = to == Format::docker ? mt::docker_manifest_list : mt::oci_index;
  for (auto& d : x.manifests) {
    if (mt::is_manifest(d.media_type))
      d.media_type = to == Format::docker ? mt::docker_manifest : mt::oci_manifest;
    else if (mt::is_index(d.media_type) && to == Format::docker)
      return fail(Errc::unsupported,
                  "nested indexes cannot be expressed as a Docker manifest list");
  }
  return x;
}

}  // namespace kiln::oci
