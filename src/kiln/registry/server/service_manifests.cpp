// Manifests: GET/HEAD by tag or digest, PUT (validated before it is stored), DELETE.

#include "kiln/registry/server/gc_fence.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/proxy.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {
namespace {

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

struct Problem {
  Code code;
  std::string detail;
};

}  // namespace

Reply Service::manifest(const Route& rt, const Request& req) {
  Digest d;
  if (auto dg = Digest::parse(rt.ref)) {
    d = *dg;
    if (!linked(layout::revision(rt.name, d))) {
      if (!m_proxy) return {error_response(Code::manifest_unknown, d.str()), nullptr};
      if (auto st = m_proxy->manifest(rt.name, d); !st)
        return {upstream_failure(Code::manifest_unknown, st.error()), nullptr};
    }
  } else if (valid_tag(rt.ref) && m_proxy) {
    auto pd = m_proxy->tag(rt.name, rt.ref);
    if (!pd) return {upstream_failure(Code::manifest_unknown, pd.error()), nullptr};
    d = *pd;
  } else if (valid_tag(rt.ref)) {
    auto t = read_link(layout::tag(rt.name, rt.ref));
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
               int64_t limit, std::string user)
      : m_svc(svc),
        m_name(std::move(name)),
        m_ref(std::move(ref)),
        m_type(std::move(content_type)),
        m_limit(limit),
        m_user(std::move(user)) {}
  Status write(std::span<const char> data) override {
    if (static_cast<int64_t>(m_body.size() + data.size()) > m_limit)
      return failf(Errc::no_space, "manifest larger than {} bytes", m_limit);
    m_body.append(data.data(), data.size());
    return {};
  }
  Response finish() override {
    auto r = m_svc.store_manifest(m_name, m_ref, std::move(m_body), m_type, m_user);
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
  std::string m_user;
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
          std::make_unique<ManifestSink>(*this, rt.name, rt.ref, type, m_opt.max_manifest_bytes,
                                         req.user)};
}

namespace {

using Check = std::optional<Problem>;

// What the document says it is, checked against the request: its digest, the JSON,
// schemaVersion, and a media type that agrees with Content-Type. Sets `type`.
Check check_document(const std::optional<ManifestView>& v, const Digest& d, const std::string& ref,
                     std::string_view content_type, std::string& type) {
  if (auto want = Digest::parse(ref); want && *want != d)
    return Problem{Code::digest_invalid,
                   fmt::format("the manifest's digest is {}, not {}", d.str(), want->str())};
  if (!v) return Problem{Code::manifest_invalid, "the manifest is not a JSON object"};
  if (!v->schema_v2)
    return Problem{Code::manifest_invalid, "schemaVersion must be 2 (schema 1 is not accepted)"};
  type = v->media_type.value_or(std::string(content_type));
  if (v->has_media_type && !content_type.empty() && type != content_type)
    return Problem{Code::manifest_invalid,
                   fmt::format("Content-Type {} does not match the manifest's mediaType {}",
                               content_type, type)};
  if (type.empty()) type = v->has_manifests ? k_oci_index : k_oci_manifest;
  if (!is_index_type(type) && !is_manifest_type(type))
    return Problem{Code::manifest_invalid, "unsupported manifest media type " + type};
  return std::nullopt;
}

// Every manifest an index names is in the repository.
Check check_index(Service& svc, const std::string& name, const ManifestView& v) {
  if (!v.manifests) return Problem{Code::manifest_invalid, "an index needs a manifests array"};
  for (const auto& m : *v.manifests) {
    if (!m.problem.empty()) return Problem{Code::manifest_invalid, m.problem};
    svc.touch(*m.digest);
    if (!svc.linked(layout::revision(name, *m.digest)))
      return Problem{Code::manifest_blob_unknown,
                     "the index references " + m.digest->str() + ", unknown here"};
  }
  return std::nullopt;
}

// The config and every layer are in the repository, with the sizes the manifest says.
Check check_image(Service& svc, const std::string& name, const ManifestView& v) {
  if (!v.config || !v.layers)
    return Problem{Code::manifest_invalid, "an image manifest needs config and layers"};
  std::vector<const DescriptorView*> blobs{&*v.config};
  for (const auto& l : *v.layers) blobs.push_back(&l);
  for (const DescriptorView* b : blobs) {
    if (!b->problem.empty()) return Problem{Code::manifest_invalid, b->problem};
    if (b->foreign) continue;
    const Digest& dg = *b->digest;
    svc.touch(dg);
    auto st = svc.linked(layout::layer_link(name, dg)) ? svc.driver().stat(layout::blob(dg))
                                                       : Result<Stat>(fail(Errc::not_found, ""));
    if (!st)
      return Problem{Code::manifest_blob_unknown,
                     "the manifest references blob " + dg.str() + ", unknown here"};
    if (st->size != b->size)
      return Problem{
          Code::manifest_invalid,
          fmt::format("blob {} has {} bytes, the manifest says {}", dg.str(), st->size, b->size)};
  }
  return std::nullopt;
}

// What a stored manifest relies on, for gc_fence: its own blob and revision, and what it
// references in the repository.
std::vector<FenceRef> fence_refs(const std::string& name, const Digest& d, const ManifestView& v) {
  std::vector<FenceRef> refs{{d, layout::blob(d)}, {d, layout::revision(name, d)}};
  if (v.manifests)
    for (const auto& m : *v.manifests)
      if (m.digest) refs.push_back({*m.digest, layout::revision(name, *m.digest)});
  std::vector<const DescriptorView*> blobs;
  if (v.config) blobs.push_back(&*v.config);
  if (v.layers)
    for (const auto& l : *v.layers) blobs.push_back(&l);
  for (const DescriptorView* b : blobs)
    if (b->digest && !b->foreign) {
      refs.push_back({*b->digest, layout::blob(*b->digest)});
      refs.push_back({*b->digest, layout::layer_link(name, *b->digest)});
    }
  return refs;
}

}  // namespace

