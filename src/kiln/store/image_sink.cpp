// The store as an image::Source and the one image::Sink every write into the store ends in:
// pull, load and copy (through transport/store_transport), and build, commit and import
// (through store_image, image_view.hpp).
#include "kiln/store/image_sink.hpp"

#include <map>
#include <mutex>
#include <thread>

#include "kiln/archive/tar_check.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/io/pipe.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/store/metadata.hpp"

namespace kiln::store {
namespace {

// An image, or a multi-platform index, and its blobs, from the store.
class StoreSource final : public image::Source {
 public:
  StoreSource(store::Store& s, image::Document root, std::string ref)
      : m_store(s), m_root(std::move(root)), m_ref(std::move(ref)) {}
  std::string describe() const override { return "kiln://" + m_ref; }
  Result<image::Document> root() override { return m_root; }
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    struct Owned final : io::Reader {
      explicit Owned(Fd f) : fd(std::move(f)), in(fd.get()) {}
      Result<size_t> read(void* b, size_t n) override { return in.read(b, n); }
      Fd fd;
      io::FdReader in;
    };
    auto fd = KILN_TRY(m_store.open_blob(d.digest));
    return std::unique_ptr<io::Reader>(new Owned(std::move(fd)));
  }
  bool trusted() const override { return true; }
  bool concurrent() const override { return true; }
  std::optional<int64_t> uncompressed_size(const Digest& d) override {
    auto l = m_store.layer(d);
    if (!l || !*l || (*l)->uncompressed_size < 0) return std::nullopt;
    return (*l)->uncompressed_size;
  }

 private:
  store::Store& m_store;
  image::Document m_root;
  std::string m_ref;
};

// Checks a layer's uncompressed stream as it passes: its tar structure (archive::TarChecker:
// every header, not only the first), and its digest and size for the config's diffID check.
class LayerProbe final : public io::Writer {
 public:
  Status write(const void* buf, size_t size) override {
    KILN_TRY(m_check.write(buf, size));
    if (!m_known) m_hash.update(buf, size);
    m_size += static_cast<int64_t>(size);
    return {};
  }
  void set_digest(const Digest& d) { m_known = d; }
  Status finish() { return m_check.finish(); }
  int64_t content_size() const { return m_check.content_size(); }
  Digest digest() { return m_known ? *m_known : m_hash.finish(); }
  int64_t size() const { return m_size; }

 private:
  archive::TarChecker m_check;
  std::optional<Digest> m_known;
  Sha256 m_hash;
  int64_t m_size = 0;
};

// Stores a compressed layer as it comes while a second thread decompresses a copy into the
// probe: the digest, the disk and the decompression (the costliest step: about 600 MB/s of
// output for a layer of small files) each get a core, rather than taking turns in one thread.
// Small layers are done in the calling thread, where a thread would cost more than it saves.
Status store_and_probe(io::Reader& data, int64_t size, io::Compression c, io::Writer& file,
                       LayerProbe& probe) {
  // Decompresses `compressed` into the probe, then reads it to its end (bytes after the
  // compressed stream still reach the file and the digest).
  auto probe_from = [&](io::Reader& compressed) -> Status {
    auto plain = KILN_TRY(io::make_decompressor(c, compressed));
    KILN_TRY(io::copy(*plain, probe));
    KILN_TRY(io::drain(compressed));
    return {};
  };
  constexpr int64_t k_threaded = 1 << 20;
  if (size >= 0 && size < k_threaded) {
    io::TeeReader tap(data, file);
    return probe_from(tap);
  }
  io::Pipe pipe(size);
  Status side = {};
  std::jthread probing([&] {
    side = probe_from(pipe);
    pipe.close_read();  // a failed probe stops the copy below
  });
  io::TeeWriter both(file, pipe);
  Result<int64_t> st = io::copy(data, both);
  pipe.close_write(st ? std::nullopt : std::optional<Error>(st.error()));
  probing.join();
  if (!st && st.error().code() != Errc::cancelled) return std::unexpected(st.error());
  KILN_TRY(side);  // the probe's own error (corrupt compressed data), or the copy's, passed on
  if (!st) return std::unexpected(st.error());
  return {};
}

struct Pending {
  std::unique_ptr<store::BlobWriter> writer;
  oci::Descriptor want;
  std::optional<Digest> diff_id;  // of a layer, as computed
  int64_t uncompressed_size = -1;
  int64_t content_size = -1;
};

class StoreSink final : public image::Sink {
 public:
  StoreSink(store::Store& s, store::Lease lease, std::string ref)
      : m_store(s), m_own_lease(std::move(lease)), m_lease(*m_own_lease), m_ref(std::move(ref)) {}
  StoreSink(store::Store& s, store::Lease& lease) : m_store(s), m_lease(lease) {}
  std::string describe() const override { return "kiln://" + (m_ref.empty() ? "" : m_ref); }
  bool accepts_index() const override { return true; }
  bool concurrent() const override { return true; }  // m_mu guards the map and the metadata
  Result<std::optional<int64_t>> find_blob(const oci::Descriptor& d) override {
    std::lock_guard lk(m_mu);
    if (auto it = m_pending.find(d.digest); it != m_pending.end()) return it->second.writer->size();
    KILN_TRY(m_lease.add(d.digest));
    if (!m_store.has_blob(d.digest)) return std::nullopt;
    return KILN_TRY(m_store.blob_size(d.digest));
  }
  Status put_blob(const oci::Descriptor& d, io::Reader& data) override;
  Status put_image(const image::ImageInfo& info) override;
  Status commit(const image::Document& root, const std::vector<std::string>& names) override;
  Status finish() override;

