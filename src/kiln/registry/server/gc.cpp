#include "kiln/registry/server/gc.hpp"

#include <algorithm>
#include <ctime>
#include <optional>
#include <set>

#include "kiln/registry/server/gc_fence.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/service.hpp"
#include "kiln/registry/server/tag_history.hpp"

namespace kiln::registry::server {
namespace {

// The digests named in a directory of links. A listing error is an error: the mark phase must
// see everything or stop (a name it cannot read could be what keeps a blob alive).
Result<std::vector<Digest>> digests_in(Driver& d, const std::string& dir) {
  auto names = KILN_TRY_CTX(d.list(dir), fmt::format("gc: list {}", dir));
  std::vector<Digest> out;
  for (const auto& hex : names)
    if (auto dg = Digest::parse("sha256:" + hex)) out.push_back(*dg);
  return out;
}

bool is_missing(const Error& e) {
  return e.code() == Errc::not_found;
}

// True when key is older than cutoff. An error other than "missing" counts as young: what gc
// cannot date, it keeps.
bool older_than(Driver& d, const std::string& key, int64_t cutoff) {
  auto st = d.stat(key);
  return st && st->mtime <= cutoff;
}

struct Marker {
  Driver& d;
  std::set<Digest> blobs;  // every digest reached, manifests included

  // Marks manifest m of repo and what it reaches, adding the manifests reached to
  // `manifests`. Fails on any read error and on a manifest it cannot parse: it cannot know
  // what such a manifest references, so nothing may be swept.
  Status manifest(const std::string& repo, const Digest& m, std::set<Digest>& manifests) {
    if (!manifests.insert(m).second) return {};
    blobs.insert(m);
    auto body = d.get(layout::blob(m));
    if (!body) {
      if (is_missing(body.error())) return {};  // a link to a blob already gone
      return failf(body.error().code(), "gc: read manifest {}@{}: {}", repo, m,
                   body.error().message());
    }
    auto v = view_manifest(*body);
    if (!v) return failf(Errc::corrupt, "gc: manifest {}@{} is not a JSON object", repo, m);
    if (v->manifests)
      for (const auto& c : *v->manifests)
        if (c.digest) KILN_TRY(manifest(repo, *c.digest, manifests));
    if (v->config && v->config->digest) blobs.insert(*v->config->digest);
    if (v->layers)
      for (const auto& l : *v->layers)
        if (l.digest) blobs.insert(*l.digest);
    // Referrers of a kept manifest are kept.
    for (const auto& r : KILN_TRY(digests_in(d, layout::referrers_of(repo, m))))
      KILN_TRY(manifest(repo, r, manifests));
    return {};
  }
};

struct RepoPlan {
  std::string name;
  std::vector<Digest> drop_revisions;
  std::vector<Digest> drop_links;
};

// The roots of a repository: every manifest, or with delete_untagged what its tags name plus
// manifests younger than the cutoff (an index's children may still be arriving).
Result<std::vector<Digest>> roots_of(Driver& d, const std::string& repo,
                                     const std::vector<Digest>& revisions, const GcRequest& req,
                                     int64_t cutoff) {
  if (!req.delete_untagged) return revisions;
  std::vector<Digest> roots;
  auto tags = KILN_TRY_CTX(d.list(layout::tags(repo)), fmt::format("gc: list tags of {}", repo));
  for (const auto& t : tags) {
    auto v = d.get(layout::tag(repo, t));
    if (!v) {
      if (is_missing(v.error())) continue;  // deleted since the listing
      return failf(v.error().code(), "gc: read tag {}:{}: {}", repo, t, v.error().message());
    }
    auto dg = Digest::parse(*v);
    if (!dg) return failf(Errc::corrupt, "gc: tag {}:{} holds no digest (a corrupt link)", repo, t);
    roots.push_back(*dg);
  }
  for (const auto& r : revisions)
    if (!older_than(d, layout::revision(repo, r), cutoff)) roots.push_back(r);
  // What a tag pointed at before stays while its history remembers it (kiln rollback).
  for (const auto& h :
       KILN_TRY_CTX(history_digests(d, repo), fmt::format("gc: tag history of {}", repo)))
    if (std::find(revisions.begin(), revisions.end(), h) != revisions.end()) roots.push_back(h);
  return roots;
}

// The mark phase: every blob reachable from the roots, and per repository what to drop.
Result<std::vector<RepoPlan>> mark(Driver& d, const GcRequest& req, int64_t cutoff, Marker& m,
                                   GcReport& rep) {
  auto repos = KILN_TRY(layout::list_repositories(d));
  std::vector<RepoPlan> plans;
  for (const auto& repo : repos) {
    std::set<Digest> kept;
    auto revisions = KILN_TRY(digests_in(d, layout::revisions(repo)));
    for (const auto& r : KILN_TRY(roots_of(d, repo, revisions, req, cutoff)))
      KILN_TRY(m.manifest(repo, r, kept));
    RepoPlan plan{repo, {}, {}};
    for (const auto& r : revisions)
      if (!kept.contains(r)) plan.drop_revisions.push_back(r);
    rep.manifests_kept += static_cast<int64_t>(kept.size());
    plans.push_back(std::move(plan));
  }
  for (auto& plan : plans)
    for (const auto& l : KILN_TRY(digests_in(d, layout::layer_links(plan.name))))
      if (!m.blobs.contains(l) && older_than(d, layout::layer_link(plan.name, l), cutoff))
        plan.drop_links.push_back(l);
  return plans;
}

class Sweeper {
 public:
  Sweeper(Driver& d, const GcRequest& req, int64_t cutoff, GcReport& rep, GcLease* lease)
      : m_d(d), m_req(req), m_cutoff(cutoff), m_rep(rep), m_lease(lease) {}

