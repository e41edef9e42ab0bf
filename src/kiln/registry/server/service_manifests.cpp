// Manifests: GET/HEAD by tag or digest, PUT (validated before it is stored), DELETE.
#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view k_oci_index = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view k_docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view k_docker_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";

bool is_index_type(std::string_view t) {
  return t == k_oci_index || t == k_docker_list;
}
bool is_manifest_type(std::string_view t) {
  return t == k_oci_manifest || t == k_docker_manifest;
}

// Layers a registry need not hold (foreign or non-distributable, or fetched from urls).
bool foreign(const json& desc) {
  std::string mt = json_string_or(desc, "mediaType");
  return mt.find("foreign") != std::string::npos ||
         mt.find("nondistributable") != std::string::npos || desc.contains("urls");
}

// A descriptor's digest and size, checked for form.
Result<std::pair<Digest, int64_t>> descriptor(const json& d, std::string_view where) {
  if (!d.is_object()) return failf(Errc::invalid_argument, "{}: not a descriptor", where);
  if (!d.contains("mediaType") || !d["mediaType"].is_string())
    return failf(Errc::invalid_argument, "{}: mediaType missing", where);
  if (!d.contains("digest") || !d["digest"].is_string())
    return failf(Errc::invalid_argument, "{}: digest missing", where);
  auto dg = Digest::parse(d["digest"].get<std::string>());
  if (!dg) return failf(Errc::invalid_argument, "{}: {}", where, dg.error().message());
  if (!d.contains("size") || !d["size"].is_number_integer() || d["size"].get<int64_t>() < 0)
    return failf(Errc::invalid_argument, "{}: size missing or negative", where);
  return std::make_pair(*dg, d["size"].get<int64_t>());
}

struct Problem {
  Code code;
  std::string detail;
};

}  // namespace

Reply Service::manifest(const Route& rt, const Request& req) {
  Digest d;
  if (auto dg = Digest::parse(rt.ref)) {
    d = *dg;
    if (!linked(layout::revision(rt.name, d)))
      return {error_response(Code::manifest_unknown, d.str()), nullptr};
  } else if (valid_tag(rt.ref)) {
    auto t = m_driver.get(layout::tag(rt.name, rt.ref));
    if (!t) return {error_response(Code::manifest_unknown, "no tag " + rt.ref), nullptr};
    auto td = Digest::parse(*t);
    if (!td) return {error_response(Code::internal, "corrupt tag " + rt.ref), nullptr};
    d = *td;
  } else if (rt.ref.find(':') != std::string::npos) {
    return {error_response(Code::digest_invalid, "invalid digest " + rt.ref.substr(0, 100)),
            nullptr};
  } else {
    // No manifest can be stored under a name that is not a tag, so none is found there (the
    // conformance suite's ".INVALID_MANIFEST_NAME"); a PUT under it is 400 MANIFEST_INVALID.
    return {error_response(Code::manifest_unknown, "no tag " + rt.ref.substr(0, 130)), nullptr};
  }
  auto m = load_manifest(d);
  if (!m) return {error_response(Code::manifest_unknown, m.error().message()), nullptr};
  Response r;
  r.body = *m->body;
  r.head = req.method == "HEAD";
  r.set("Content-Type", m->media_type);
  r.set("Docker-Content-Digest", d.str());
  r.set("ETag", "\"" + d.str() + "\"");
  return {std::move(r), nullptr};
}

namespace {

// Collects a manifest body in memory, up to the limit.
class ManifestSink final : public BodySink {
 public:
  ManifestSink(Service& svc, std::string name, std::string ref, std::string content_type,
               int64_t limit)
      : m_svc(svc),
        m_name(std::move(name)),
        m_ref(std::move(ref)),
        m_type(std::move(content_type)),
        m_limit(limit) {}
  Status write(std::span<const char> data) override {
    if (static_cast<int64_t>(m_body.size() + data.size()) > m_limit)
      return failf(Errc::no_space, "manifest larger than {} bytes", m_limit);
    m_body.append(data.data(), data.size());
    return {};
  }
  Response finish() override {
    auto r = m_svc.store_manifest(m_name, m_ref, std::move(m_body), m_type);
    if (r) return std::move(*r);
    return error_response(Code::internal, r.error().message());
  }
  Response abort(const Error& why) override {
    if (why.code() == Errc::no_space) return error_response(Code::too_large, why.message());
    return error_response(Code::internal, why.message());
  }

