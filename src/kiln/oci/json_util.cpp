#include "kiln/oci/json_util.hpp"
#include "kiln/base/json_depth.hpp"

namespace kiln::oci::detail {

Result<json> parse_json(std::string_view text, std::string_view what) {
  KILN_TRY(check_json_depth(text, what));
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return failf(Errc::invalid_argument, "{}: invalid JSON at byte {}", what, e.byte);
  } catch (const std::exception& e) {
    return failf(Errc::invalid_argument, "{}: invalid JSON: {}", what, e.what());
  }
}

std::string member_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

Status require_object(const json& v, std::string_view path) {
  if (!v.is_object()) return failf(Errc::invalid_argument, "{}: must be a JSON object", path);
  return {};
}

Result<std::string> get_string(const json& obj, std::string_view path, const char* key,
                               bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return failf(Errc::invalid_argument, "{}: missing", member_path(path, key));
    return std::string();
  }
  if (!it->is_string())
    return failf(Errc::invalid_argument, "{}: must be a string", member_path(path, key));
  return it->get<std::string>();
}

Result<int64_t> get_int(const json& obj, std::string_view path, const char* key, bool required,
                        int64_t fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return failf(Errc::invalid_argument, "{}: missing", member_path(path, key));
    return fallback;
  }
  if (!it->is_number_integer())
    return failf(Errc::invalid_argument, "{}: must be an integer", member_path(path, key));
  return it->get<int64_t>();
}

Result<bool> get_bool(const json& obj, std::string_view path, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return false;
  if (!it->is_boolean())
    return failf(Errc::invalid_argument, "{}: must be true or false", member_path(path, key));
  return it->get<bool>();
}

Result<std::optional<std::vector<std::string>>> get_opt_strings(const json& obj,
                                                                std::string_view path,
                                                                const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array())
    return failf(Errc::invalid_argument, "{}: must be an array of strings", member_path(path, key));
  std::vector<std::string> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& v = (*it)[i];
    if (!v.is_string())
      return failf(Errc::invalid_argument, "{}[{}]: must be a string", member_path(path, key), i);
    out.push_back(v.get<std::string>());
  }
  return std::optional(std::move(out));
}

Result<std::vector<std::string>> get_strings(const json& obj, std::string_view path,
                                             const char* key) {
  auto v = KILN_TRY(get_opt_strings(obj, path, key));
  return v ? std::move(*v) : std::vector<std::string>();
}

Result<StringMap> get_string_map(const json& obj, std::string_view path, const char* key) {
  StringMap out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object())
    return failf(Errc::invalid_argument, "{}: must be an object of strings",
                 member_path(path, key));
  for (auto& [k, v] : it->items()) {
    if (!v.is_string())
      return failf(Errc::invalid_argument, "{}[\"{}\"]: must be a string", member_path(path, key),
                   k);
    out[k] = v.get<std::string>();
  }
  return out;
}

Result<std::vector<std::string>> get_key_set(const json& obj, std::string_view path,
                                             const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_object())
    return failf(Errc::invalid_argument, "{}: must be an object", member_path(path, key));
  for (auto& [k, v] : it->items()) out.push_back(k);
  return out;  // nlohmann::json objects iterate in sorted order
}

Result<Digest> get_digest(const json& obj, std::string_view path, const char* key) {
  auto s = KILN_TRY(get_string(obj, path, key, true));
  return with_context(Digest::parse(s), member_path(path, key));
}

Extra collect_extra(const json& obj, std::initializer_list<const char*> known) {
  Extra extra;
  for (auto& [k, v] : obj.items()) {
    bool is_known = false;
    for (const char* kk : known)
      if (k == kk) is_known = true;
    if (!is_known) extra[k] = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return extra;
}

void put_extra(ojson& out, const Extra& extra) {
  for (const auto& [k, raw] : extra)
    if (!out.contains(k)) out[k] = ojson::parse(raw);
}

Result<Platform> parse_platform(const json& obj, std::string_view path) {
  KILN_TRY(require_object(obj, path));
  Platform p;
  p.architecture = KILN_TRY(get_string(obj, path, "architecture", true));
  p.os = KILN_TRY(get_string(obj, path, "os", true));
  p.os_version = KILN_TRY(get_string(obj, path, "os.version", false));
  p.os_features = KILN_TRY(get_strings(obj, path, "os.features"));
  p.variant = KILN_TRY(get_string(obj, path, "variant", false));
  p.features = KILN_TRY(get_strings(obj, path, "features"));
  p.extra = collect_extra(
      obj, {"architecture", "os", "os.version", "os.features", "variant", "features"});
  return p;
}

ojson platform_json(const Platform& p) {
  ojson j = ojson::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.features.empty()) j["features"] = p.features;
  put_extra(j, p.extra);
  return j;
}

Result<Descriptor> parse_descriptor_json(const json& obj, std::string_view path) {
  KILN_TRY(require_object(obj, path));
  Descriptor d;
  d.media_type = KILN_TRY(get_string(obj, path, "mediaType", true));
  d.digest = KILN_TRY(get_digest(obj, path, "digest"));
  d.size = KILN_TRY(get_int(obj, path, "size", true));
  if (d.size < 0)
    return failf(Errc::invalid_argument, "{}: must not be negative", member_path(path, "size"));
  d.urls = KILN_TRY(get_strings(obj, path, "urls"));
  d.annotations = KILN_TRY(get_string_map(obj, path, "annotations"));
  if (obj.contains("data") && !obj["data"].is_null())
    d.data = KILN_TRY(get_string(obj, path, "data", true));
  if (obj.contains("platform") && !obj["platform"].is_null())
    d.platform = KILN_TRY(parse_platform(obj["platform"], member_path(path, "platform")));
  d.artifact_type = KILN_TRY(get_string(obj, path, "artifactType", false));
  d.extra = collect_extra(obj, {"mediaType", "digest", "size", "urls", "annotations", "data",
                                "platform", "artifactType"});
  return d;
}

ojson descriptor_json(const Descriptor& d) {
  ojson j = ojson::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.str();
  j["size"] = d.size;
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.data) j["data"] = *d.data;
  if (d.platform) j["platform"] = platform_json(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  put_extra(j, d.extra);
  return j;
}

}  // namespace kiln::oci::detail
