// Content discovery: tag lists and the catalog (both paginated with n/last and a Link
// header), and the referrers API.
#include <algorithm>

#include "kiln/base/strings.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {
namespace {

// Applies ?n=&last= to a sorted list. Returns the page, or an error response for a bad n.
struct Page {
  std::vector<std::string> items;
  bool more = false;
  int64_t n = -1;
};

Result<Page> paginate(const std::vector<std::string>& all, const Request& req) {
  Page p;
  if (req.has_param("n")) {
    auto n = parse_int(req.param("n"));
    if (!n || *n < 0) return fail(Errc::invalid_argument, "n must be a non-negative integer");
    p.n = *n;
  }
  std::string last = req.param("last");
  auto it = last.empty() ? all.begin() : std::upper_bound(all.begin(), all.end(), last);
  for (; it != all.end(); ++it) {
    if (p.n >= 0 && static_cast<int64_t>(p.items.size()) >= p.n) {
      p.more = p.n > 0;
      break;
    }
    p.items.push_back(*it);
  }
  return p;
}

void link_next(Response& r, const std::string& path, const Page& p) {
  if (!p.more || p.items.empty()) return;
  r.set("Link", fmt::format("<{}?n={}&last={}>; rel=\"next\"", path, p.n, p.items.back()));
}

Response json_response(std::string body, std::string_view type = "application/json") {
  Response r;
  r.body = std::move(body);
  r.set("Content-Type", std::string(type));
  return r;
}

}  // namespace

Reply Service::tags(const Route& rt, const Request& req) {
  if (!m_driver.stat(layout::repo(rt.name)))
    return {error_response(Code::name_unknown, rt.name), nullptr};
  auto all = m_driver.list(layout::tags(rt.name));
  if (!all) return {error_response(Code::internal, all.error().message()), nullptr};
  auto page = paginate(*all, req);
  if (!page) return {error_response(Code::unsupported, page.error().message()), nullptr};
  Response r = json_response(tag_list_json(rt.name, page->items));
  link_next(r, "/v2/" + rt.name + "/tags/list", *page);
  return {std::move(r), nullptr};
}

Reply Service::catalog(const Request& req) {
  auto names = layout::list_repositories(m_driver);
  if (!names) return {error_response(Code::internal, names.error().message()), nullptr};
  auto page = paginate(*names, req);
  if (!page) return {error_response(Code::unsupported, page.error().message()), nullptr};
  Response r = json_response(catalog_json(page->items));
  link_next(r, "/v2/_catalog", *page);
  return {std::move(r), nullptr};
}

Reply Service::referrers(const Route& rt, const Request& req) {
  auto subject = Digest::parse(rt.ref);
  if (!subject)
    return {error_response(Code::digest_invalid, "invalid digest " + rt.ref.substr(0, 100)),
            nullptr};
  std::string filter = req.param("artifactType");
  auto hexes = m_driver.list(layout::referrers_of(rt.name, *subject));
  if (!hexes) return {error_response(Code::internal, hexes.error().message()), nullptr};
  std::vector<ReferrerEntry> list;
  for (const auto& hex : *hexes) {
    auto d = Digest::parse("sha256:" + hex);
    if (!d) continue;
    auto m = load_manifest(*d);
    if (!m) continue;
    auto v = view_manifest(*m->body);
    if (!v) continue;
    if (!filter.empty() && v->artifact_type != filter) continue;
    list.push_back({m->media_type, *d, static_cast<int64_t>(m->body->size()), v->artifact_type,
                    v->annotations});
  }
  Response r = json_response(referrers_index_json(list), "application/vnd.oci.image.index.v1+json");
  if (!filter.empty()) r.set("OCI-Filters-Applied", "artifactType");
  return {std::move(r), nullptr};
}

}  // namespace kiln::registry::server
