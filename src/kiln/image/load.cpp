#include "kiln/image/load.hpp"

#include "kiln/image/copy.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"

namespace kiln::image {

Result<Loaded> load(Source& src, const std::optional<oci::Platform>& platform) {
  Loaded out;
  out.manifest = KILN_TRY(src.root());
  if (oci::mt::is_index(out.manifest.media_type)) {
    auto x = KILN_TRY(oci::parse_index(out.manifest.raw));
    auto d = KILN_TRY(oci::select_platform(x, platform.value_or(oci::host_platform())));
    out.manifest =
        Document{KILN_TRY(read_blob(src, d, k_max_manifest_bytes)), d.media_type, d.digest};
  }
  if (!oci::mt::is_manifest(out.manifest.media_type))
    return failf(Errc::unsupported, "{}: {} is not a single-platform image manifest",
                 src.describe(), out.manifest.media_type);
  out.parsed = KILN_TRY(oci::parse_manifest(out.manifest.raw));
  out.raw_config = KILN_TRY(read_blob(src, out.parsed.config, k_max_config_bytes));
  out.config = KILN_TRY(oci::parse_config(out.raw_config));
  return out;
}

std::vector<size_t> layer_history(const Loaded& img) {
  std::vector<size_t> out;
  for (size_t h = 0; h < img.config.history.size(); ++h)
    if (!img.config.history[h].empty_layer) out.push_back(h);
  if (out.size() != img.parsed.layers.size()) out.clear();
  return out;
}

}  // namespace kiln::image
