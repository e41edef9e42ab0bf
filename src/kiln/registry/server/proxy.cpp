#include "kiln/registry/server/proxy.hpp"

#include <ctime>

#include <fmt/format.h>

#include "kiln/os/random.hpp"
#include "kiln/registry/server/layout.hpp"

namespace kiln::registry::server {
namespace {

// Appends what the upstream sends to an upload while hashing it.
class HashingAppender final : public io::Writer {
 public:
  explicit HashingAppender(Appender& out) : m_out(out) {}
  Status write(const void* buf, size_t size) override {
    m_hash.update(buf, size);
    return m_out.write({static_cast<const char*>(buf), size});
  }
  Digest digest() { return m_hash.finish(); }

 private:
  Appender& m_out;
  Sha256 m_hash;
};

bool present(const Driver& d, const std::string& key) {
  return d.stat(key).has_value();
}

Error upstream_error(const Upstream& up, const Error& e) {
  return Error(e.code() == Errc::not_found ? Errc::not_found : Errc::io,
               fmt::format("upstream {}: {}", up.describe(), e.message()));
}

}  // namespace

Proxy::Proxy(Driver& d, std::unique_ptr<Upstream> upstream, int64_t ttl_seconds)
    : m_d(d), m_up(std::move(upstream)), m_ttl(ttl_seconds) {}

Status Proxy::store_manifest(const std::string& repo, const Digest& d, const UpstreamManifest& m) {
  if (Digest::of(m.body) != d)
    return failf(Errc::corrupt, "upstream {}: manifest {}@{} does not match its digest",
                 m_up->describe(), repo, d.str());
  if (!present(m_d, layout::blob(d))) KILN_TRY(m_d.put(layout::blob(d), m.body));
  if (!present(m_d, layout::revision(repo, d)))
    KILN_TRY(m_d.put(layout::revision(repo, d), d.str()));
  return {};
}

Result<Digest> Proxy::tag(const std::string& repo, const std::string& tag) {
  auto fetched = m_d.stat(layout::proxy_tag(repo, tag));
  auto local = m_d.get(layout::tag(repo, tag));
  std::optional<Digest> cached;
  if (local)
    if (auto p = Digest::parse(*local)) cached = *p;
  if (cached && fetched && m_ttl > 0 && fetched->mtime + m_ttl > ::time(nullptr)) return *cached;

  auto m = m_up->manifest(repo, tag);
  if (!m) {
    if (m.error().code() == Errc::not_found)
      return std::unexpected(upstream_error(*m_up, m.error()));
    if (cached) return *cached;  // the upstream is away: serve what was fetched last
    return std::unexpected(upstream_error(*m_up, m.error()));
  }
  Digest d = Digest::of(m->body);
  KILN_TRY(store_manifest(repo, d, *m));
  if (!cached || *cached != d) KILN_TRY(m_d.put(layout::tag(repo, tag), d.str()));
  KILN_TRY(m_d.put_volatile(layout::proxy_tag(repo, tag), d.str()));
  return d;
}

Status Proxy::manifest(const std::string& repo, const Digest& d) {
  if (present(m_d, layout::revision(repo, d))) return {};
  auto m = m_up->manifest(repo, d.str());
  if (!m) return std::unexpected(upstream_error(*m_up, m.error()));
  return store_manifest(repo, d, *m);
}

Status Proxy::blob(const std::string& repo, const Digest& d) {
  std::string link = layout::layer_link(repo, d);
  if (present(m_d, link) && present(m_d, layout::blob(d))) return {};
  std::shared_ptr<std::mutex> one;
  {
    std::lock_guard lock(m_mu);
    auto& slot = m_fetching[d];
    if (!slot) slot = std::make_shared<std::mutex>();
    one = slot;
  }
  std::lock_guard fetching(*one);  // a concurrent pull of the same blob waits for this one
  struct Forget {
    Proxy* p;
    Digest d;
    ~Forget() {
      std::lock_guard lock(p->m_mu);
      if (auto it = p->m_fetching.find(d); it != p->m_fetching.end() && it->second.use_count() <= 2)
        p->m_fetching.erase(it);
    }
  } forget{this, d};
  if (!present(m_d, layout::blob(d))) {
    std::string uuid = os::random_hex(16);
    auto out = KILN_TRY(m_d.append(layout::upload_data(uuid)));
    HashingAppender w(*out);
    auto st = m_up->blob(repo, d, w);
    if (st) st = out->close();
    out.reset();
    if (st && w.digest() != d)
      st = failf(Errc::corrupt, "upstream {}: blob {} does not match its digest", m_up->describe(),
                 d.str());
    if (st) st = m_d.move(layout::upload_data(uuid), layout::blob(d));
    (void)m_d.remove(layout::upload(uuid));
    if (!st) return std::unexpected(upstream_error(*m_up, st.error()));
  }
  if (!present(m_d, link)) KILN_TRY(m_d.put(link, d.str()));
  return {};
}

}  // namespace kiln::registry::server
