#include "kiln/transport/registry_transport.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "kiln/base/buffer.hpp"
#include "kiln/image/copy.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::transport {

std::string api_repo(const oci::Reference& ref) {
  return ref.path;
}

namespace {

// A bounded byte queue between the thread that downloads and the reader: one ring buffer,
// allocated once (the blob's size, 64 KiB to 4 MiB: two transparent huge pages at most), so a
// download touches no fresh memory after its first few megabytes. Queues of per-delivery
// chunks faulted in a page per 4 KB all through a pull (curl hands over pieces of every size):
// 2,400 faults, 15 to 30 us each in a VM, for a 10 MB layer. Each side copies outside the lock
// (single producer, single consumer: the regions they touch never overlap) and wakes the other only
// when it waits.
class Pipe final : public io::Writer {
 public:
  // `expected`: the blob's size when known (a small blob gets a small ring).
  explicit Pipe(int64_t expected)
      : m_size(expected > 0 ? std::clamp(static_cast<size_t>(expected), k_min, k_max) : k_max),
        m_ring(m_size) {}
  Status write(const void* buf, size_t size) override {
    const auto* in = static_cast<const char*>(buf);
    while (size > 0) {
      size_t at = 0, n = 0;
      {
        std::unique_lock lk(m_mu);
        if (m_used == m_size && !m_reader_gone) {
          m_writer_waiting = true;
          m_cv.wait(lk, [&] { return m_used < m_size || m_reader_gone; });
          m_writer_waiting = false;
        }
        if (m_reader_gone) return fail(Errc::cancelled, "reader gone");
        at = (m_head + m_used) % m_size;
        n = std::min({size, m_size - m_used, m_size - at});
      }
      std::memcpy(m_ring.data() + at, in, n);
      in += n;
      size -= n;
      std::lock_guard lk(m_mu);
      m_used += n;
      if (m_reader_waiting) m_cv.notify_all();
    }
    return {};
  }
  void finish(std::optional<Error> e) {
    std::lock_guard lk(m_mu);
    m_done = true;
    m_error = std::move(e);
    m_cv.notify_all();
  }
  Result<size_t> read(void* buf, size_t size) {
    size_t head = 0, avail = 0;
    {
      std::unique_lock lk(m_mu);
      if (m_used == 0 && !m_done) {
        m_reader_waiting = true;
        m_cv.wait(lk, [&] { return m_used > 0 || m_done; });
        m_reader_waiting = false;
      }
      if (m_used == 0) {
        if (m_error) return std::unexpected(*m_error);
        return size_t{0};
      }
      head = m_head;
      avail = m_used;
    }
    // What is queued, in up to two pieces (the ring wraps).
    size_t n = std::min(size, avail);
    size_t first = std::min(n, m_size - head);
    auto* out = static_cast<char*>(buf);
    std::memcpy(out, m_ring.data() + head, first);
    if (n > first) std::memcpy(out + first, m_ring.data(), n - first);
    std::lock_guard lk(m_mu);
    m_head = (m_head + n) % m_size;
    m_used -= n;
    if (m_writer_waiting) m_cv.notify_all();
    return n;
  }
  void reader_gone() {
    std::lock_guard lk(m_mu);
    m_reader_gone = true;
    m_cv.notify_all();
  }

 private:
  static constexpr size_t k_min = 64 << 10, k_max = 4 << 20;
  size_t m_size;
  Buffer m_ring;
  std::mutex m_mu;
  std::condition_variable m_cv;
  size_t m_head = 0, m_used = 0;  // the queued bytes are [m_head, m_head + m_used) mod m_size
  bool m_done = false, m_reader_gone = false;
  bool m_reader_waiting = false, m_writer_waiting = false;
  std::optional<Error> m_error;
};

class BlobDownload final : public io::Reader {
 public:
  BlobDownload(registry::Registry& reg, std::string repo, oci::Descriptor d) : m_pipe(d.size) {
    m_thread = std::thread([this, &reg, repo = std::move(repo), d = std::move(d)] {
      auto st = reg.get_blob(repo, d, m_pipe);
      m_pipe.finish(st ? std::nullopt : std::optional<Error>(st.error()));
    });
  }
  ~BlobDownload() override {
    m_pipe.reader_gone();
    m_thread.join();
  }
  Result<size_t> read(void* buf, size_t size) override { return m_pipe.read(buf, size); }

