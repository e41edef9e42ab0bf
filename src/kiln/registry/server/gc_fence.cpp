#include "kiln/registry/server/gc_fence.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "kiln/base/strings.hpp"
#include "kiln/os/random.hpp"

namespace kiln::registry::server {
namespace {

constexpr int64_t kSkew = 30;            // seconds of clock difference tolerated
constexpr int64_t kIntentKeep = 3600;    // an intent outlives its collection by this much
constexpr int64_t kRequestLimit = 1800;  // a fenced request taking longer fails
constexpr int64_t kTouchedRefreshMs = 200;

std::string active_key(std::string_view t) {
  return "gc/active/" + std::string(t);
}
std::string intent_key(std::string_view t) {
  return "gc/intent/" + std::string(t);
}
std::string touched_dir(std::string_view t) {
  return "gc/touched/" + std::string(t);
}
std::string seen_key(std::string_view t) {
  return "gc/seen/" + std::string(t);
}

int64_t now_s() {
  return static_cast<int64_t>(::time(nullptr));
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::set<Digest> parse_digests(std::string_view text) {
  std::set<Digest> out;
  for (auto line : split(text, '\n'))
    if (auto d = Digest::parse(trim(line))) out.insert(*d);
  return out;
}

// The expiry written in gc/active/T, or 0 when unreadable (treated as expired long ago).
int64_t expiry_of(std::string_view text) {
  for (const auto& raw : split(text, '\n')) {
    std::string_view line = trim(raw);
    if (line.starts_with("expires "))
      if (auto v = parse_int(line.substr(8))) return *v;
  }
  return 0;
}

// Whether collection T is still running, as far as a replica can tell: its active entry is
// there and its lease (plus skew) has not run out.
Result<bool> still_active(const Driver& d, const std::string& t) {
  auto v = d.get(active_key(t));
  if (!v) {
    if (v.error().code() == Errc::not_found) return false;
    return std::unexpected(v.error());
  }
  return expiry_of(*v) + kSkew >= now_s();
}

// Whether collection t has read touched record `id` (it lists the records it has read in
// gc/seen/T after each reading).
Result<bool> seen_by(const Driver& d, const std::string& t, const std::string& id) {
  auto v = d.get(seen_key(t));
  if (!v) {
    if (v.error().code() == Errc::not_found) return false;
    return std::unexpected(v.error());
  }
  for (const auto& line : split(*v, '\n'))
    if (line == id) return true;
  return false;
}

// Waits until collection t has read our record `id` (from then on it deletes none of our
// digests) or has ended.
Status settle(Driver& d, const std::string& t, const std::string& id, int64_t started_ms) {
  while (KILN_TRY(still_active(d, t)) && !KILN_TRY(seen_by(d, t, id))) {
    if (now_ms() - started_ms > kRequestLimit * 1000)
      return failf(Errc::conflict,
                   "garbage collection {} has been deleting for too long; push again", t);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

// Fails if a collection deleted a ref whose digest was in its intent before reading our record.
Status check_present(Driver& d, const std::set<Digest>& hit, std::span<const FenceRef> refs) {
  for (const auto& r : refs) {
    if (!hit.contains(r.digest)) continue;
    auto st = d.stat(r.key);
    if (st) continue;
    if (st.error().code() != Errc::not_found) return std::unexpected(st.error());
    return failf(Errc::conflict,
                 "{} was deleted by a garbage collection that ran while this request linked it; "
                 "push it again",
                 r.digest.str());
  }
  return {};
}

}  // namespace

Status gc_fence(Driver& d, std::span<const FenceRef> refs) {
  if (refs.empty()) return {};
  int64_t started = now_ms();
  auto active = KILN_TRY_CTX(d.list("gc/active"), "gc fence: list running collections");
  if (active.empty()) return {};
  std::string record;
  for (const auto& r : refs) record += r.digest.str() + "\n";
  std::string id = os::random_hex(8);
  for (const auto& t : active)
    KILN_TRY_CTX(d.put_volatile(touched_dir(t) + "/" + id, record),
                 "gc fence: record the digests this request links");
  std::set<Digest> hit;
  for (const auto& t : active) {
    auto intent = d.get(intent_key(t));
    if (!intent) {
      if (intent.error().code() == Errc::not_found) continue;  // not announced: it reads ours
      return std::unexpected(intent.error().context("gc fence: read a collection's intent"));
    }
    auto candidates = parse_digests(*intent);
    bool mine = false;
    for (const auto& r : refs)
      if (candidates.contains(r.digest)) {
        hit.insert(r.digest);
        mine = true;
      }
    if (mine) KILN_TRY(settle(d, t, id, started));
  }
  // Every collection that could delete one of them has read our record (or ended): from here
  // on none will, so what is here now stays.
  KILN_TRY(check_present(d, hit, refs));
  if (now_ms() - started > kRequestLimit * 1000)
    return fail(Errc::conflict, "gc fence: this request took too long to be sure; push again");
  return {};
}

GcLease::GcLease(Driver& d, std::string token, int64_t lease_seconds)
    : m_d(&d), m_token(std::move(token)), m_lease(lease_seconds) {}

GcLease::GcLease(GcLease&& o) noexcept
    : m_d(std::exchange(o.m_d, nullptr)),
      m_token(std::move(o.m_token)),
      m_lease(o.m_lease),
      m_expires(o.m_expires),
      m_touched(std::move(o.m_touched)),
      m_read_ids(std::move(o.m_read_ids)),
      m_intent(std::move(o.m_intent)),
      m_read_at_ms(o.m_read_at_ms) {}

GcLease::~GcLease() {
  release();
}

Status GcLease::write_active() {
  m_expires = now_s() + m_lease;
  char host[256] = {};
  (void)::gethostname(host, sizeof host - 1);
  return m_d->put(active_key(m_token),
                  fmt::format("expires {}\nholder {}:{}\n", m_expires, host, ::getpid()));
}

Result<GcLease> GcLease::acquire(Driver& d, int64_t lease_seconds) {
  // What dead collections left: active entries long expired, and intents (with their touched
  // records) whose collection has ended and that are older than kIntentKeep.
  auto active = KILN_TRY_CTX(d.list("gc/active"), "gc: list running collections");
  std::set<std::string> running;
  for (const auto& t : active) {
    auto v = d.get(active_key(t));
    if (v && expiry_of(*v) + kSkew >= now_s()) {
      running.insert(t);
      continue;
    }
    if (!v && v.error().code() != Errc::not_found) return std::unexpected(v.error());
    KILN_TRY(d.remove(active_key(t)));
    KILN_TRY(d.remove(seen_key(t)));
  }
  for (const auto& t : KILN_TRY(d.list("gc/intent"))) {
    if (running.contains(t)) continue;
    auto st = d.stat(intent_key(t));
    if (!st || st->mtime + kIntentKeep > now_s()) continue;
    KILN_TRY(d.remove(touched_dir(t)));
    KILN_TRY(d.remove(intent_key(t)));
  }
  // Records for collections that never announced: each goes once it is old (a young one may
  // belong to a collection that started after the listing above).
  for (const auto& t : KILN_TRY(d.list("gc/touched"))) {
    if (running.contains(t) || d.stat(intent_key(t))) continue;
    for (const auto& id : KILN_TRY(d.list(touched_dir(t)))) {
      auto st = d.stat(touched_dir(t) + "/" + id);
      if (st && st->mtime + kIntentKeep <= now_s()) KILN_TRY(d.remove(touched_dir(t) + "/" + id));
    }
  }
  GcLease lease(d, os::random_hex(12), lease_seconds);
  KILN_TRY_CTX(lease.write_active(), "gc: start a collection");
  return lease;
}

Status GcLease::announce(const std::set<Digest>& candidates) {
  std::string text;
  for (const auto& c : candidates) text += c.str() + "\n";
  KILN_TRY_CTX(m_d->put(intent_key(m_token), text), "gc: write what the sweep may delete");
  m_intent = std::move(text);
  m_read_at_ms = -1;  // the first read must follow the intent
  return {};
}

Result<bool> GcLease::touched(const Digest& dg) {
  if (m_read_at_ms < 0 || now_ms() - m_read_at_ms >= kTouchedRefreshMs) {
    int64_t at = now_ms();
    bool more = false;
    for (const auto& id : KILN_TRY(m_d->list(touched_dir(m_token)))) {
      if (!m_read_ids.insert(id).second) continue;  // records never change
      more = true;
      auto v = m_d->get(touched_dir(m_token) + "/" + id);
      if (!v) {
        if (v.error().code() == Errc::not_found) continue;
        return std::unexpected(v.error().context("gc: read what requests linked"));
      }
      for (const auto& x : parse_digests(*v)) m_touched.insert(x);
    }
    if (more) {  // tells waiting requests their digests are safe from here on
      std::string seen;
      for (const auto& id : m_read_ids) seen += id + "\n";
      KILN_TRY_CTX(m_d->put_volatile(seen_key(m_token), seen), "gc: publish what it has read");
    }
    m_read_at_ms = at;
  }
  return m_touched.contains(dg);
}

Status GcLease::check() {
  int64_t left = m_expires - now_s();
  if (left <= 5)
    return failf(Errc::conflict, "gc: the lease of collection {} ran out; stopping", m_token);
  if (left < m_lease / 2) KILN_TRY_CTX(write_active(), "gc: renew the lease");
  return {};
}

void GcLease::release() {
  if (!m_d || m_token.empty()) return;
  // The intent and touched records stay for kIntentKeep after the end (see the header): the
  // intent is written again so that its date is the end's; the next collection removes them.
  if (m_intent) (void)m_d->put(intent_key(m_token), *m_intent);
  (void)m_d->remove(active_key(m_token));
  (void)m_d->remove(seen_key(m_token));
  m_token.clear();
}

}  // namespace kiln::registry::server
