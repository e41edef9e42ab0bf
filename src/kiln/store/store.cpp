#include "kiln/store/store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <random>

#include "kiln/base/log.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::store {

namespace {
constexpr int64_t k_lease_ttl = 24 * 3600;
}

int64_t now_seconds() {
  return static_cast<int64_t>(::time(nullptr));
}

Lease::~Lease() {
  if (m_store && m_recorded) m_store->release(m_id);
}

Status Lease::sync() {
  if (m_pending.empty()) return {};
  KILN_TRY(m_store->m_meta->record_lease(m_id, !m_recorded, m_owner ? m_owner : getpid(),
                                         now_seconds(), k_lease_ttl, m_pending));
  m_recorded = true;
  m_pending.clear();
  return {};
}

Status Lease::add(const Digest& d) {
  m_pending.push_back(d);
  return sync();
}

Status BlobWriter::write(const void* buf, size_t size) {
  if (m_hashing) m_hash.update(buf, size);
  m_size += static_cast<int64_t>(size);
  auto st = os::write_all(m_tmp.fd(), buf, size);
  // Start writeback of every full 8 MiB as it is written, so the fsync in commit() finds
  // little left to do (the data reaches the disk while the stream is still being read).
  constexpr int64_t k_flush = 8 << 20;
  if (st && m_size - m_flushed >= k_flush) {
    int64_t end = m_size / k_flush * k_flush;
    (void)::sync_file_range(m_tmp.fd(), m_flushed, end - m_flushed, SYNC_FILE_RANGE_WRITE);
    m_flushed = end;
  }
  if (!st) st.error().context(fmt::format("store blob in {}", m_store.root()));
  return st;
}

Result<BlobRef> BlobWriter::commit(const std::optional<Digest>& want, int64_t want_size) {
  if (!m_hashing && !want)
    return fail(Errc::internal, "store blob: a verified blob needs its digest");
  Digest got = m_hashing ? m_hash.finish() : *want;
  if (want_size >= 0 && m_size != want_size)
    return failf(Errc::corrupt, "blob {}: size mismatch: got {} bytes, want {}",
                 want ? want->str() : got.str(), m_size, want_size);
  if (want && got != *want)
    return failf(Errc::corrupt, "blob: digest mismatch: got {}, want {}", got, *want);
  // Lease first, then link: a gc running now either sees the lease or does not yet see the file.
  KILN_TRY(m_lease.add(got));
  KILN_TRY_CTX(m_tmp.link_as(paths::blob_name(got)), fmt::format("store blob {}", got));
  return BlobRef{got, m_size};
}

Store::Store(std::string root, os::Dir root_dir, os::Dir blobs, std::unique_ptr<Metadata> meta)
    : m_root_path(std::move(root)),
      m_root(std::move(root_dir)),
      m_blobs(std::move(blobs)),
      m_meta(std::move(meta)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::string& root) {
  auto ctx = fmt::format("open store {}", root);
  auto root_dir = KILN_TRY_CTX(os::Dir::create(root, 0700), ctx);
  auto blobs = KILN_TRY_CTX(os::Dir::create(root + "/" + std::string(paths::blobs_dir)), ctx);
  auto meta = KILN_TRY_CTX(Metadata::open(root + "/" + std::string(paths::db_file)), ctx);
  return std::unique_ptr<Store>(
      new Store(root, std::move(root_dir), std::move(blobs), std::move(meta)));
}

Result<Lease> Store::lease() {
  // Recorded in the metadata with its first blob (Lease::sync).
  std::random_device rd;
  return Lease(*this, fmt::format("{:08x}{:08x}-{}", rd(), rd(), getpid()));
}

void Store::release(const std::string& lease_id) {
  if (auto st = m_meta->delete_lease(lease_id); !st)
    log::warn("releasing lease {}: {}", lease_id, st.error().message());
}

Result<std::unique_ptr<BlobWriter>> Store::new_blob(Lease& lease) {
  auto tmp = KILN_TRY_CTX(os::TempFile::create(m_blobs, 0444), "store blob");
  return std::make_unique<BlobWriter>(*this, lease, std::move(tmp));
}

Result<std::unique_ptr<BlobWriter>> Store::new_verified_blob(Lease& lease) {
  auto tmp = KILN_TRY_CTX(os::TempFile::create(m_blobs, 0444), "store blob");
  return std::make_unique<BlobWriter>(*this, lease, std::move(tmp), false);
}

Result<BlobRef> Store::put_blob(std::string_view data, Lease& lease,
                                const std::optional<Digest>& want) {
  // A blob the store has already (a rebuilt manifest, a config) is only leased, not rewritten.
  Digest d = Digest::of(data);
  if (want && d != *want)
    return failf(Errc::corrupt, "blob content hashes to {}, expected {}", d, *want);
  // Only noted in the lease: put_image() checks the blob again inside its transaction.
  if (has_blob(d)) {
    lease.protect(d);
    return BlobRef{d, static_cast<int64_t>(data.size())};
  }
  // The writer verifies again, leases, and treats an existing blob as success.
  auto w = KILN_TRY(new_blob(lease));
  KILN_TRY(w->write(data.data(), data.size()));
  return w->commit(want, static_cast<int64_t>(data.size()));
}

Result<BlobRef> Store::ingest(io::Reader& src, Lease& lease, const std::optional<Digest>& want,
                              int64_t want_size) {
  if (want) {
    KILN_TRY(lease.add(*want));
    if (has_blob(*want)) return BlobRef{*want, KILN_TRY(blob_size(*want))};
  }
  auto w = KILN_TRY(new_blob(lease));
  KILN_TRY(io::copy(src, *w));
  return w->commit(want, want_size);
}

