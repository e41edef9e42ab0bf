// Read-side views of stored images, shaped as docker prints them.
#pragma once

#include <string>
#include <vector>

#include "kiln/ops/image_view.hpp"

namespace kiln::ops {

// `docker image inspect` JSON for one image (Id, RepoTags, RepoDigests, Created, Config, ...).
std::string inspect_json(const ImageView& image);

struct HistoryRow {
  std::string id;       // image ID on the top row, "<missing>" below
  std::string created;  // RFC 3339 as recorded
  int64_t created_unix = 0;
  std::string created_by;
  int64_t size = 0;
  std::string comment;
  bool empty_layer = false;
};
// Newest first, as `docker history` lists them.
Result<std::vector<HistoryRow>> image_history(store::Store& store, const ImageView& image);
std::string history_row_json(const HistoryRow& row, bool human, int64_t now);

struct ImageRow {
  std::string repository;  // familiar name or "<none>"
  std::string tag;         // or "<none>"
  std::string digest;      // manifest digest
  std::string id;          // config digest
  std::string created;
  int64_t created_unix = 0;
  int64_t size = 0;
};
// Newest first. `filter` is docker's REPOSITORY[:TAG] glob ("" for all).
Result<std::vector<ImageRow>> list_images(store::Store& store, std::string_view filter);
std::string image_row_json(const ImageRow& row, int64_t now);

struct RemoveOutcome {
  std::vector<std::string> untagged;  // familiar references
  std::vector<std::string> deleted;   // image IDs
};
// `docker rmi`: untags a name; deletes the image when its last name goes. An ID removes
// the image with all its names (more than one name needs `force`). Blobs are collected after.
Result<RemoveOutcome> remove_image(store::Store& store, std::string_view ref, bool force);

}  // namespace kiln::ops
