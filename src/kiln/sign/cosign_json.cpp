#include <nlohmann/json.hpp>

#include "kiln/net/http.hpp"
#include "kiln/sign/cosign.hpp"

namespace kiln::sign {
namespace {

using ojson = nlohmann::ordered_json;

Result<nlohmann::json> parse_object(std::string_view text, std::string_view what) {
  if (text.size() > k_max_document)
    return failf(Errc::invalid_argument, "{}: {} bytes, larger than the {} kiln reads", what,
                 text.size(), k_max_document);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return failf(Errc::invalid_argument, "{}: not a JSON object", what);
  return j;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> string_map(const nlohmann::json& j, const char* key) {
  std::map<std::string, std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

Result<Descriptor> descriptor(const nlohmann::json& j, std::string_view what) {
  if (!j.is_object())
    return failf(Errc::invalid_argument, "{}: a descriptor is not an object", what);
  Descriptor d;
  d.media_type = str(j, "mediaType");
  d.digest = KILN_TRY_CTX(Digest::parse(str(j, "digest")), what);
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    return failf(Errc::invalid_argument, "{}: a descriptor has no valid size", what);
  d.size = size->get<int64_t>();
  d.artifact_type = str(j, "artifactType");
  d.annotations = string_map(j, "annotations");
  return d;
}

ojson descriptor_json(const Descriptor& d) {
  ojson j;
  j["mediaType"] = d.media_type;
  j["size"] = d.size;
  j["digest"] = d.digest.str();
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  return j;
}

}  // namespace

std::string cosign_tag(const Digest& image, std::string_view suffix) {
  return fmt::format("sha256-{}.{}", image.hex(), suffix);
}
std::string fallback_tag(const Digest& subject) {
  return "sha256-" + subject.hex();
}

std::string make_payload(std::string_view docker_reference, const Digest& image,
                         const std::map<std::string, std::string>& annotations) {
  ojson j;
  j["critical"]["identity"]["docker-reference"] = docker_reference;
  j["critical"]["image"]["docker-manifest-digest"] = image.str();
  j["critical"]["type"] = k_payload_type;
  j["optional"] = annotations.empty() ? ojson(nullptr) : ojson(annotations);
  return j.dump();
}

Result<Payload> parse_payload(std::string_view bytes) {
  auto j = KILN_TRY(parse_object(bytes, "signature payload"));
  auto bad = [](std::string_view why) {
    return failf(Errc::corrupt, "signature payload: {}", why);
  };
  auto crit = j.find("critical");
  if (crit == j.end() || !crit->is_object()) return bad("no \"critical\" object");
  Payload p;
  p.type = str(*crit, "type");
  if (auto id = crit->find("identity"); id != crit->end() && id->is_object())
    p.docker_reference = str(*id, "docker-reference");
  auto img = crit->find("image");
  if (img == crit->end() || !img->is_object()) return bad("no critical.image");
  auto d = Digest::parse(str(*img, "docker-manifest-digest"));
  if (!d) return bad("critical.image.docker-manifest-digest is not a sha256 digest");
  p.manifest_digest = *d;
  p.optional = string_map(j, "optional");
  return p;
}

Result<Artifact> parse_artifact(std::string_view json, std::string_view what) {
  auto j = KILN_TRY(parse_object(json, what));
  Artifact a;
  a.media_type = str(j, "mediaType");
  a.artifact_type = str(j, "artifactType");
  a.annotations = string_map(j, "annotations");
  if (auto c = j.find("config"); c != j.end()) a.config = KILN_TRY(descriptor(*c, what));
  auto list = j.find("layers");
  if (list == j.end()) list = j.find("manifests");
  if (list != j.end()) {
    if (!list->is_array())
      return failf(Errc::invalid_argument, "{}: layers/manifests is not an array", what);
    if (list->size() > k_max_entries)
      return failf(Errc::invalid_argument, "{}: {} entries, more than the {} kiln reads", what,
                   list->size(), k_max_entries);
    for (const auto& e : *list) a.layers.push_back(KILN_TRY(descriptor(e, what)));
  }
  if (auto s = j.find("subject"); s != j.end()) a.subject = KILN_TRY(descriptor(*s, what));
  return a;
}

std::string artifact_json(const Artifact& a) {
  ojson j;
  j["schemaVersion"] = 2;
  j["mediaType"] = a.media_type;
  if (!a.artifact_type.empty()) j["artifactType"] = a.artifact_type;
  bool index = a.media_type == k_oci_index_type;
  if (!index) j["config"] = descriptor_json(a.config);
  ojson list = ojson::array();
  for (const auto& l : a.layers) list.push_back(descriptor_json(l));
  j[index ? "manifests" : "layers"] = std::move(list);
  if (a.subject) j["subject"] = descriptor_json(*a.subject);
  if (!a.annotations.empty()) j["annotations"] = a.annotations;
  return j.dump();
}

std::string cosign_config_json(const std::vector<Descriptor>& layers) {
  ojson j;
  j["architecture"] = "";
  j["created"] = "0001-01-01T00:00:00Z";
  j["history"] = ojson::array({ojson{{"created", "0001-01-01T00:00:00Z"}}});
  j["os"] = "";
  j["rootfs"]["type"] = "layers";
  j["rootfs"]["diff_ids"] = ojson::array();
  for (const auto& l : layers) j["rootfs"]["diff_ids"].push_back(l.digest.str());
  j["config"] = ojson::object();
  return j.dump();
}

Result<std::string> statement_json(std::string_view name, const Digest& image,
                                   std::string_view predicate_type,
                                   std::string_view predicate_json) {
  auto pred = ojson::parse(predicate_json, nullptr, false);
  if (pred.is_discarded()) return fail(Errc::invalid_argument, "the predicate is not JSON");
  ojson j;
  j["_type"] = "https://in-toto.io/Statement/v1";
  j["subject"] = ojson::array({ojson{{"name", name}, {"digest", {{"sha256", image.hex()}}}}});
  j["predicateType"] = predicate_type;
  j["predicate"] = std::move(pred);
  return j.dump();
}

Result<Statement> parse_statement(std::string_view json) {
  auto j = KILN_TRY(parse_object(json, "in-toto statement"));
  Statement s;
  s.predicate_type = str(j, "predicateType");
  auto subj = j.find("subject");
  if (subj == j.end() || !subj->is_array() || subj->size() > k_max_entries)
    return fail(Errc::corrupt, "in-toto statement: no subject list");
  for (const auto& e : *subj) {
    if (!e.is_object() || !e.contains("digest") || !e["digest"].is_object()) continue;
    if (auto d = Digest::parse("sha256:" + str(e["digest"], "sha256"))) s.subjects.push_back(*d);
  }
  return s;
}

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
  return fmt::format("DSSEv1 {} {} {} {}", payload_type.size(), payload_type, payload.size(),
                     payload);
}

std::string dsse_json(std::string_view payload_type, std::string_view payload,
                      std::string_view signature) {
  ojson j;
  j["payloadType"] = payload_type;
  j["payload"] = net::base64_encode(payload);
  j["signatures"] = ojson::array({ojson{{"keyid", ""}, {"sig", net::base64_encode(signature)}}});
  return j.dump();
}

Result<Envelope> parse_dsse(std::string_view json) {
  auto j = KILN_TRY(parse_object(json, "DSSE envelope"));
  Envelope e;
  e.payload_type = str(j, "payloadType");
  auto payload = net::base64_decode(str(j, "payload"));
  if (!payload || e.payload_type.empty())
    return fail(Errc::corrupt, "DSSE envelope: no payloadType or payload is not base64");
  e.payload = std::move(*payload);
  auto sigs = j.find("signatures");
  if (sigs == j.end() || !sigs->is_array() || sigs->size() > k_max_entries)
    return fail(Errc::corrupt, "DSSE envelope: no signatures list");
  for (const auto& s : *sigs)
    if (s.is_object())
      if (auto raw = net::base64_decode(str(s, "sig"))) e.signatures.push_back(std::move(*raw));
  return e;
}

std::string sbom_kind(std::string_view json) {
  if (json.size() > (size_t{256} << 20)) return "";
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  if (j.contains("spdxVersion")) return "spdx";
  if (str(j, "bomFormat") == "CycloneDX") return "cyclonedx";
  return "";
}

namespace {
ojson tree_node(const TreeNode& n) {
  ojson j = descriptor_json(n.self);
  if (!n.tag.empty()) j["tag"] = n.tag;
  j["referrers"] = ojson::array();
  for (const auto& c : n.children) j["referrers"].push_back(tree_node(c));
  return j;
}
}  // namespace

std::string tree_json(const TreeNode& root) {
  return tree_node(root).dump(2);
}

}  // namespace kiln::sign