  Status repo(const RepoPlan& plan) {
    // Tags pointing at a dropped revision cannot exist (tagged manifests are roots).
    for (const auto& r : plan.drop_revisions)
      if (KILN_TRY(drop(r, "delete manifest " + plan.name + "@" + r.str(),
                        layout::revision(plan.name, r))))
        ++m_rep.manifests_deleted;
    for (const auto& l : plan.drop_links)
      if (KILN_TRY(
              drop(l, "unlink " + plan.name + " " + l.str(), layout::layer_link(plan.name, l))))
        ++m_rep.links_deleted;
    // Referrer entries whose referrer is gone (and only when it is known to be gone).
    auto subjects = m_d.list(layout::referrers(plan.name));
    if (!subjects) return {};
    for (const auto& s : *subjects) {
      auto subject = Digest::parse("sha256:" + s);
      if (!subject) continue;
      auto refs = digests_in(m_d, layout::referrers_of(plan.name, *subject));
      if (!refs) continue;
      for (const auto& r : *refs) {
        auto st = m_d.stat(layout::revision(plan.name, r));
        if (st || !is_missing(st.error())) continue;
        KILN_TRY(
            drop(r, "unlink referrer " + r.str(), layout::referrer(plan.name, *subject, r), true));
      }
    }
    return {};
  }

  Status blobs(const std::vector<std::pair<Digest, int64_t>>& candidates) {
    for (const auto& [b, size] : candidates) {
      if (!KILN_TRY(drop(b, "delete blob " + b.str(), layout::blob(b)))) {
        ++m_rep.blobs_kept;
        continue;
      }
      ++m_rep.blobs_deleted;
      m_rep.bytes_freed += size;
    }
    return {};
  }

  Status uploads() {
    auto uploads = m_d.list(layout::uploads());
    if (!uploads) return {};
    for (const auto& u : *uploads) {
      auto st = m_d.stat(layout::upload_data(u));
      if (!(st ? st->mtime <= m_cutoff : older_than(m_d, layout::upload(u), m_cutoff))) continue;
      if (m_req.online && m_req.online->upload_active(u)) continue;
      KILN_TRY(act("delete upload " + u, layout::upload(u)));
      ++m_rep.uploads_deleted;
    }
    // Blobs a process died writing straight to their key (S3: a multipart upload there). A
    // write runs for as long as its client sends, so only those a day old go, whatever grace.
    if (!m_req.dry_run) {
      int64_t before = std::min(m_cutoff, static_cast<int64_t>(::time(nullptr)) - 86400);
      m_rep.uploads_deleted += KILN_TRY(m_d.drop_unfinished(layout::blobs() + "/", before));
    }
    return {};
  }

