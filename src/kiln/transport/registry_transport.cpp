#include "kiln/transport/registry_transport.hpp"

#include <mutex>
#include <thread>
#include <vector>

#include "kiln/image/copy.hpp"
#include "kiln/io/pipe.hpp"
#include "kiln/oci/media_types.hpp"

namespace kiln::transport {

std::string api_repo(const oci::Reference& ref) {
  return ref.path;
}

namespace {

// The download runs in its own thread and hands its bytes over through a pipe sized by the blob.
class BlobDownload final : public io::Reader {
 public:
  BlobDownload(registry::client::Registry& reg, std::string repo, oci::Descriptor d)
      : m_pipe(d.size) {
    m_thread = std::jthread([this, &reg, repo = std::move(repo), d = std::move(d)] {
      auto st = reg.get_blob(repo, d, m_pipe);
      m_pipe.close_write(st ? std::nullopt : std::optional<Error>(st.error()));
    });
  }
  ~BlobDownload() override { m_pipe.close_read(); }  // then m_thread joins
  Result<size_t> read(void* buf, size_t size) override { return m_pipe.read(buf, size); }

 private:
  io::Pipe m_pipe;
  std::jthread m_thread;  // declared after m_pipe: joins before the pipe goes
};

class RegistrySource final : public image::Source {
 public:
  RegistrySource(std::unique_ptr<registry::client::Registry> r, oci::Reference ref)
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
  std::unique_ptr<registry::client::Registry> m_reg;
  oci::Reference m_ref;
};

class RegistrySink final : public image::Sink {
 public:
  RegistrySink(std::unique_ptr<registry::client::Registry> r, oci::Reference ref,
               std::string mount_from)
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
  // Manifests wait for commit(): the root is PUT once, under the reference's tag (a registry
  // then serves it by digest too), and an index's images go first, each by its digest.
  Status put_blob(const oci::Descriptor& d, io::Reader& data) override {
    if (is_document(d)) {
      auto raw = KILN_TRY(io::read_all(data, image::k_max_manifest_bytes));
      std::lock_guard lk(m_mu);
      m_documents.push_back(image::Document{std::move(raw), d.media_type, d.digest});
      return {};
    }
    return m_reg->put_blob(api_repo(m_ref), d, data);
  }
  Status put_image(const image::ImageInfo&) override { return {}; }
  Status commit(const image::Document& root, const std::vector<std::string>&) override {
    if (m_ref.digest && *m_ref.digest != root.digest)
      return failf(Errc::conflict, "{}: the copied image has digest {}", describe(), root.digest);
    std::lock_guard lk(m_mu);  // every put_blob has returned; the lock keeps m_documents' rule
    for (const auto& doc : m_documents)
      if (doc.digest != root.digest)
        KILN_TRY(m_reg->put_manifest(api_repo(m_ref), doc.digest.str(), doc));
    return m_reg->put_manifest(api_repo(m_ref), m_ref.digest ? root.digest.str() : m_ref.tag, root);
  }

 private:
  static bool is_document(const oci::Descriptor& d) {
    return oci::mt::is_manifest(d.media_type) || oci::mt::is_index(d.media_type);
  }
  std::unique_ptr<registry::client::Registry> m_reg;
  oci::Reference m_ref;
  std::string m_mount_from;
  std::mutex m_mu;
  std::vector<image::Document> m_documents;  // put, in order, to PUT at commit
};

}  // namespace

Result<std::unique_ptr<image::Source>> registry_source(const oci::Reference& ref,
                                                       const registry::client::Options& opts) {
  auto reg = KILN_TRY(registry::client::Registry::open(ref.domain, opts));
  return std::unique_ptr<image::Source>(new RegistrySource(std::move(reg), ref));
}

Result<std::unique_ptr<image::Sink>> registry_sink(const oci::Reference& ref,
                                                   const registry::client::Options& opts,
                                                   std::string mount_from) {
  auto reg = KILN_TRY(registry::client::Registry::open(ref.domain, opts));
  return std::unique_ptr<image::Sink>(new RegistrySink(std::move(reg), ref, std::move(mount_from)));
}

}  // namespace kiln::transport
