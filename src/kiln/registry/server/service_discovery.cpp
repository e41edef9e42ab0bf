// Content discovery: tag lists and the catalog (both paginated with n/last and a Link
// header), and the referrers API.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {
namespace {

using json = nlohmann::json;

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

Response json_response(const json& j, std::string_view type = "application/json") {
  Response r;
  r.body = j.dump();
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
  Response r = json_response(json{{"name", rt.name}, {"tags", page->items}});
  link_next(r, "/v2/" + rt.name + "/tags/list", *page);
  return {std::move(r), nullptr};
}

Reply Service::catalog(const Request& req) {
  auto names = layout::list_repositories(m_driver);
  if (!names) return {error_response(Code::internal, names.error().message()), nullptr};
  auto page = paginate(*names, req);
  if (!page) return {error_response(Code::unsupported, page.error().message()), nullptr};
  Response r = json_response(json{{"repositories", page->items}});
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
  json list = json::array();
  for (const auto& hex : *hexes) {
    auto d = Digest::parse("sha256:" + hex);
    if (!d) continue;
    auto m = load_manifest(*d);
    if (!m) continue;
    auto j = parse_json_or_discarded<json>(*m->body);
    if (!j.is_object()) continue;
    json desc{{"mediaType", m->media_type},
              {"digest", d->str()},
              {"size", static_cast<int64_t>(m->body->size())}};
    std::string artifact;
    if (j.contains("artifactType") && j["artifactType"].is_string())
      artifact = j["artifactType"].get<std::string>();
    else if (j.contains("config") && j["config"].is_object() && j["config"].contains("mediaType") &&
             j["config"]["mediaType"].is_string())
      artifact = j["config"]["mediaType"].get<std::string>();
    if (!artifact.empty()) desc["artifactType"] = artifact;
    if (j.contains("annotations") && j["annotations"].is_object())
      desc["annotations"] = j["annotations"];
    if (!filter.empty() && artifact != filter) continue;
    list.push_back(std::move(desc));
  }
  Response r = json_response(json{{"schemaVersion", 2},
                                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                  {"manifests", list}},
                             "application/vnd.oci.image.index.v1+json");
  if (!filter.empty()) r.set("OCI-Filters-Applied", "artifactType");
  return {std::move(r), nullptr};
}

}  // namespace kiln::registry::server