 private:
  store::Store& m_store;
  std::optional<store::Lease> m_own_lease;
  store::Lease& m_lease;
  std::string m_ref;
  std::mutex m_mu;
  std::map<Digest, Pending> m_pending;
  std::map<Digest, store::NewImage> m_put;  // images seen, by manifest digest
  std::vector<store::NewImage> m_images;    // to record at finish, in order
};

Status StoreSink::put_blob(const oci::Descriptor& d, io::Reader& data) {
  // A config or manifest the store has already (a rebuilt one) is only leased, not written
  // again: a fully cached rebuild changes nothing in the store (put_image checks the blobs
  // again inside its transaction). Layers always pass the probe, which makes their records.
  if (!oci::mt::is_layer(d.media_type) && m_store.has_blob(d.digest)) {
    std::lock_guard lk(m_mu);
    m_lease.protect(d.digest);
    return {};
  }
  Pending p;
  p.want = d;
  {
    std::lock_guard lk(m_mu);
    p.writer = KILN_TRY(m_store.new_verified_blob(m_lease));  // `data` verifies (image.hpp)
  }
  if (!oci::mt::is_layer(d.media_type)) {
    KILN_TRY(io::copy(data, *p.writer));
  } else {
    // Store the bytes as they come; decompress a copy of them on the side to check the tar.
    auto comp = oci::mt::layer_compression(d.media_type);
    LayerProbe probe;
    auto ctx = fmt::format("layer {}", d.digest);
    if (comp.empty()) {
      probe.set_digest(d.digest);  // a plain layer's diffID is its digest, verified by `data`
      io::TeeWriter both(*p.writer, probe);
      KILN_TRY_CTX(io::copy_pipelined(data, both), ctx);
    } else {
      auto c = KILN_TRY_CTX(io::parse_compression(comp), ctx);
      KILN_TRY_CTX(store_and_probe(data, d.size, c, *p.writer, probe), ctx);
    }
    KILN_TRY_CTX(probe.finish(), ctx);
    p.diff_id = probe.digest();
    p.uncompressed_size = probe.size();
    p.content_size = probe.content_size();
  }
  std::lock_guard lk(m_mu);
  m_pending.emplace(d.digest, std::move(p));
  return {};
}

Status StoreSink::put_image(const image::ImageInfo& info) {
  std::lock_guard lk(m_mu);  // m_pending and the metadata, as put_blob and find_blob
  if (info.config.rootfs.diff_ids.size() != info.parsed.layers.size())
    return failf(Errc::corrupt, "image {}: {} layers but {} diffIDs in its config",
                 info.manifest.digest, info.parsed.layers.size(),
                 info.config.rootfs.diff_ids.size());
  store::NewImage img;
  img.manifest_digest = info.manifest.digest;
  img.media_type = info.manifest.media_type;
  img.config_digest = info.parsed.config.digest;
  img.blobs = {info.manifest.digest, info.parsed.config.digest};
  for (size_t i = 0; i < info.parsed.layers.size(); ++i) {
    const auto& l = info.parsed.layers[i];
    const Digest& diff_id = info.config.rootfs.diff_ids.at(i);
    store::LayerRecord rec{l.digest, diff_id, l.media_type, l.size,
                           i < info.uncompressed_sizes.size() ? info.uncompressed_sizes[i] : -1};
    if (i < info.content_sizes.size()) rec.content_size = info.content_sizes[i];
    if (auto it = m_pending.find(l.digest); it != m_pending.end()) {
      auto& p = it->second;
      if (p.diff_id && *p.diff_id != diff_id)
        return failf(Errc::corrupt,
                     "layer {}: its uncompressed digest {} is not the config's diffID {}", l.digest,
                     *p.diff_id, diff_id);
      rec.uncompressed_size = p.uncompressed_size;
      rec.content_size = p.content_size;
    } else if (auto known = KILN_TRY(m_store.layer(l.digest))) {
      if (known->diff_id != diff_id)
        return failf(Errc::corrupt,
                     "layer {}: the store knows it with diffID {}, the config says {}", l.digest,
                     known->diff_id, diff_id);
      rec.uncompressed_size = known->uncompressed_size;
      rec.content_size = known->content_size;
    }
    img.blobs.push_back(l.digest);
    img.layers.push_back(rec);
  }
  m_put[img.manifest_digest] = std::move(img);
  return {};
}

Status StoreSink::commit(const image::Document& root, const std::vector<std::string>& names) {
  std::lock_guard lk(m_mu);
  std::vector<std::string> refs;
  std::vector<std::string> all = names;
  if (!m_ref.empty()) all.push_back(m_ref);
  for (const auto& n : all) {
    auto r = KILN_TRY(oci::Reference::parse(n));
    if (!r.digest) refs.push_back(r.str());  // a digest reference is not a name
  }
  auto take = [&](const Digest& d) -> Result<store::NewImage> {
    auto it = m_put.find(d);
    if (it == m_put.end()) return failf(Errc::internal, "store: commit of {} without its image", d);
    return it->second;
  };
  if (!oci::mt::is_index(root.media_type)) {
    auto img = KILN_TRY(take(root.digest));
    img.names = std::move(refs);
    m_images.push_back(std::move(img));
    return {};
  }
  // A multi-platform index: its images first (no names of their own), then the index.
  auto x = KILN_TRY(oci::parse_index(root.raw));
  store::NewImage index;
  index.manifest_digest = root.digest;
  index.media_type = root.media_type;
  index.config_digest = root.digest;  // an index's ID is its digest, as in containerd
  index.blobs = {root.digest};
  for (const auto& d : x.manifests) {
    m_images.push_back(KILN_TRY(take(d.digest)));
    index.children.push_back(d.digest);
  }
  index.names = std::move(refs);
  m_images.push_back(std::move(index));
  return {};
}

Status StoreSink::finish() {
  for (auto& [digest, p] : m_pending)
    KILN_TRY_CTX(p.writer->commit(p.want.digest, p.want.size), fmt::format("blob {}", digest));
  m_pending.clear();
  for (const auto& img : m_images) KILN_TRY(m_store.put_image(img));
  return {};
}

}  // namespace

