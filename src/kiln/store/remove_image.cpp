#include "kiln/oci/reference.hpp"
#include "kiln/store/remove.hpp"

namespace kiln::store {

Result<RemoveOutcome> remove_image(store::Store& store, std::string_view ref, bool force) {
  RemoveOutcome out;
  auto rec = KILN_TRY(store.resolve_top(ref));
  // By name: untag only that name.
  if (auto r = oci::Reference::parse(ref); r && !r->digest) {
    if (KILN_TRY(store.remove_name(*r))) {
      out.untagged.push_back(r->familiar());
      auto after = KILN_TRY(store.image(rec.manifest_digest));
      if (after && after->names.empty() && !after->in_index) {
        KILN_TRY(store.delete_image(rec.manifest_digest));
        out.deleted.push_back(rec.config_digest.str());
      }
      return out;
    }
  }
  // One platform of a multi-platform index goes only with the index.
  if (rec.in_index)
    return failf(Errc::conflict,
                 "unable to delete {}: it is one platform of a multi-platform image in the store "
                 "(remove that image instead)",
                 rec.manifest_digest.short_hex());
  // By ID (or digest): the image goes with all its names.
  if (rec.names.size() > 1 && !force)
    return failf(Errc::conflict,
                 "unable to delete {} (must be forced) - image is referenced in multiple "
                 "repositories",
                 rec.config_digest.short_hex());
  for (const auto& n : rec.names) {
    auto r = KILN_TRY(oci::Reference::parse(n, false));
    KILN_TRY(store.remove_name(r));
    out.untagged.push_back(r.familiar());
  }
  KILN_TRY(store.delete_image(rec.manifest_digest));
  out.deleted.push_back(rec.config_digest.str());
  return out;
}

}  // namespace kiln::store
