#include "kiln/builder/cache_json.hpp"

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"

namespace kiln::builder {

using json = nlohmann::json;

Result<std::vector<CacheIndexEntry>> parse_cache_index(std::string_view text,
                                                       std::string_view where) {
  KILN_TRY(check_json_depth(text, where));
  json index = json::parse(text.begin(), text.end(), nullptr, false);
  if (index.is_discarded()) return failf(Errc::corrupt, "{}: not valid JSON", where);
  const json* entries =
      index.is_object() && index.contains("entries") ? &index["entries"] : nullptr;
  if (json_member<int>(index, "kiln-build-cache") != 1 || !entries || !entries->is_array())
    return failf(Errc::unsupported, "{}: not a kiln build cache", where);
  std::vector<CacheIndexEntry> out;
  for (const auto& e : *entries) {
    auto key = json_member<std::string>(e, "key");
    auto layer = json_member<std::string>(e, "layer");
    if (!key || !layer) continue;
    CacheIndexEntry c;
    c.key = *key;
    c.layer = *layer;
    c.created = json_member<int64_t>(e, "created").value_or(0);
    if (!c.layer.empty()) {
      auto diff_id = json_member<std::string>(e, "diff_id");
      auto media_type = json_member<std::string>(e, "media_type");
      auto size = json_member<int64_t>(e, "size");
      if (!diff_id || !media_type || !size) continue;
      c.diff_id = *diff_id;
      c.media_type = *media_type;
      c.size = *size;
      c.uncompressed_size = json_member<int64_t>(e, "uncompressed_size").value_or(-1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string serialize_cache_index(const std::vector<CacheIndexEntry>& entries) {
  json list = json::array();
  for (const auto& c : entries) {
    json e = {{"key", c.key}, {"layer", c.layer}, {"created", c.created}};
    if (!c.layer.empty()) {
      e["diff_id"] = c.diff_id;
      e["media_type"] = c.media_type;
      e["size"] = c.size;
      e["uncompressed_size"] = c.uncompressed_size;
    }
    list.push_back(std::move(e));
  }
  json index = {{"kiln-build-cache", 1}, {"entries", list}};
  return index.dump(1, ' ', false, json::error_handler_t::replace);
}

}  // namespace kiln::builder
