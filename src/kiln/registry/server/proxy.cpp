#include "kiln/registry/server/proxy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "kiln/base/fd.hpp"
#include "kiln/os/random.hpp"
#include "kiln/registry/server/layout.hpp"

namespace kiln::registry::server {
namespace {

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

// A download in progress: the bytes so far are in a temporary file.
struct Fetch {
  std::mutex mu;
  std::condition_variable cv;
  int64_t size = 0;
  int64_t have = 0;
  bool done = false;
  std::optional<Error> error;
  Fd tmp;
};

namespace {

Result<Fd> temp_file() {
  const char* dir = std::getenv("TMPDIR");
  std::string d = dir && *dir ? dir : "/var/tmp";
  int fd = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) fd = ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return failf(Errc::io, "proxy: a temporary file in {}: {}", d, std::strerror(errno));
  return Fd(fd);
}

// Serves a blob while it downloads. The last byte waits for the digest check.
class FetchReader final : public Reader {
 public:
  explicit FetchReader(std::shared_ptr<Fetch> f) : m_f(std::move(f)) {}
  int64_t size() const override { return m_f->size; }
  int fd() const override { return -1; }
  Result<size_t> read_at(int64_t offset, std::span<char> buf) const override {
    std::unique_lock lock(m_f->mu);
    auto ready = [&] {
      return m_f->error || m_f->done || std::min(m_f->have, m_f->size - 1) > offset;
    };
    m_f->cv.wait(lock, ready);
    if (m_f->error) return std::unexpected(*m_f->error);
    int64_t limit = m_f->done ? m_f->have : std::min(m_f->have, m_f->size - 1);
    if (offset >= limit) return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(limit - offset, buf.size()));
    lock.unlock();
    ssize_t n = ::pread(m_f->tmp.get(), buf.data(), want, offset);
    if (n < 0) return failf(Errc::io, "proxy: read the download: {}", std::strerror(errno));
    return static_cast<size_t>(n);
  }

 private:
  std::shared_ptr<Fetch> m_f;
};

// What the upstream sends: hashed, appended to the upload, and written for the readers.
class Tee final : public io::Writer {
 public:
  Tee(Fetch& f, Appender& out) : m_f(f), m_out(out) {}
  Status write(const void* buf, size_t size) override {
    m_hash.update(buf, size);
    KILN_TRY(m_out.write({static_cast<const char*>(buf), size}));
    int64_t at;
    {
      std::lock_guard lock(m_f.mu);
      at = m_f.have;
    }
    if (at + static_cast<int64_t>(size) > m_f.size)
      return failf(Errc::corrupt, "the upstream sent more than the {} bytes it announced",
                   m_f.size);
    for (size_t done = 0; done < size;) {
      ssize_t n = ::pwrite(m_f.tmp.get(), static_cast<const char*>(buf) + done, size - done,
                           at + static_cast<int64_t>(done));
      if (n < 0) return failf(Errc::io, "proxy: temporary file: {}", std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    {
      std::lock_guard lock(m_f.mu);
      m_f.have = at + static_cast<int64_t>(size);
    }
    m_f.cv.notify_all();
    return {};
  }
  Digest digest() { return m_hash.finish(); }

 private:
  Fetch& m_f;
  Appender& m_out;
  Sha256 m_hash;
};

}  // namespace

Proxy::~Proxy() {
  std::unique_lock lock(m_mu);
  m_cv.wait(lock, [this] { return m_running == 0; });
}

void Proxy::download(std::string repo, Digest d, std::shared_ptr<Fetch> f) {
  std::string uuid = os::random_hex(16);
  Status st = [&]() -> Status {
    auto out = KILN_TRY(m_d.append(layout::upload_data(uuid)));
    Tee w(*f, *out);
    KILN_TRY(m_up->blob(repo, d, f->size, w));
    KILN_TRY(out->close());
    out.reset();
    if (w.digest() != d || f->have != f->size)
      return failf(Errc::corrupt, "blob {} does not match its digest", d.str());
    KILN_TRY(m_d.move(layout::upload_data(uuid), layout::blob(d)));
    return m_d.put(layout::layer_link(repo, d), d.str());
  }();
  (void)m_d.remove(layout::upload(uuid));
  {
    std::lock_guard lock(f->mu);
    f->done = true;
    if (!st) f->error = upstream_error(*m_up, st.error());
  }
  f->cv.notify_all();
  std::lock_guard lock(m_mu);
  if (auto it = m_inflight.find(d); it != m_inflight.end() && it->second.lock() == f)
    m_inflight.erase(it);
  --m_running;
  m_cv.notify_all();
}

Result<std::shared_ptr<Reader>> Proxy::stream_blob(const std::string& repo, const Digest& d) {
  std::string link = layout::layer_link(repo, d);
  if (present(m_d, layout::blob(d))) {
    if (!present(m_d, link)) KILN_TRY(m_d.put(link, d.str()));
    return std::shared_ptr<Reader>();
  }
  {
    std::lock_guard lock(m_mu);
    if (auto it = m_inflight.find(d); it != m_inflight.end())
      if (auto f = it->second.lock())
        return std::shared_ptr<Reader>(std::make_shared<FetchReader>(f));
  }
  auto size = m_up->blob_size(repo, d);
  if (!size) return std::unexpected(upstream_error(*m_up, size.error()));
  auto f = std::make_shared<Fetch>();
  f->size = *size;
  f->tmp = KILN_TRY(temp_file());
  {
    std::lock_guard lock(m_mu);
    if (auto it = m_inflight.find(d); it != m_inflight.end())
      if (auto other = it->second.lock())  // started meanwhile: share it
        return std::shared_ptr<Reader>(std::make_shared<FetchReader>(other));
    m_inflight[d] = f;
    ++m_running;
  }
  std::thread([this, repo, d, f] { download(repo, d, f); }).detach();
  return std::shared_ptr<Reader>(std::make_shared<FetchReader>(f));
}

}  // namespace kiln::registry::server