Result<std::unique_ptr<image::Source>> image_source(store::Store& store, std::string_view ref) {
  auto rec = KILN_TRY(store.resolve_top(ref));
  return image_source(store, rec, ref);
}

Result<std::unique_ptr<image::Source>> image_source(store::Store& store, const ImageRecord& rec,
                                                    std::string_view ref) {
  image::Document root{KILN_TRY(store.read_blob(rec.manifest_digest)), rec.media_type,
                       rec.manifest_digest};
  std::string name(ref.empty() ? rec.manifest_digest.str() : ref);
  return std::unique_ptr<image::Source>(new StoreSource(store, std::move(root), std::move(name)));
}

Result<std::unique_ptr<image::Sink>> image_sink(store::Store& store, std::string ref) {
  if (!ref.empty()) {
    auto r = KILN_TRY(oci::Reference::parse(ref));
    if (r.digest) return failf(Errc::invalid_argument, "cannot name an image by digest: {}", ref);
    ref = r.str();
  }
  auto lease = KILN_TRY(store.lease());
  return std::unique_ptr<image::Sink>(new StoreSink(store, std::move(lease), std::move(ref)));
}

std::unique_ptr<image::Sink> image_sink(store::Store& store, store::Lease& lease) {
  return std::unique_ptr<image::Sink>(new StoreSink(store, lease));
}

}  // namespace kiln::store
