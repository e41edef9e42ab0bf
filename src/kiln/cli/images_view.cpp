#include <fnmatch.h>

#include "kiln/base/strings.hpp"
#include "kiln/cli/image_views.hpp"
#include "kiln/cli/json_output.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/reference.hpp"

namespace kiln::cli {

namespace {

bool glob(const std::string& pattern, const std::string& s) {
  return fnmatch(pattern.c_str(), s.c_str(), FNM_PATHNAME) == 0;
}

// docker's FamiliarMatch: REPOSITORY[:TAG] glob against the familiar and the full name.
bool matches(std::string_view filter, const oci::Reference& r) {
  if (filter.empty()) return true;
  std::string f(filter);
  std::string tag_pattern;
  size_t slash = f.rfind('/'), colon = f.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag_pattern = f.substr(colon + 1);
    f = f.substr(0, colon);
  }
  if (!tag_pattern.empty() && !glob(tag_pattern, r.tag)) return false;
  return glob(f, r.familiar_name()) || glob(f, r.name());
}

// The config a row shows: the image's own, or for an index its image for this machine (an
// index without one has no creation date).
std::optional<oci::ImageConfig> row_config(store::Store& store, const store::ImageRecord& rec) {
  Digest config = rec.config_digest;
  if (oci::mt::is_index(rec.media_type)) {
    auto host = store.resolve(rec.manifest_digest.str());
    if (!host) return std::nullopt;
    config = host->config_digest;
  }
  auto raw = store.read_blob(config);
  if (!raw) return std::nullopt;
  auto cfg = oci::parse_config(*raw);
  if (!cfg) return std::nullopt;
  return std::move(*cfg);
}

}  // namespace

Result<std::vector<ImageRow>> list_images(store::Store& store, std::string_view filter) {
  std::vector<ImageRow> rows;
  for (const auto& rec : KILN_TRY(store.images())) {
    if (rec.in_index) continue;  // shown as its index, as docker does
    ImageRow base;
    base.digest = rec.manifest_digest.str();
    base.id = rec.config_digest.str();
    base.size = rec.size;
    if (auto cfg = row_config(store, rec)) {
      base.created = cfg->created;
      base.created_unix = parse_rfc3339(cfg->created).value_or(0);
    }
    if (rec.names.empty()) {
      if (!filter.empty()) continue;
      ImageRow r = base;
      r.repository = r.tag = "<none>";
      rows.push_back(r);
      continue;
    }
    for (const auto& n : rec.names) {
      auto ref = oci::Reference::parse(n, false);
      if (!ref || !matches(filter, *ref)) continue;
      ImageRow r = base;
      r.repository = ref->familiar_name();
      r.tag = ref->tag.empty() ? "<none>" : ref->tag;
      rows.push_back(r);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ImageRow& a, const ImageRow& b) {
    return a.created_unix > b.created_unix;
  });
  return rows;
}

std::string image_row_json(const ImageRow& r, int64_t now) {
  return JsonObject()
      .add("Containers", "N/A")
      .add("CreatedAt", r.created)
      .add("CreatedSince", r.created_unix ? human_ago(r.created_unix, now) : "N/A")
      .add("Digest", r.digest)
      .add("ID", short_id(r.id))
      .add("Repository", r.repository)
      .add("SharedSize", "N/A")
      .add("Size", human_size(r.size))
      .add("Tag", r.tag)
      .add("UniqueSize", "N/A")
      .add("VirtualSize", human_size(r.size))
      .dump();
}

}  // namespace kiln::cli