Result<Response> Service::store_manifest(const std::string& name, const std::string& ref,
                                         std::string body, std::string_view content_type,
                                         const std::string& user) {
  Digest d = Digest::of(body);
  // Everything validated below stays until the references are written (gc.hpp).
  std::shared_lock gc_lock(m_gc_mu);
  touch(d);
  auto v = view_manifest(body);
  std::string type;
  auto problem = check_document(v, d, ref, content_type, type);
  if (!problem)
    problem = is_index_type(type) ? check_index(*this, name, *v) : check_image(*this, name, *v);
  if (problem) return error_response(problem->code, problem->detail);
  bool tagged = !Digest::parse(ref);
  if (tagged)  // refused before anything is written (move_tag checks again, serialised)
    if (auto denied = immutable_denial(m_driver, m_opt, name, ref, d)) return *denied;
  if (tagged)
    if (auto denied = signature_denial(name, ref, d, body)) return *denied;

  std::optional<Digest> subject;
  if (v->subject) {
    if (!v->subject->problem.empty())
      return error_response(Code::manifest_invalid, v->subject->problem);
    subject = v->subject->digest;
  }
  std::string blob = layout::blob(d);
  if (!linked(blob))
    if (auto st = m_driver.put(blob, body); !st) return std::unexpected(st.error());
  if (auto st = link(layout::revision(name, d), d); !st) return std::unexpected(st.error());
  if (subject)
    if (auto st = link(layout::referrer(name, *subject, d), d); !st)
      return std::unexpected(st.error());
  if (tagged)
    if (auto denied = KILN_TRY(move_tag(name, ref, d, nullptr, user))) return *denied;
  // Not acknowledged until no collection on another process can have deleted what it links
  // (outside the gc lock: the fence may wait on a collection in this process, which takes that
  // lock for each deletion).
  gc_lock.unlock();
  if (auto st = gc_fence(m_driver, fence_refs(name, d, *v)); !st) {
    if (st.error().code() != Errc::conflict) return std::unexpected(st.error());
    return error_response(Code::manifest_blob_unknown, st.error().message());
  }
  Response r;
  r.status = 201;
  r.set("Location", "/v2/" + name + "/manifests/" + d.str());
  r.set("Docker-Content-Digest", d.str());
  if (subject) r.set("OCI-Subject", subject->str());
  return r;
}

Reply Service::delete_manifest(const Route& rt, const Request& req) {
  auto d = Digest::parse(rt.ref);
  Response ok;
  ok.status = 202;
  auto failed = [](const Error& e) -> Reply {
    return {error_response(Code::internal, e.message()), nullptr};
  };
  if (!d) {
    if (!valid_tag(rt.ref))
      return {error_response(Code::manifest_invalid, "invalid tag " + rt.ref.substr(0, 130)),
              nullptr};
    if (!linked(layout::tag(rt.name, rt.ref)))
      return {error_response(Code::manifest_unknown, "no tag " + rt.ref), nullptr};
    auto denied = move_tag(rt.name, rt.ref, std::nullopt, &req, req.user);
    if (!denied) return failed(denied.error());
    if (*denied) return {std::move(**denied), nullptr};
    return {std::move(ok), nullptr};
  }
  std::string rev = layout::revision(rt.name, *d);
  if (!linked(rev)) return {error_response(Code::manifest_unknown, d->str()), nullptr};
  // Tags pointing at it go too (as Distribution does), then the referrers entry; an immutable
  // one refuses the whole deletion unless the caller is an admin.
  std::vector<std::string> pointing;
  if (auto tags = m_driver.list(layout::tags(rt.name)))
    for (const auto& t : *tags)
      if (auto v = m_driver.get(layout::tag(rt.name, t)); v && *v == d->str())
        pointing.push_back(t);
  for (const auto& t : pointing)
    if (immutable_rule(m_opt.immutable, rt.name, t) && !req.admin)
      return {error_response(Code::denied,
                             fmt::format("{} is tagged {}, an immutable tag: deleting it needs the "
                                         "admin scope (\"*\" on the repository)",
                                         d->str(), t)),
              nullptr};
  for (const auto& t : pointing) {
    auto denied = move_tag(rt.name, t, std::nullopt, &req, req.user);
    if (!denied) return failed(denied.error());
    if (*denied) return {std::move(**denied), nullptr};
  }
  if (auto m = load_manifest(*d)) {
    auto v = view_manifest(*m->body);
    if (v && v->subject && v->subject->problem.empty())
      (void)m_driver.remove(layout::referrer(rt.name, *v->subject->digest, *d));
  }
  if (auto st = m_driver.remove(rev); !st) return failed(st.error());
  return {std::move(ok), nullptr};
}

}  // namespace kiln::registry::server