 private:
  Service& m_svc;
  std::string m_name;
  std::string m_ref;
  std::string m_type;
  int64_t m_limit;
  std::string m_body;
};

}  // namespace

Reply Service::put_manifest(const Route& rt, const Request& req) {
  if (!Digest::parse(rt.ref) && !valid_tag(rt.ref)) {
    if (rt.ref.find(':') != std::string::npos)
      return {error_response(Code::digest_invalid, "invalid digest " + rt.ref.substr(0, 100)),
              nullptr};
    return {error_response(Code::manifest_invalid, "invalid tag " + rt.ref.substr(0, 130)),
            nullptr};
  }
  if (req.content_length && *req.content_length > m_opt.max_manifest_bytes)
    return {error_response(Code::too_large,
                           fmt::format("manifest larger than {} bytes", m_opt.max_manifest_bytes)),
            nullptr};
  std::string type(req.header("Content-Type"));
  if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  return {{},
          std::make_unique<ManifestSink>(*this, rt.name, rt.ref, type, m_opt.max_manifest_bytes)};
}

namespace {

using Check = std::optional<Problem>;

// What the document says it is, checked against the request: its digest, the JSON,
// schemaVersion, and a media type that agrees with Content-Type. Sets `type`.
Check check_document(const json& j, const Digest& d, const std::string& ref,
                     std::string_view content_type, std::string& type) {
  if (auto want = Digest::parse(ref); want && *want != d)
    return Problem{Code::digest_invalid,
                   fmt::format("the manifest's digest is {}, not {}", d.str(), want->str())};
  if (j.is_discarded() || !j.is_object())
    return Problem{Code::manifest_invalid, "the manifest is not a JSON object"};
  if (!j.contains("schemaVersion") || j["schemaVersion"] != 2)
    return Problem{Code::manifest_invalid, "schemaVersion must be 2 (schema 1 is not accepted)"};
  type = j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>()
                                                               : std::string(content_type);
  if (j.contains("mediaType") && !content_type.empty() && type != content_type)
    return Problem{Code::manifest_invalid,
                   fmt::format("Content-Type {} does not match the manifest's mediaType {}",
                               content_type, type)};
  if (type.empty()) type = j.contains("manifests") ? k_oci_index : k_oci_manifest;
  if (!is_index_type(type) && !is_manifest_type(type))
    return Problem{Code::manifest_invalid, "unsupported manifest media type " + type};
  return std::nullopt;
}

// Every manifest an index names is in the repository.
Check check_index(Service& svc, const std::string& name, const json& j) {
  if (!j.contains("manifests") || !j["manifests"].is_array())
    return Problem{Code::manifest_invalid, "an index needs a manifests array"};
  for (const auto& m : j["manifests"]) {
    auto desc = descriptor(m, "manifests[]");
    if (!desc) return Problem{Code::manifest_invalid, desc.error().message()};
    svc.touch(desc->first);
    if (!svc.linked(layout::revision(name, desc->first)))
      return Problem{Code::manifest_blob_unknown,
                     "the index references " + desc->first.str() + ", unknown here"};
  }
  return std::nullopt;
}

// The config and every layer are in the repository, with the sizes the manifest says.
Check check_image(Service& svc, const std::string& name, const json& j) {
  if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array())
    return Problem{Code::manifest_invalid, "an image manifest needs config and layers"};
  std::vector<const json*> blobs{&j["config"]};
  for (const auto& l : j["layers"]) blobs.push_back(&l);
  for (const json* b : blobs) {
    auto desc = descriptor(*b, b == blobs[0] ? "config" : "layers[]");
    if (!desc) return Problem{Code::manifest_invalid, desc.error().message()};
    if (foreign(*b)) continue;
    svc.touch(desc->first);
    auto st = svc.linked(layout::layer_link(name, desc->first))
                  ? svc.driver().stat(layout::blob(desc->first))
                  : Result<Stat>(fail(Errc::not_found, ""));
    if (!st)
      return Problem{Code::manifest_blob_unknown,
                     "the manifest references blob " + desc->first.str() + ", unknown here"};
    if (st->size != desc->second)
      return Problem{Code::manifest_invalid,
                     fmt::format("blob {} has {} bytes, the manifest says {}", desc->first.str(),
                                 st->size, desc->second)};
  }
  return std::nullopt;
}

}  // namespace