bool Store::has_blob(const Digest& d) const {
  return m_blobs.exists(paths::blob_name(d));
}

Result<int64_t> Store::blob_size(const Digest& d) const {
  auto st = m_blobs.stat(paths::blob_name(d));
  if (!st) return failf(Errc::not_found, "blob {} is not in the store", d);
  return static_cast<int64_t>(st->st_size);
}

Result<Fd> Store::open_blob(const Digest& d) const {
  auto fd = m_blobs.open_file(paths::blob_name(d), O_RDONLY);
  if (!fd && fd.error().code() == Errc::not_found)
    return failf(Errc::not_found, "blob {} is missing from the store", d);
  return fd;
}

Result<std::string> Store::read_blob(const Digest& d, int64_t limit) const {
  auto fd = KILN_TRY(open_blob(d));
  io::FdReader raw(fd.get());
  io::VerifyingReader v(raw, d, -1, fmt::format("blob {}", d));
  return with_context(io::read_all(v, limit), fmt::format("read blob {}", d));
}

namespace {
class OwnedVerifyingReader final : public io::Reader {
 public:
  OwnedVerifyingReader(Fd fd, Digest d, int64_t size)
      : m_fd(std::move(fd)),
        m_raw(m_fd.get()),
        m_verify(m_raw, d, size, fmt::format("blob {} in the store", d)) {}
  Result<size_t> read(void* buf, size_t size) override { return m_verify.read(buf, size); }

 private:
  Fd m_fd;
  io::FdReader m_raw;
  io::VerifyingReader m_verify;
};
}  // namespace

Result<std::unique_ptr<io::Reader>> Store::blob_reader(const Digest& d) const {
  auto fd = KILN_TRY(open_blob(d));
  struct stat st {};
  fstat(fd.get(), &st);
  return std::unique_ptr<io::Reader>(
      std::make_unique<OwnedVerifyingReader>(std::move(fd), d, static_cast<int64_t>(st.st_size)));
}

Status Store::put_image(const NewImage& img) {
  return m_meta->put_image(img, now_seconds(), [&]() -> Status {
    for (const auto& b : img.blobs)
      if (!has_blob(b))
        return failf(Errc::not_found, "store image {}: blob {} is missing", img.manifest_digest, b);
    return {};
  });
}

Result<std::vector<ImageRecord>> Store::images() {
  return m_meta->images();
}

Result<std::optional<ImageRecord>> Store::image(const Digest& d) {
  return m_meta->image(d);
}

Result<ImageRecord> Store::resolve(std::string_view ref,
                                   const std::optional<oci::Platform>& platform) {
  auto rec = KILN_TRY(resolve_top(ref));
  if (!oci::mt::is_index(rec.media_type)) return rec;
  auto index = KILN_TRY_CTX(oci::parse_index(KILN_TRY(read_blob(rec.manifest_digest))),
                            fmt::format("{}: index {}", ref, rec.manifest_digest));
  auto d = KILN_TRY_CTX(oci::select_platform(index, platform.value_or(oci::host_platform())),
                        fmt::format("{}", ref));
  auto child = KILN_TRY(m_meta->image(d.digest));
  if (!child)
    return failf(Errc::corrupt, "{}: the image {} of index {} is not in the store", ref, d.digest,
                 rec.manifest_digest);
  return *child;
}

Result<ImageRecord> Store::resolve_top(std::string_view ref) {
  // A name first (as docker does), then an image/manifest ID or a unique prefix of one.
  if (!ref.starts_with("sha256:")) {
    auto r = oci::Reference::parse(ref);
    if (r) {
      auto target = r->digest ? r->digest : KILN_TRY(m_meta->lookup_name(r->str()));
      if (target) {
        auto img = KILN_TRY(m_meta->image(*target));
        if (img) return *img;
      }
    } else if (!oci::looks_like_id(ref)) {
      return std::unexpected(r.error());
    }
  }
  if (oci::looks_like_id(ref)) {
    std::string_view id = ref.starts_with("sha256:") ? ref.substr(7) : ref;
    auto matches = KILN_TRY(m_meta->images_by_id_prefix(id));
    for (const auto& m : matches)  // an exact ID wins over prefixes
      if (m.config_digest.hex() == id || m.manifest_digest.hex() == id) return m;
    if (matches.size() == 1) return matches.front();
    if (matches.size() > 1)
      return failf(Errc::conflict, "image ID prefix \"{}\" is ambiguous ({} images match)", ref,
                   matches.size());
  }
  return failf(Errc::not_found, "no such image: {}", ref);
}

Status Store::set_name(const oci::Reference& name, const Digest& d) {
  return m_meta->set_name(name.str(), d);
}

Result<bool> Store::remove_name(const oci::Reference& name) {
  return m_meta->remove_name(name.str());
}

Status Store::delete_image(const Digest& d) {
  return m_meta->delete_image(d);
}

Result<std::optional<LayerRecord>> Store::layer(const Digest& d) {
  return m_meta->layer(d);
}

Result<std::vector<Digest>> Store::image_blobs(const Digest& d) {
  return m_meta->image_blobs(d);
}

Result<std::vector<std::string>> Store::build_sources(const Digest& config) {
  return m_meta->build_sources(config);
}

}  // namespace kiln::store
