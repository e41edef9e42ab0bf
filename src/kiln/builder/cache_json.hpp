// The JSON codec of the local build cache's index.json (cache_io.hpp has the layout): the one
// file of builder/ that knows nlohmann::json. The index comes from a directory CI machines
// share, so it is read with non-throwing getters: a malformed entry is skipped (a cache miss),
// never an exception.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::builder {

struct CacheIndexEntry {
  std::string key;
  std::string layer;  // a layer digest, or "" for a step that made no layer
  int64_t created = 0;
  // With a layer:
  std::string diff_id, media_type;
  int64_t size = -1;
  int64_t uncompressed_size = -1;
};

// Errc::corrupt when the text is not JSON, Errc::unsupported when it is not a kiln build cache.
// `where` names the file in errors. Entries missing a member they need are left out.
Result<std::vector<CacheIndexEntry>> parse_cache_index(std::string_view text,
                                                       std::string_view where);
std::string serialize_cache_index(const std::vector<CacheIndexEntry>& entries);

}  // namespace kiln::builder