Result<Response> Service::store_manifest(const std::string& name, const std::string& ref,
                                         std::string body, std::string_view content_type) {
  Digest d = Digest::of(body);
  // Everything validated below stays until the references are written (gc.hpp).
  std::shared_lock gc_lock(m_gc_mu);
  touch(d);
  auto j = parse_json_or_discarded<json>(body);
  std::string type;
  auto problem = check_document(j, d, ref, content_type, type);
  if (!problem)
    problem = is_index_type(type) ? check_index(*this, name, j) : check_image(*this, name, j);
  if (problem) return error_response(problem->code, problem->detail);

  std::optional<Digest> subject;
  if (j.contains("subject")) {
    auto s = descriptor(j["subject"], "subject");
    if (!s) return error_response(Code::manifest_invalid, s.error().message());
    subject = s->first;
  }
  std::string blob = layout::blob(d);
  if (!linked(blob))
    if (auto st = m_driver.put(blob, body); !st) return std::unexpected(st.error());
  if (auto st = link(layout::revision(name, d), d); !st) return std::unexpected(st.error());
  if (subject)
    if (auto st = link(layout::referrer(name, *subject, d), d); !st)
      return std::unexpected(st.error());
  if (!Digest::parse(ref))
    if (auto st = m_driver.put(layout::tag(name, ref), d.str()); !st)
      return std::unexpected(st.error());
  Response r;
  r.status = 201;
  r.set("Location", "/v2/" + name + "/manifests/" + d.str());
  r.set("Docker-Content-Digest", d.str());
  if (subject) r.set("OCI-Subject", subject->str());
  return r;
}

Reply Service::delete_manifest(const Route& rt, const Request&) {
  auto d = Digest::parse(rt.ref);
  Response ok;
  ok.status = 202;
  if (!d) {
    if (!valid_tag(rt.ref))
      return {error_response(Code::manifest_invalid, "invalid tag " + rt.ref.substr(0, 130)),
              nullptr};
    std::string key = layout::tag(rt.name, rt.ref);
    if (!linked(key)) return {error_response(Code::manifest_unknown, "no tag " + rt.ref), nullptr};
    if (auto st = m_driver.remove(key); !st)
      return {error_response(Code::internal, st.error().message()), nullptr};
    return {std::move(ok), nullptr};
  }
  std::string rev = layout::revision(rt.name, *d);
  if (!linked(rev)) return {error_response(Code::manifest_unknown, d->str()), nullptr};
  // Tags pointing at it go too (as Distribution does), then the referrers entry.
  if (auto tags = m_driver.list(layout::tags(rt.name)))
    for (const auto& t : *tags)
      if (auto v = m_driver.get(layout::tag(rt.name, t)); v && *v == d->str())
        (void)m_driver.remove(layout::tag(rt.name, t));
  if (auto m = load_manifest(*d)) {
    auto j = parse_json_or_discarded<json>(*m->body);
    if (j.is_object() && j.contains("subject"))
      if (auto s = descriptor(j["subject"], "subject"))
        (void)m_driver.remove(layout::referrer(rt.name, s->first, *d));
  }
  if (auto st = m_driver.remove(rev); !st)
    return {error_response(Code::internal, st.error().message()), nullptr};
  return {std::move(ok), nullptr};
}

}  // namespace kiln::registry::server
