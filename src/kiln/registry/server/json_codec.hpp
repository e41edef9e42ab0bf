// The registry server's JSON codec: the one file of registry/server that knows nlohmann::json.
// Request bodies, stored manifests and token claims come from outside; every read here is
// non-throwing (a wrongly typed member reads as absent) and bounded in depth
// (base/json_depth.hpp). What the rest of the server sees are the plain views below.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "kiln/digest/digest.hpp"

namespace kiln::registry::server {

// ---- Manifests and indexes, as pushed or stored ----

// One descriptor of a manifest (config, layers[], manifests[], subject), checked for form.
struct DescriptorView {
  std::optional<Digest> digest;  // when "digest" is a valid digest string
  int64_t size = -1;
  std::string problem;   // why it is not a valid descriptor ("WHERE: ..."), "" when it is one
  bool foreign = false;  // a foreign or non-distributable layer, or one with urls
};

struct ManifestView {
  std::optional<std::string> media_type;                 // "mediaType" when a string
  bool has_media_type = false;                           // "mediaType" present, whatever its type
  bool schema_v2 = false;                                // "schemaVersion" is 2
  bool has_manifests = false;                            // "manifests" present, whatever its type
  std::optional<std::vector<DescriptorView>> manifests;  // when an array
  std::optional<DescriptorView> config;                  // when present
  std::optional<std::vector<DescriptorView>> layers;     // when an array
  std::optional<DescriptorView> subject;                 // when present
  // "artifactType", else the config's "mediaType", else "".
  std::string artifact_type;
  std::string annotations;  // "annotations" as JSON text when an object, else ""
};

// nullopt when body is not a JSON object (or is nested too deep).
std::optional<ManifestView> view_manifest(std::string_view body);

// ---- Responses ----

std::string error_json(std::string_view code, std::string_view message, std::string_view detail);
std::string tag_list_json(const std::string& name, const std::vector<std::string>& tags);
std::string catalog_json(const std::vector<std::string>& repositories);

struct ReferrerEntry {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::string artifact_type;  // omitted when ""
  std::string annotations;    // JSON object text, omitted when ""
};
std::string referrers_index_json(const std::vector<ReferrerEntry>& entries);

// ---- Upload sessions ----

std::string upload_info_json(const std::string& repo, int64_t started);
// The "repo" of an upload's info, "" when it has none.
std::string upload_info_repo(std::string_view text);

// ---- Tag history (tag_history.hpp) ----

struct TagEvent;
// {"action", "digest" (absent for a delete), "time" (RFC 3339, nanoseconds), "user"}.
std::string tag_event_json(const TagEvent& e);
std::optional<TagEvent> parse_tag_event(std::string_view text);
// GET /v2/<name>/_kiln/tags/<tag>/history: {"name", "tag", "history": [events, newest first]}.
std::string tag_history_json(const std::string& name, const std::string& tag,
                             const std::vector<TagEvent>& events);

// ---- Token auth ----

struct Grant {
  std::string type, name;
  std::vector<std::string> actions;
};
struct Claims {
  std::string sub, iss;
  std::vector<std::string> aud;  // a string audience becomes one entry
  std::optional<int64_t> exp, nbf;
  std::vector<Grant> access;
};
// nullopt when the claims are not a JSON object.
std::optional<Claims> parse_claims(std::string_view text);

struct JwtHeader {
  std::string alg;
  std::vector<std::string> x5c;  // base64 DER certificates, leaf first
  bool x5c_malformed = false;    // an x5c entry that is not a string
};
// nullopt when the header is not an object with a string "alg".
std::optional<JwtHeader> parse_jwt_header(std::string_view text);

// ---- Logs and reports ----

using LogValue = std::variant<std::string, int64_t>;
using LogFields = std::vector<std::pair<std::string, LogValue>>;
// One compact JSON object, members sorted by name, invalid UTF-8 replaced.
std::string log_line(const LogFields& fields);

struct GcReport;
// `kiln-registry gc --format json`.
std::string gc_report_json(const GcReport& r, bool dry_run);

}  // namespace kiln::registry::server
