// Read-side views of stored images, shaped as docker prints them (`kiln inspect`, `history`,
// `images`).
#pragma once

#include <string>
#include <vector>

#include "kiln/store/image_view.hpp"

namespace kiln::cli {

// `docker image inspect` JSON for one image (Id, RepoTags, RepoDigests, Created, Config, ...).
std::string inspect_json(const store::ImageView& image);

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
Result<std::vector<HistoryRow>> image_history(store::Store& store, const store::ImageView& image);
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

}  // namespace kiln::cli
