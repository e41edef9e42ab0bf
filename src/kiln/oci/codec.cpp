#include "kiln/oci/codec.hpp"
#include "kiln/base/json_depth.hpp"

#include "kiln/oci/json_util.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::oci {

using namespace detail;

namespace {

Status check_schema_version(const json& j, std::string_view what) {
  auto v = KILN_TRY(get_int(j, what, "schemaVersion", true));
  if (v != 2) return failf(Errc::unsupported, "{}.schemaVersion: must be 2, got {}", what, v);
  return {};
}

Result<std::optional<Descriptor>> opt_descriptor(const json& j, std::string_view path,
                                                 const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<Descriptor>();
  return std::optional(KILN_TRY(parse_descriptor_json(*it, member_path(path, key))));
}

Result<std::vector<Descriptor>> descriptor_list(const json& j, std::string_view path,
                                                const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return failf(Errc::invalid_argument, "{}: missing", member_path(path, key));
  if (!it->is_array())
    return failf(Errc::invalid_argument, "{}: must be an array", member_path(path, key));
  std::vector<Descriptor> out;
  for (size_t i = 0; i < it->size(); ++i)
    out.push_back(KILN_TRY(
        parse_descriptor_json((*it)[i], fmt::format("{}[{}]", member_path(path, key), i))));
  return out;
}

}  // namespace

std::string sniff_media_type(std::string_view text) {
  if (!json_depth_ok(text)) return "";
  try {
    auto j = json::parse(text.begin(), text.end());
    if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string())
      return j["mediaType"].get<std::string>();
  } catch (const std::exception&) {
  }
  return "";
}

Result<Manifest> parse_manifest(std::string_view text) {
  const std::string_view what = "manifest";
  auto j = KILN_TRY(parse_json(text, what));
  KILN_TRY(require_object(j, what));
  Manifest m;
  m.media_type = KILN_TRY(get_string(j, what, "mediaType", false));
  if (m.media_type == mt::docker_schema1 || m.media_type == mt::docker_schema1_signed ||
      (m.media_type.empty() && j.contains("fsLayers")))
    return fail(Errc::unsupported,
                "manifest: Docker schema 1 manifests are deprecated and not supported");
  if (!m.media_type.empty() && !mt::is_manifest(m.media_type))
    return failf(Errc::invalid_argument, "manifest.mediaType: \"{}\" is not an image manifest type",
                 m.media_type);
  KILN_TRY(check_schema_version(j, what));
  m.artifact_type = KILN_TRY(get_string(j, what, "artifactType", false));
  if (!j.contains("config") || j["config"].is_null())
    return fail(Errc::invalid_argument, "manifest.config: missing");
  m.config = KILN_TRY(parse_descriptor_json(j["config"], "manifest.config"));
  m.layers = KILN_TRY(descriptor_list(j, what, "layers"));
  m.subject = KILN_TRY(opt_descriptor(j, what, "subject"));
  m.annotations = KILN_TRY(get_string_map(j, what, "annotations"));
  m.extra = collect_extra(j, {"schemaVersion", "mediaType", "artifactType", "config", "layers",
                              "subject", "annotations"});
  return m;
}

Result<Index> parse_index(std::string_view text) {
  const std::string_view what = "index";
  auto j = KILN_TRY(parse_json(text, what));
  KILN_TRY(require_object(j, what));
  Index x;
  x.media_type = KILN_TRY(get_string(j, what, "mediaType", false));
  if (!x.media_type.empty() && !mt::is_index(x.media_type))
    return failf(Errc::invalid_argument, "index.mediaType: \"{}\" is not an image index type",
                 x.media_type);
  KILN_TRY(check_schema_version(j, what));
  x.artifact_type = KILN_TRY(get_string(j, what, "artifactType", false));
  x.manifests = KILN_TRY(descriptor_list(j, what, "manifests"));
  x.subject = KILN_TRY(opt_descriptor(j, what, "subject"));
  x.annotations = KILN_TRY(get_string_map(j, what, "annotations"));
  x.extra = collect_extra(
      j, {"schemaVersion", "mediaType", "artifactType", "manifests", "subject", "annotations"});
  return x;
}

Result<Descriptor> parse_descriptor(std::string_view text) {
  auto j = KILN_TRY(parse_json(text, "descriptor"));
  return parse_descriptor_json(j, "descriptor");
}

std::string serialize(const Manifest& m) {
  ojson j = ojson::object();
  j["schemaVersion"] = m.schema_version;
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  j["config"] = descriptor_json(m.config);
  j["layers"] = ojson::array();
  for (const auto& l : m.layers) j["layers"].push_back(descriptor_json(l));
  if (m.subject) j["subject"] = descriptor_json(*m.subject);
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  put_extra(j, m.extra);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string serialize(const Index& x) {
  ojson j = ojson::object();
  j["schemaVersion"] = x.schema_version;
  if (!x.media_type.empty()) j["mediaType"] = x.media_type;
  if (!x.artifact_type.empty()) j["artifactType"] = x.artifact_type;
  j["manifests"] = ojson::array();
  for (const auto& d : x.manifests) j["manifests"].push_back(descriptor_json(d));
  if (x.subject) j["subject"] = descriptor_json(*x.subject);
  if (!x.annotations.empty()) j["annotations"] = x.annotations;
  put_extra(j, x.extra);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string serialize(const Descriptor& d) {
  return descriptor_json(d).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kiln::oci