 private:
  // Touched by a request in this process, or (through the lease) in any process.
  Result<bool> touched(const Digest& dg) {
    if (m_req.online && m_req.online->gc_touched(dg)) return true;
    if (m_lease) return m_lease->touched(dg);
    return false;
  }
  // Deletes key unless a request touched dg; true when deleted. Online, the check and the
  // deletion hold the service's gc lock, which a request holds (shared) from touching a digest
  // until it has written its references: a request in this process either finds the key gone
  // before it validates, or has touched it and keeps it.
  // Unless `any_age`, a key written again since the mark (younger than the cutoff now) stays.
  Result<bool> drop(const Digest& dg, std::string what, const std::string& key,
                    bool any_age = false) {
    std::unique_lock<std::shared_mutex> lock;
    if (m_req.online) lock = std::unique_lock(m_req.online->gc_mutex());
    if (KILN_TRY(touched(dg))) return false;
    if (!any_age && !m_req.dry_run && !older_than(m_d, key, m_cutoff)) return false;
    KILN_TRY(act(std::move(what), key));
    return true;
  }
  Status act(std::string what, const std::string& key) {
    m_rep.actions.push_back(std::move(what));
    if (m_req.dry_run) return {};
    if (m_lease) KILN_TRY(m_lease->check());
    return m_d.remove(key);
  }

  Driver& m_d;
  const GcRequest& m_req;
  int64_t m_cutoff;
  GcReport& m_rep;
  GcLease* m_lease;
};

// The stored blobs the sweep may delete: unmarked and older than the cutoff.
std::vector<std::pair<Digest, int64_t>> blob_candidates(Driver& d, const std::set<Digest>& marked,
                                                        int64_t cutoff, GcReport& rep) {
  std::vector<std::pair<Digest, int64_t>> out;
  auto prefixes = d.list("blobs/sha256");
  if (!prefixes) return out;  // nothing listed, nothing deleted
  for (const auto& p : *prefixes) {
    auto names = digests_in(d, "blobs/sha256/" + p);
    if (!names) continue;
    for (const auto& b : *names) {
      auto st = d.stat(layout::blob(b));
      if (marked.contains(b) || !st || st->mtime > cutoff)
        ++rep.blobs_kept;
      else
        out.emplace_back(b, st->size);
    }
  }
  return out;
}

// Every digest the sweep may act on, for the lease's intent.
std::set<Digest> intent_of(const std::vector<RepoPlan>& plans,
                           const std::vector<std::pair<Digest, int64_t>>& blobs) {
  std::set<Digest> out;
  for (const auto& p : plans) {
    out.insert(p.drop_revisions.begin(), p.drop_revisions.end());
    out.insert(p.drop_links.begin(), p.drop_links.end());
  }
  for (const auto& b : blobs) out.insert(b.first);
  return out;
}

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

  // A real sweep first announces itself in the storage, so that requests on other processes
  // sharing it record what they link (gc_fence.hpp); a dry run deletes nothing and needs no
  // lease.
  std::optional<GcLease> lease;
  if (!req.dry_run) lease.emplace(KILN_TRY(GcLease::acquire(d)));

  Marker marker{d, {}};
  auto plans = KILN_TRY(mark(d, req, cutoff, marker, rep));
  auto blobs = blob_candidates(d, marker.blobs, cutoff, rep);
  if (lease) KILN_TRY(lease->announce(intent_of(plans, blobs)));

  Sweeper sweep(d, req, cutoff, rep, lease ? &*lease : nullptr);
  for (const auto& plan : plans) KILN_TRY(sweep.repo(plan));
  KILN_TRY(sweep.blobs(blobs));
  KILN_TRY(sweep.uploads());
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