 private:
  Pipe m_pipe;
  std::thread m_thread;
};

class RegistrySource final : public image::Source {
 public:
  RegistrySource(std::unique_ptr<registry::Registry> r, oci::Reference ref)
      : m_reg(std::move(r)), m_ref(std::move(ref)) {}
  std::string describe() const override { return "docker://" + m_ref.str(); }
  bool concurrent() const override { return true; }
  Result<image::Document> root() override {
    return m_reg->get_manifest(api_repo(m_ref), m_ref.digest ? m_ref.digest->str() : m_ref.tag);
  }
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    if (oci::mt::is_manifest(d.media_type) || oci::mt::is_index(d.media_type)) {
      auto doc = KILN_TRY(m_reg->get_manifest(api_repo(m_ref), d.digest.str()));
      return std::unique_ptr<io::Reader>(new io::StringReader(std::move(doc.raw)));
    }
    return std::unique_ptr<io::Reader>(new BlobDownload(*m_reg, api_repo(m_ref), d));
  }
  std::vector<std::string> names() override {
    return m_ref.tag.empty()
               ? std::vector<std::string>{}
               : std::vector<std::string>{
                     oci::Reference{m_ref.domain, m_ref.path, m_ref.tag, std::nullopt}.str()};
  }

 private:
  std::unique_ptr<registry::Registry> m_reg;
  oci::Reference m_ref;
};

class RegistrySink final : public image::Sink {
 public:
  RegistrySink(std::unique_ptr<registry::Registry> r, oci::Reference ref, std::string mount_from)
      : m_reg(std::move(r)), m_ref(std::move(ref)), m_mount_from(std::move(mount_from)) {}
  std::string describe() const override { return "docker://" + m_ref.str(); }
  bool accepts_index() const override { return true; }
  bool concurrent() const override { return true; }
  Result<std::optional<int64_t>> find_blob(const oci::Descriptor& d) override {
    if (is_document(d)) return std::nullopt;  // manifests are PUT, which is idempotent
    auto have = KILN_TRY(m_reg->head_blob(api_repo(m_ref), d.digest));
    if (have) return *have >= 0 ? *have : d.size;
    if (!m_mount_from.empty() &&
        KILN_TRY(m_reg->mount_blob(api_repo(m_ref), d.digest, m_mount_from)))
      return d.size;
    return std::nullopt;
  }
  Status put_blob(const oci::Descriptor& d, io::Reader& data) override {
    if (is_document(d)) {
      auto raw = KILN_TRY(io::read_all(data, image::k_max_manifest_bytes));
      return m_reg->put_manifest(api_repo(m_ref), d.digest.str(),
                                 image::Document{std::move(raw), d.media_type, d.digest});
    }
    return m_reg->put_blob(api_repo(m_ref), d, data);
  }
  Status put_image(const image::ImageInfo&) override { return {}; }
  Status commit(const image::Document& root, const std::vector<std::string>&) override {
    if (m_ref.digest) {
      if (*m_ref.digest != root.digest)
        return failf(Errc::conflict, "{}: the copied image has digest {}", describe(), root.digest);
      return {};  // PUT by digest already
    }
    return m_reg->put_manifest(api_repo(m_ref), m_ref.tag, root);
  }

 private:
  static bool is_document(const oci::Descriptor& d) {
    return oci::mt::is_manifest(d.media_type) || oci::mt::is_index(d.media_type);
  }
  std::unique_ptr<registry::Registry> m_reg;
  oci::Reference m_ref;
  std::string m_mount_from;
};

}  // namespace

Result<std::unique_ptr<image::Source>> registry_source(const oci::Reference& ref,
                                                       const registry::Options& opts) {
  auto reg = KILN_TRY(registry::Registry::open(ref.domain, opts));
  return std::unique_ptr<image::Source>(new RegistrySource(std::move(reg), ref));
}

Result<std::unique_ptr<image::Sink>> registry_sink(const oci::Reference& ref,
                                                   const registry::Options& opts,
                                                   std::string mount_from) {
  auto reg = KILN_TRY(registry::Registry::open(ref.domain, opts));
  return std::unique_ptr<image::Sink>(new RegistrySink(std::move(reg), ref, std::move(mount_from)));
}

}  // namespace kiln::transport
