#include "kiln/registry/server/json_codec.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/registry/server/gc.hpp"
#include "kiln/registry/server/tag_history.hpp"

namespace kiln::registry::server {
namespace {

using json = nlohmann::json;

std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

// The member `key` of object j, or nullptr.
const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// A JWT NumericDate: an integer, or a number with a fraction (RFC 7519), within int64.
std::optional<int64_t> number_member(const json& j, const char* key) {
  if (auto i = json_member<int64_t>(j, key)) return i;
  const json* m = member(j, key);
  if (!m || !m->is_number_float()) return std::nullopt;
  double v = m->get<double>();
  if (!(v > -9.2e18 && v < 9.2e18)) return std::nullopt;  // NaN or beyond int64
  return static_cast<int64_t>(v);
}

// The string elements of an array member (others are skipped).
std::vector<std::string> strings_of(const json* arr) {
  std::vector<std::string> out;
  if (!arr || !arr->is_array()) return out;
  for (const auto& e : *arr)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

DescriptorView descriptor(const json& d, std::string_view where) {
  DescriptorView v;
  auto mt = json_member<std::string>(d, "mediaType");
  auto digest_text = json_member<std::string>(d, "digest");
  Result<Digest> dg = digest_text ? Digest::parse(*digest_text) : fail(Errc::invalid_argument, "");
  if (dg) v.digest = *dg;
  const json* size = member(d, "size");
  v.foreign = (mt && (mt->find("foreign") != std::string::npos ||
                      mt->find("nondistributable") != std::string::npos)) ||
              member(d, "urls") != nullptr;
  if (!d.is_object()) {
    v.problem = fmt::format("{}: not a descriptor", where);
  } else if (!mt) {
    v.problem = fmt::format("{}: mediaType missing", where);
  } else if (!digest_text) {
    v.problem = fmt::format("{}: digest missing", where);
  } else if (!dg) {
    v.problem = fmt::format("{}: {}", where, dg.error().message());
  } else if (!size || !size->is_number_integer() || size->get<int64_t>() < 0) {
    v.problem = fmt::format("{}: size missing or negative", where);
  } else {
    v.size = size->get<int64_t>();
  }
  return v;
}

std::optional<std::vector<DescriptorView>> descriptors(const json& j, const char* key,
                                                       std::string_view where) {
  const json* arr = member(j, key);
  if (!arr || !arr->is_array()) return std::nullopt;
  std::vector<DescriptorView> out;
  for (const auto& e : *arr) out.push_back(descriptor(e, where));
  return out;
}

}  // namespace

std::optional<ManifestView> view_manifest(std::string_view body) {
  auto j = parse_json_or_discarded<json>(body);
  if (!j.is_object()) return std::nullopt;
  ManifestView v;
  v.media_type = json_member<std::string>(j, "mediaType");
  v.has_media_type = j.contains("mediaType");
  v.schema_v2 = j.contains("schemaVersion") && j["schemaVersion"] == 2;
  v.has_manifests = j.contains("manifests");
  v.manifests = descriptors(j, "manifests", "manifests[]");
  if (const json* c = member(j, "config")) v.config = descriptor(*c, "config");
  v.layers = descriptors(j, "layers", "layers[]");
  if (const json* s = member(j, "subject")) v.subject = descriptor(*s, "subject");
  if (auto a = json_member<std::string>(j, "artifactType"))
    v.artifact_type = *a;
  else if (const json* c = member(j, "config"))
    v.artifact_type = json_member<std::string>(*c, "mediaType").value_or("");
  if (const json* a = member(j, "annotations"); a && a->is_object()) v.annotations = dump(*a);
  return v;
}

std::string error_json(std::string_view code, std::string_view message, std::string_view detail) {
  json e{{"code", code}, {"message", message}};
  if (!detail.empty()) e["detail"] = std::string(detail);
  return dump(json{{"errors", json::array({e})}}) + "\n";
}

std::string tag_list_json(const std::string& name, const std::vector<std::string>& tags) {
  return dump(json{{"name", name}, {"tags", tags}});
}

namespace {

json tag_event(const TagEvent& e) {
  json j{{"action", e.action},
         {"time", rfc3339(e.time_ns / 1'000'000'000, e.time_ns % 1'000'000'000)},
         {"user", e.user}};
  if (e.digest) j["digest"] = e.digest->str();
  return j;
}

// RFC 3339 to nanoseconds since the epoch, the fraction included (up to 9 digits).
std::optional<int64_t> parse_rfc3339_ns(std::string_view t) {
  auto secs = parse_rfc3339(t);
  if (!secs) return std::nullopt;
  int64_t ns = 0, scale = 100'000'000;
  if (t.size() > 20 && t[19] == '.')
    for (size_t i = 20; i < t.size() && t[i] >= '0' && t[i] <= '9' && scale > 0; ++i, scale /= 10)
      ns += (t[i] - '0') * scale;
  return *secs * 1'000'000'000 + ns;
}

}  // namespace

std::string tag_event_json(const TagEvent& e) {
  return dump(tag_event(e));
}

std::optional<TagEvent> parse_tag_event(std::string_view text) {
  auto j = parse_json_or_discarded<json>(text);
  auto action = json_member<std::string>(j, "action");
  auto time = json_member<std::string>(j, "time");
  if (!action || !time) return std::nullopt;
  TagEvent e;
  e.action = *action;
  e.user = json_string_or(j, "user");
  auto ns = parse_rfc3339_ns(*time);
  if (!ns) return std::nullopt;
  e.time_ns = *ns;
  if (auto d = json_member<std::string>(j, "digest")) {
    auto dg = Digest::parse(*d);
    if (!dg) return std::nullopt;
    e.digest = *dg;
  }
  return e;
}

std::string tag_history_json(const std::string& name, const std::string& tag,
                             const std::vector<TagEvent>& events) {
  json arr = json::array();
  for (const auto& e : events) arr.push_back(tag_event(e));
  return dump(json{{"name", name}, {"tag", tag}, {"history", std::move(arr)}});
}

std::string catalog_json(const std::vector<std::string>& repositories) {
  return dump(json{{"repositories", repositories}});
}

std::string referrers_index_json(const std::vector<ReferrerEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    json desc{{"mediaType", e.media_type}, {"digest", e.digest.str()}, {"size", e.size}};
    if (!e.artifact_type.empty()) desc["artifactType"] = e.artifact_type;
    if (!e.annotations.empty()) desc["annotations"] = parse_json_or_discarded<json>(e.annotations);
    list.push_back(std::move(desc));
  }
  return dump(json{{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.index.v1+json"},
                   {"manifests", list}});
}

std::string upload_info_json(const std::string& repo, int64_t started) {
  return dump(json{{"repo", repo}, {"started", started}});
}

std::string upload_info_repo(std::string_view text) {
  return json_string_or(parse_json_or_discarded<json>(text), "repo");
}

std::optional<Claims> parse_claims(std::string_view text) {
  auto j = parse_json_or_discarded<json>(text);
  if (!j.is_object()) return std::nullopt;
  Claims c;
  c.sub = json_string_or(j, "sub");
  c.iss = json_string_or(j, "iss");
  if (auto aud = json_member<std::string>(j, "aud"))
    c.aud.push_back(*aud);
  else
    c.aud = strings_of(member(j, "aud"));
  c.exp = number_member(j, "exp");
  c.nbf = number_member(j, "nbf");
  if (const json* access = member(j, "access"); access && access->is_array())
    for (const auto& e : *access) {
      if (!e.is_object()) continue;
      c.access.push_back(
          {json_string_or(e, "type"), json_string_or(e, "name"), strings_of(member(e, "actions"))});
    }
  return c;
}

std::optional<JwtHeader> parse_jwt_header(std::string_view text) {
  auto j = parse_json_or_discarded<json>(text);
  auto alg = json_member<std::string>(j, "alg");
  if (!alg) return std::nullopt;
  JwtHeader h;
  h.alg = *alg;
  if (const json* x5c = member(j, "x5c"); x5c && x5c->is_array())
    for (const auto& c : *x5c) {
      if (!c.is_string())
        h.x5c_malformed = true;
      else
        h.x5c.push_back(c.get<std::string>());
    }
  return h;
}

std::string log_line(const LogFields& fields) {
  json j = json::object();
  for (const auto& [k, v] : fields) std::visit([&](const auto& x) { j[k] = x; }, v);
  return dump(j);
}

std::string gc_report_json(const GcReport& r, bool dry_run) {
  json j{{"dry_run", dry_run},
         {"manifests_kept", r.manifests_kept},
         {"blobs_kept", r.blobs_kept},
         {"manifests_deleted", r.manifests_deleted},
         {"blobs_deleted", r.blobs_deleted},
         {"bytes_freed", r.bytes_freed},
         {"links_deleted", r.links_deleted},
         {"uploads_deleted", r.uploads_deleted},
         {"actions", r.actions}};
  return dump(j, 2);
}

}  // namespace kiln::registry::server
