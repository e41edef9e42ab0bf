// kiln analyze --format json (docs/analyze.md), also the data of the HTML page.
#include <nlohmann/json.hpp>

#include "kiln/lint/analyze.hpp"

namespace kiln::lint {

namespace {

std::string_view kind_name(FileChange::Kind k) {
  switch (k) {
    case FileChange::Kind::added:
      return "added";
    case FileChange::Kind::modified:
      return "modified";
    case FileChange::Kind::removed:
      return "removed";
  }
  return "added";
}

}  // namespace

std::string analysis_json(const Analysis& a, std::string_view image, bool with_changes,
                          int indent) {
  using json = nlohmann::ordered_json;
  json j;
  j["image"] = image;
  j["summary"] = {{"layers", a.layers.size()},   {"image_size", a.image_size},
                  {"files", a.final_files},      {"size", a.final_size},
                  {"efficiency", a.efficiency},  {"wasted_bytes", a.wasted_bytes},
                  {"user_size", a.user_size},    {"user_wasted_percent", a.user_wasted_percent},
                  {"waste_total", a.waste_total}};
  j["layers"] = json::array();
  for (const auto& l : a.layers) {
    json o = {{"index", l.index},
              {"digest", l.digest},
              {"blob_size", l.blob_size},
              {"size", l.size},
              {"created_by", l.created_by},
              {"instruction", l.instruction},
              {"location", l.location},
              {"files_added", l.files_added},
              {"files_modified", l.files_modified},
              {"files_removed", l.files_removed},
              {"bytes_added", l.bytes_added},
              {"bytes_modified", l.bytes_modified},
              {"bytes_removed", l.bytes_removed}};
    if (with_changes) {
      json ch = json::array();
      for (const auto& c : l.changes)
        ch.push_back(json::array({kind_name(c.kind), c.path, c.size}));
      o["changes"] = std::move(ch);
    }
    j["layers"].push_back(std::move(o));
  }
  j["waste"] = json::array();
  for (const auto& w : a.waste)
    j["waste"].push_back({{"kind", w.kind},
                          {"bytes", w.bytes},
                          {"files", w.files},
                          {"layer", w.layer},
                          {"by_layer", w.by_layer},
                          {"paths", w.paths},
                          {"message", w.message},
                          {"fix", w.fix}});
  return j.dump(indent, ' ', false, json::error_handler_t::replace) + (indent >= 0 ? "\n" : "");
}

}  // namespace kiln::lint
