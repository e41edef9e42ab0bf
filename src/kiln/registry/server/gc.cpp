#include "kiln/registry/server/gc.hpp"

#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {
namespace {

using json = nlohmann::json;

std::vector<Digest> digests_in(Driver& d, const std::string& dir) {
  std::vector<Digest> out;
  if (auto names = d.list(dir))
    for (const auto& hex : *names)
      if (auto dg = Digest::parse("sha256:" + hex)) out.push_back(*dg);
  return out;
}

bool older_than(Driver& d, const std::string& key, int64_t cutoff) {
  auto st = d.stat(key);
  return st && st->mtime <= cutoff;
}

struct Marker {
  Driver& d;
  std::set<Digest> blobs;  // every digest reached, manifests included

  // Marks manifest m of repo and what it reaches; returns the manifests reached.
  void manifest(const std::string& repo, const Digest& m, std::set<Digest>& manifests) {
    if (!manifests.insert(m).second) return;
    blobs.insert(m);
    auto body = d.get(layout::blob(m));
    if (!body) return;
    auto j = json::parse(*body, nullptr, false);
    if (!j.is_object()) return;
    auto digest_of = [](const json& desc) -> std::optional<Digest> {
      if (!desc.is_object() || !desc.contains("digest") || !desc["digest"].is_string())
        return std::nullopt;
      auto dg = Digest::parse(desc["digest"].get<std::string>());
      return dg ? std::optional<Digest>(*dg) : std::nullopt;
    };
    if (j.contains("manifests") && j["manifests"].is_array())
      for (const auto& c : j["manifests"])
        if (auto dg = digest_of(c)) manifest(repo, *dg, manifests);
    if (j.contains("config"))
      if (auto dg = digest_of(j["config"])) blobs.insert(*dg);
    if (j.contains("layers") && j["layers"].is_array())
      for (const auto& l : j["layers"])
        if (auto dg = digest_of(l)) blobs.insert(*dg);
    // Referrers of a kept manifest are kept.
    for (const auto& r : digests_in(d, layout::referrers_of(repo, m))) manifest(repo, r, manifests);
  }
};

}  // namespace

Result<GcReport> collect_garbage(Driver& d, const GcRequest& req) {
  GcReport rep;
  int64_t cutoff = static_cast<int64_t>(::time(nullptr)) - req.grace;
  if (req.online) req.online->gc_begin();
  struct End {
    Service* s;
    ~End() {
      if (s) s->gc_end();
    }
  } end{req.online};

  // Mark.
  auto repos = layout::list_repositories(d);
  if (!repos) return std::unexpected(repos.error());
  Marker mark{d, {}};
  struct RepoPlan {
    std::string name;
    std::vector<Digest> drop_revisions;
    std::vector<Digest> drop_links;
  };
  std::vector<RepoPlan> plans;
  for (const auto& repo : *repos) {
    std::set<Digest> kept;
    auto revisions = digests_in(d, layout::revisions(repo));
    std::vector<Digest> roots;
    if (req.delete_untagged) {
      if (auto tags = d.list(layout::tags(repo)))
        for (const auto& t : *tags)
          if (auto v = d.get(layout::tag(repo, t)))
            if (auto dg = Digest::parse(*v)) roots.push_back(*dg);
      // Young manifests may be an index's children still being pushed.
      for (const auto& r : revisions)
        if (!older_than(d, layout::revision(repo, r), cutoff)) roots.push_back(r);
    } else {
      roots = revisions;
    }
    for (const auto& r : roots) mark.manifest(repo, r, kept);
    RepoPlan plan{repo, {}, {}};
    for (const auto& r : revisions)
      if (!kept.contains(r)) plan.drop_revisions.push_back(r);
    rep.manifests_kept += static_cast<int64_t>(kept.size());
    plans.push_back(std::move(plan));
  }
  for (auto& plan : plans)
    for (const auto& l : digests_in(d, layout::layer_links(plan.name)))
      if (!mark.blobs.contains(l) && older_than(d, layout::layer_link(plan.name, l), cutoff))
        plan.drop_links.push_back(l);

  // Sweep, holding the gc lock when online.
  std::unique_lock<std::shared_mutex> lock;
  if (req.online) lock = std::unique_lock(req.online->gc_mutex());
  auto touched = [&](const Digest& dg) { return req.online && req.online->gc_touched(dg); };
  auto act = [&](std::string what, auto&& fn) -> Status {
    rep.actions.push_back(std::move(what));
    if (req.dry_run) return {};
    return fn();
  };
  for (const auto& plan : plans) {
    for (const auto& r : plan.drop_revisions) {
      if (touched(r)) continue;
      // Tags pointing at it cannot exist (tagged manifests are roots); referrer links go.
      if (auto st = act("delete manifest " + plan.name + "@" + r.str(),
                        [&] { return d.remove(layout::revision(plan.name, r)); });
          !st)
        return std::unexpected(st.error());
      ++rep.manifests_deleted;
    }
    for (const auto& l : plan.drop_links) {
      if (touched(l)) continue;
      if (auto st = act("unlink " + plan.name + " " + l.str(),
                        [&] { return d.remove(layout::layer_link(plan.name, l)); });
          !st)
        return std::unexpected(st.error());
      ++rep.links_deleted;
    }
    // Referrer entries whose referrer is gone.
    if (auto subjects = d.list(layout::referrers(plan.name)))
      for (const auto& s : *subjects)
        if (auto subject = Digest::parse("sha256:" + s))
          for (const auto& r : digests_in(d, layout::referrers_of(plan.name, *subject)))
            if (!d.stat(layout::revision(plan.name, r)) && !touched(r))
              if (auto st = act("unlink referrer " + r.str(),
                                [&] { return d.remove(layout::referrer(plan.name, *subject, r)); });
                  !st)
                return std::unexpected(st.error());
  }
  if (auto prefixes = d.list("blobs/sha256")) {
    for (const auto& p : *prefixes) {
      for (const auto& b : digests_in(d, "blobs/sha256/" + p)) {
        if (mark.blobs.contains(b)) {
          ++rep.blobs_kept;
          continue;
        }
        auto st = d.stat(layout::blob(b));
        if (!st || st->mtime > cutoff || touched(b)) {
          ++rep.blobs_kept;
          continue;
        }
        if (auto r = act("delete blob " + b.str(), [&] { return d.remove(layout::blob(b)); }); !r)
          return std::unexpected(r.error());
        ++rep.blobs_deleted;
        rep.bytes_freed += st->size;
      }
    }
  }
  if (auto uploads = d.list(layout::uploads()))
    for (const auto& u : *uploads) {
      auto st = d.stat(layout::upload_data(u));
      if (st ? st->mtime <= cutoff : older_than(d, layout::upload(u), cutoff)) {
        if (req.online && req.online->upload_active(u)) continue;
        if (auto r = act("delete upload " + u, [&] { return d.remove(layout::upload(u)); }); !r)
          return std::unexpected(r.error());
        ++rep.uploads_deleted;
      }
    }
  return rep;
}

std::pair<int64_t, int64_t> blob_usage(Driver& d) {
  int64_t bytes = 0;
  int64_t count = 0;
  if (auto prefixes = d.list("blobs/sha256"))
    for (const auto& p : *prefixes)
      if (auto names = d.list("blobs/sha256/" + p))
        for (const auto& n : *names)
          if (auto st = d.stat("blobs/sha256/" + p + "/" + n)) {
            bytes += st->size;
            ++count;
          }
  return {bytes, count};
}

}  // namespace kiln::registry::server
