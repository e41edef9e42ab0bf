// --cache-to / --cache-from type=local: the build cache as a directory CI machines can keep
// between runs.
//
//   DIR/index.json          {"kiln-build-cache": 1, "entries": [{key, layer (digest or ""),
//                            diff_id, media_type, size, uncompressed_size, created}]}
//   DIR/blobs/sha256/<hex>  the layers those entries made
//
// Export writes the entries this build used (hits and new steps) and their layer blobs,
// replacing index.json atomically. Import verifies every blob's digest as it enters the store
// and adds the entries the store does not have; a missing or damaged blob skips its entry.
#pragma once

#include <string>
#include <vector>

#include "kiln/store/store.hpp"

namespace kiln::builder {

// Parses "type=local,dest=DIR" / "type=local,src=DIR"; returns DIR.
Result<std::string> parse_cache_spec(const std::string& spec, std::string_view dir_key,
                                     std::string_view flag);

Status export_cache(store::Store& store, const std::vector<std::string>& keys,
                    const std::string& dir);
// Returns how many entries were added.
Result<int> import_cache(store::Store& store, store::Lease& lease, const std::string& dir);

}  // namespace kiln::builder
