// Dispatch, blobs, and the helpers the handler files share.
#include "kiln/registry/server/service.hpp"
#include "kiln/registry/server/json_codec.hpp"

#include "kiln/base/strings.hpp"
#include "kiln/registry/server/gc_fence.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/proxy.hpp"

namespace kiln::registry::server {

Response error_response(Code c, std::string_view detail) {
  Response r;
  r.status = code_info(c).status;
  r.body = error_body(c, detail);
  r.error = detail.empty() ? std::string(code_info(c).name) : std::string(detail);
  r.set("Content-Type", "application/json");
  return r;
}

Response upstream_failure(Code missing, const Error& e) {
  if (e.code() == Errc::not_found) return error_response(missing, e.message());
  Response r = error_response(Code::internal, e.message());
  r.status = 502;
  return r;
}

Service::Service(Driver& driver, ServiceOptions options)
    : m_driver(driver), m_opt(std::move(options)) {}

Service::~Service() = default;

void Service::gc_begin() {
  std::lock_guard lock(m_mu);
  m_gc_active = true;
  m_touched.clear();
}

void Service::gc_end() {
  std::lock_guard lock(m_mu);
  m_gc_active = false;
  m_touched.clear();
}

bool Service::gc_touched(const Digest& d) {
  std::lock_guard lock(m_mu);
  return m_touched.contains(d);
}

void Service::touch(const Digest& d) {
  std::lock_guard lock(m_mu);
  if (m_gc_active) m_touched.insert(d);
}

bool Service::upload_active(const std::string& uuid) {
  std::lock_guard lock(m_mu);
  return m_uploads.contains(uuid);
}

bool Service::linked(const std::string& key) const {
  if (!m_opt.coalesce_reads) return m_driver.stat(key).has_value();
  return m_fresh_stat.get(key, [&] { return m_driver.stat(key); }).has_value();
}

Result<std::string> Service::read_link(const std::string& key) const {
  if (!m_opt.coalesce_reads) return m_driver.get(key);
  return m_fresh_get.get(key, [&] { return m_driver.get(key); });
}

Status Service::fence_blob(const std::string& name, const Digest& d) {
  FenceRef refs[] = {{d, layout::blob(d)}, {d, layout::layer_link(name, d)}};
  return gc_fence(m_driver, refs);
}

Status Service::link(const std::string& key, const Digest& d) {
  if (linked(key)) return {};
  return m_driver.put(key, d.str());
}

Reply Service::handle(const Route& rt, const Request& req) {
  if (rt.kind == RouteKind::base) {
    Response r;
    r.body = "{}";
    r.set("Content-Type", "application/json");
    r.head = req.method == "HEAD";
    return {std::move(r), nullptr};
  }
  if (rt.kind == RouteKind::catalog) {
    if (req.method != "GET") return {error_response(Code::unsupported), nullptr};
    return catalog(req);
  }
  if (!valid_repository(rt.name))
    return {error_response(Code::name_invalid,
                           fmt::format("invalid repository name '{}'", rt.name.substr(0, 300))),
            nullptr};
  bool mutating = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
                  req.method == "DELETE";
  if (mutating && m_opt.read_only)
    return {error_response(Code::unsupported, "the registry is read-only"), nullptr};
  if (mutating && m_proxy)
    return {error_response(Code::unsupported, "this registry is a pull-through cache of " +
                                                  m_proxy->upstream().describe() +
                                                  ": it takes no pushes or deletes"),
            nullptr};
  if (req.method == "DELETE" && !m_opt.delete_enabled &&
      (rt.kind == RouteKind::manifest || rt.kind == RouteKind::blob))
    return {error_response(Code::unsupported, "deletion is disabled"), nullptr};

  switch (rt.kind) {
    case RouteKind::manifest:
      if (req.method == "GET" || req.method == "HEAD") return manifest(rt, req);
      if (req.method == "PUT") return put_manifest(rt, req);
      if (req.method == "DELETE") return delete_manifest(rt, req);
      break;
    case RouteKind::blob: {
      auto d = Digest::parse(rt.ref);
      if (!d)
        return {error_response(Code::digest_invalid, "invalid digest " + rt.ref.substr(0, 100)),
                nullptr};
      if (req.method == "GET" || req.method == "HEAD" || req.method == "DELETE")
        return blob(rt, req, *d);
      break;
    }
    case RouteKind::upload_start:
      if (req.method == "POST") return start_upload(rt, req);
      break;
    case RouteKind::upload:
      if (req.method == "GET" || req.method == "PATCH" || req.method == "PUT" ||
          req.method == "DELETE")
        return upload(rt, req);
      break;
    case RouteKind::tags:
      if (req.method == "GET") return tags(rt, req);
      break;
    case RouteKind::referrers:
      if (req.method == "GET") return referrers(rt, req);
      break;
    case RouteKind::tag_history:
      if (req.method == "GET") return tag_history(rt, req);
      break;
    default:
      return {error_response(Code::unsupported, "no such endpoint"), nullptr};
  }
  return {error_response(Code::unsupported, req.method + " is not allowed here"), nullptr};
}

namespace {

// Parses "bytes=a-b", "bytes=a-" and "bytes=-n" against size. nullopt: unsatisfiable.
std::optional<std::pair<int64_t, int64_t>> parse_range(std::string_view h, int64_t size) {
  if (!h.starts_with("bytes=")) return std::nullopt;
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::nullopt;
  size_t dash = h.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = h.substr(0, dash);
  auto b = h.substr(dash + 1);
  int64_t first = 0;
  int64_t last = size - 1;
  if (a.empty()) {
    auto n = parse_int(b);
    if (!n || *n <= 0) return std::nullopt;
    first = std::max<int64_t>(0, size - *n);
  } else {
    auto f = parse_int(a);
    if (!f || *f < 0) return std::nullopt;
    first = *f;
    if (!b.empty()) {
      auto l = parse_int(b);
      if (!l || *l < first) return std::nullopt;
      last = std::min(*l, size - 1);
    }
  }
  if (first >= size) return std::nullopt;
  return std::make_pair(first, last);
}

}  // namespace

Reply Service::blob(const Route& rt, const Request& req, const Digest& d) {
  std::string link = layout::layer_link(rt.name, d);
  if (!linked(link) && !linked(layout::revision(rt.name, d))) {
    if (!m_proxy || req.method == "DELETE")
      return {error_response(Code::blob_unknown, d.str()), nullptr};
    auto streamed = m_proxy->stream_blob(rt.name, d);
    if (!streamed) return {upstream_failure(Code::blob_unknown, streamed.error()), nullptr};
    if (*streamed) {  // arriving from the upstream now
      Response r;
      r.file = *streamed;
      r.file_length = (*streamed)->size();
      r.head = req.method == "HEAD";
      r.set("Content-Type", "application/octet-stream");
      r.set("Docker-Content-Digest", d.str());
      return {std::move(r), nullptr};
    }
  }
  touch(d);  // a client that finds it may reference it next
  if (req.method == "DELETE") {
    if (!linked(link)) return {error_response(Code::blob_unknown, d.str()), nullptr};
    if (auto st = m_driver.remove(link); !st)
      return {error_response(Code::internal, st.error().message()), nullptr};
    Response r;
    r.status = 202;
    r.set("Docker-Content-Digest", d.str());
    return {std::move(r), nullptr};
  }
  if (m_opt.redirect && req.method == "GET") {
    if (auto url = m_driver.redirect_url(layout::blob(d))) {
      Response r;
      r.status = 307;
      r.set("Location", *url);
      r.set("Docker-Content-Digest", d.str());
      return {std::move(r), nullptr};
    }
  }
  auto reader = m_driver.open(layout::blob(d));
  if (!reader) return {error_response(Code::blob_unknown, d.str()), nullptr};
  Response r;
  int64_t size = (*reader)->size();
  r.file = std::shared_ptr<Reader>(std::move(*reader));
  r.file_length = size;
  r.head = req.method == "HEAD";
  r.set("Content-Type", "application/octet-stream");
  r.set("Docker-Content-Digest", d.str());
  r.set("Accept-Ranges", "bytes");
  r.set("ETag", "\"" + d.str() + "\"");
  r.set("Cache-Control", "max-age=31536000");
  if (auto range = req.header("Range"); !range.empty() && !r.head) {
    auto rg = parse_range(range, size);
    if (!rg) {
      Response bad = error_response(Code::range_invalid,
                                    "unsatisfiable range " + std::string(range.substr(0, 100)));
      bad.set("Content-Range", fmt::format("bytes */{}", size));
      return {std::move(bad), nullptr};
    }
    r.status = 206;
    r.file_offset = rg->first;
    r.file_length = rg->second - rg->first + 1;
    r.set("Content-Range", fmt::format("bytes {}-{}/{}", rg->first, rg->second, size));
  }
  return {std::move(r), nullptr};
}

Result<Service::Manifest> Service::load_manifest(const Digest& d) {
  {
    std::lock_guard lock(m_mu);
    if (auto it = m_manifests.find(d); it != m_manifests.end()) return it->second;
  }
  auto body = m_driver.get(layout::blob(d));
  if (!body) return std::unexpected(body.error());
  // The bytes are checked before they are served: storage is not trusted to keep them.
  if (Digest::of(*body) != d) return failf(Errc::corrupt, "stored manifest {} is corrupt", d.str());
  Manifest m;
  m.digest = d;
  auto v = view_manifest(*body);
  if (v && v->media_type)
    m.media_type = *v->media_type;
  else if (v && v->has_manifests)
    m.media_type = "application/vnd.oci.image.index.v1+json";
  else
    m.media_type = "application/vnd.oci.image.manifest.v1+json";
  m.body = std::make_shared<const std::string>(std::move(*body));
  std::lock_guard lock(m_mu);
  constexpr int64_t k_cache_bytes = 64 << 20;
  if (m_manifest_bytes + static_cast<int64_t>(m.body->size()) > k_cache_bytes) {
    m_manifests.clear();
    m_manifest_bytes = 0;
  }
  m_manifest_bytes += static_cast<int64_t>(m.body->size());
  m_manifests.emplace(d, m);
  return m;
}

}  // namespace kiln::registry::server
