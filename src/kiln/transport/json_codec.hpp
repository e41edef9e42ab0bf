// The JSON codec of transport/: docker-archive's manifest.json and the oci-layout file. The one
// file of transport/ that knows nlohmann::json; archives come from outside, so every read is
// non-throwing and names the member at fault.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::transport {

// One entry of manifest.json, paths as written (not yet cleaned).
struct ArchiveManifestEntry {
  std::string config;
  std::vector<std::string> layers;
  std::vector<std::string> repo_tags;
};

// `where` names the archive in errors ("WHERE: manifest.json[1]: no Config").
Result<std::vector<ArchiveManifestEntry>> parse_archive_manifest(std::string_view raw,
                                                                 std::string_view where);
// RepoTags is null for an entry without tags, as docker writes it.
std::string serialize_archive_manifest(const std::vector<ArchiveManifestEntry>& entries);

// The imageLayoutVersion of an oci-layout file.
Result<std::string> parse_layout_version(std::string_view raw, std::string_view where);

}  // namespace kiln::transport
