// Removing an image by name or ID, as `docker rmi` does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/store/store.hpp"

namespace kiln::store {

struct RemoveOutcome {
  std::vector<std::string> untagged;  // familiar references
  std::vector<std::string> deleted;   // image IDs
};
// `docker rmi`: untags a name; deletes the image when its last name goes. An ID removes
// the image with all its names (more than one name needs `force`). Blobs are collected after.
Result<RemoveOutcome> remove_image(store::Store& store, std::string_view ref, bool force);

}  // namespace kiln::store
