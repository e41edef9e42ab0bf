#include "kiln/transport/json_codec.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"

namespace kiln::transport {

using nlohmann::json;

namespace {

// An array of strings; absent or null is empty.
Result<std::vector<std::string>> strings_of(const json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return failf(Errc::corrupt, "{} is not an array", key);
  for (const auto& e : *it) {
    if (!e.is_string()) return failf(Errc::corrupt, "{} has a member that is not a string", key);
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

Result<std::vector<ArchiveManifestEntry>> parse_archive_manifest(std::string_view raw,
                                                                 std::string_view where) {
  KILN_TRY(check_json_depth(raw, fmt::format("{}: manifest.json", where)));
  json j = json::parse(raw.begin(), raw.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return failf(Errc::corrupt, "{}: manifest.json is not a JSON array", where);
  std::vector<ArchiveManifestEntry> out;
  for (size_t i = 0; i < j.size(); ++i) {
    auto ctx = fmt::format("{}: manifest.json[{}]", where, i);
    const auto& e = j[i];
    auto config = json_member<std::string>(e, "Config");
    if (!config) return failf(Errc::corrupt, "{}: no Config", ctx);
    ArchiveManifestEntry entry;
    entry.config = *config;
    entry.layers = KILN_TRY_CTX(strings_of(e, "Layers"), ctx);
    entry.repo_tags = KILN_TRY_CTX(strings_of(e, "RepoTags"), ctx);
    out.push_back(std::move(entry));
  }
  return out;
}

std::string serialize_archive_manifest(const std::vector<ArchiveManifestEntry>& entries) {
  json manifest = json::array();
  for (const auto& e : entries)
    manifest.push_back({{"Config", e.config},
                        {"RepoTags", e.repo_tags.empty() ? json(nullptr) : json(e.repo_tags)},
                        {"Layers", e.layers}});
  return manifest.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::string> parse_layout_version(std::string_view raw, std::string_view where) {
  auto v = json_member<std::string>(parse_json_or_discarded<json>(raw), "imageLayoutVersion");
  if (!v) return failf(Errc::corrupt, "{}: oci-layout is not a valid layout file", where);
  return *v;
}

}  // namespace kiln::transport
