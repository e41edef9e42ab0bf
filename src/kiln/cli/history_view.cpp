
#include "kiln/base/strings.hpp"
#include "kiln/cli/image_views.hpp"
#include "kiln/cli/json_output.hpp"

namespace kiln::cli {

Result<std::vector<HistoryRow>> image_history(store::Store& store, const store::ImageView& v) {
  std::vector<int64_t> layer_sizes;
  for (const auto& l : v.manifest.layers) {
    auto rec = KILN_TRY(store.layer(l.digest));
    // docker's layer size: the files' bytes; the tar's size for layers stored before kiln
    // recorded that.
    layer_sizes.push_back(!rec                          ? l.size
                          : rec->content_size >= 0      ? rec->content_size
                          : rec->uncompressed_size >= 0 ? rec->uncompressed_size
                                                        : l.size);
  }
  std::vector<HistoryRow> rows;
  size_t layer = 0;
  if (v.config.history.empty()) {
    for (size_t i = 0; i < layer_sizes.size(); ++i) {
      HistoryRow r;
      r.created = v.config.created;
      r.size = layer_sizes[i];
      rows.push_back(r);
    }
  }
  for (const auto& h : v.config.history) {
    HistoryRow r;
    r.created = h.created;
    r.created_by = h.created_by;
    r.comment = h.comment;
    r.empty_layer = h.empty_layer;
    if (!h.empty_layer && layer < layer_sizes.size()) r.size = layer_sizes[layer++];
    rows.push_back(r);
  }
  for (auto& r : rows) {
    r.created_unix = parse_rfc3339(r.created).value_or(0);
    r.id = "<missing>";
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty()) rows.front().id = v.record.config_digest.str();
  return rows;
}

std::string history_row_json(const HistoryRow& r, bool human, int64_t now) {
  return JsonObject()
      .add("Comment", r.comment)
      .add("CreatedAt", r.created)
      .add("CreatedBy", r.created_by)
      .add("CreatedSince", r.created_unix ? human_ago(r.created_unix, now) : "N/A")
      .add("ID", r.id)
      .add("Size", human ? human_size(r.size) : std::to_string(r.size))
      .dump();
}

}  // namespace kiln::cli
