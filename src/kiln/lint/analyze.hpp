// kiln analyze: what each layer of an image adds, changes and removes, and the bytes it wastes
// (files a later layer overwrites or deletes, the same content in several layers, package
// caches left behind, ownership- or permission-only rewrites), each tied to the instruction
// and Dockerfile line that made it, with the fix. Efficiency and wasted bytes as dive defines
// them (docs/analyze.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/image/image.hpp"
#include "kiln/image/load.hpp"

namespace kiln::lint {

struct FileChange {
  enum class Kind { added, modified, removed } kind = Kind::added;
  std::string path;  // "/etc/passwd"
  int64_t size = 0;  // the new size; for a removal, the bytes removed
  int files = 1;     // a removed directory: the files it held
  bool dir = false;
};

struct LayerSummary {
  int index = 0;
  std::string digest;     // of the layer blob
  int64_t blob_size = 0;  // compressed, as stored
  int64_t size = 0;       // bytes of file content in the layer
  int files_added = 0, files_modified = 0, files_removed = 0;
  int64_t bytes_added = 0, bytes_modified = 0, bytes_removed = 0;
  std::string created_by;           // the history line
  std::string instruction;          // shortened: "RUN make" for "RUN /bin/sh -c make # buildkit"
  std::string location;             // "Dockerfile:12" for images kiln built, else ""
  std::vector<FileChange> changes;  // in path order
};

struct WasteItem {
  // overwritten, deleted, duplicate, cache, attributes
  std::string kind;
  int64_t bytes = 0;
  int files = 0;
  int layer = -1;     // the layer whose bytes are wasted
  int by_layer = -1;  // the layer that made them waste (overwrote, deleted, rewrote), or -1
  std::vector<std::string> paths;  // the largest few
  std::string message, fix;
};

struct Analysis {
  std::vector<LayerSummary> layers;
  std::vector<WasteItem> waste;    // largest first
  int64_t image_size = 0;          // content bytes of all layers
  int64_t user_size = 0;           // of all layers but the first (the base image's first layer)
  int64_t wasted_bytes = 0;        // dive: bytes of every path found in more than one layer
  double user_wasted_percent = 0;  // wasted_bytes / user_size
  double efficiency = 1;           // dive: sum of smallest sizes / sum of all sizes, per path
  int64_t waste_total = 0;         // kiln: bytes of the waste items (no byte counted twice)
  int64_t final_files = 0, final_size = 0;  // the image's filesystem
};

struct AnalyzeOptions {
  // The Dockerfile location of each history entry (images kiln built), by history index.
  std::vector<std::string> history_locations;
  std::function<void(size_t, size_t)> on_layer;  // progress: layers read so far, of n
  int threads = 0;                               // 0: one per core (when the source allows)
  size_t max_paths_per_item = 5;
};

Result<Analysis> analyze_image(image::Source& src, const image::Loaded& img,
                               const AnalyzeOptions& opts = {});

// Output. json is documented in docs/analyze.md; html is one self-contained page.
// with_changes adds each layer's file changes ([kind, path, size] triples).
std::string analysis_json(const Analysis& a, std::string_view image, bool with_changes = false,
                          int indent = 2);
std::string analysis_html(const Analysis& a, std::string_view image);
std::string analysis_tty(const Analysis& a, std::string_view image, bool color);

}  // namespace kiln::lint
