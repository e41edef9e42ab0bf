#include "kiln/image/layers.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "kiln/base/fd.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::image {

namespace {

// Reports the bytes read through it, at most every 256 KiB.
class ProgressReader final : public io::Reader {
 public:
  ProgressReader(std::unique_ptr<io::Reader> src, std::function<void(int64_t)> fn)
      : m_src(std::move(src)), m_fn(std::move(fn)) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = KILN_TRY(m_src->read(buf, size));
    m_total += static_cast<int64_t>(n);
    if (m_total - m_reported >= (256 << 10) || (n == 0 && m_total != m_reported)) {
      m_reported = m_total;
      m_fn(m_total);
    }
    return n;
  }

 private:
  std::unique_ptr<io::Reader> m_src;
  std::function<void(int64_t)> m_fn;
  int64_t m_total = 0;
  int64_t m_reported = 0;
};

}  // namespace

Result<BlobStream> BlobStream::open(Source& src, const oci::Descriptor& d,
                                    std::function<void(int64_t)> progress, bool always_verify) {
  BlobStream s;
  s.m_raw = KILN_TRY(src.open_blob(d));
  if (progress) s.m_raw = std::make_unique<ProgressReader>(std::move(s.m_raw), std::move(progress));
  if (always_verify || !src.trusted())
    s.m_verify = std::make_unique<io::VerifyingReader>(*s.m_raw, d.digest, d.size,
                                                       fmt::format("blob {}", d.digest));
  return s;
}

namespace {

// A file in the scratch directory that disappears when closed.
Result<Fd> scratch_file(const std::string& dir) {
  std::string d = dir;
  if (d.empty()) {
    const char* t = std::getenv("TMPDIR");
    d = t && *t ? t : "/var/tmp";
  }
  int fd = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno(fmt::format("create a temporary file in {}", d));
  return Fd(fd);
}

class CountingReader final : public io::Reader {
 public:
  explicit CountingReader(io::Reader& src) : m_src(src) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = KILN_TRY(m_src.read(buf, size));
    m_size += static_cast<int64_t>(n);
    return n;
  }
  int64_t size() const { return m_size; }

 private:
  io::Reader& m_src;
  int64_t m_size = 0;
};

using Progress = std::function<void(int64_t)>;

Result<LayerOutcome> copy_as_is(Source& src, Sink& dst, const LayerPlan& p,
                                const Progress& progress) {
  LayerOutcome out{p.from, -1};
  out.to.media_type = p.media_type;
  if (p.have == io::Compression::none) out.uncompressed_size = p.from.size;
  if (KILN_TRY(dst.has_blob(out.to))) {
    out.existed = true;
    return out;
  }
  auto in = KILN_TRY(BlobStream::open(src, p.from, progress));
  KILN_TRY(dst.put_blob(out.to, in.reader()));
  return out;
}

// The source blob, decompressed, verified against the config's diffID.
struct PlainStream {
  BlobStream blob;
  std::unique_ptr<io::Reader> plain;
  std::unique_ptr<io::VerifyingReader> verify;
  io::Reader* checked = nullptr;
};

Result<std::unique_ptr<PlainStream>> open_plain(Source& src, const LayerPlan& p, int64_t size,
                                                const Progress& progress) {
  auto s = std::make_unique<PlainStream>();
  s->blob = KILN_TRY(BlobStream::open(src, p.from, progress));
  // The store's own layers were checked, within the limits, when they entered it.
  s->plain = KILN_TRY(io::make_decompressor(p.have, s->blob.reader(), !src.trusted()));
  s->checked = s->plain.get();
  // A trusted source (the store) checked the diffID when the layer entered it.
  if (!src.trusted()) {
    s->verify = std::make_unique<io::VerifyingReader>(
        *s->plain, p.diff_id, size, fmt::format("layer {} uncompressed (diffID)", p.from.digest));
    s->checked = s->verify.get();
  }
  return s;
}

Result<LayerOutcome> decompress(Source& src, Sink& dst, const LayerPlan& p,
                                const Progress& progress) {
  auto size = src.uncompressed_size(p.from.digest);
  LayerOutcome out;
  out.to.media_type = p.media_type;
  out.to.digest = p.diff_id;
  out.to.size = size.value_or(-1);
  out.uncompressed_size = out.to.size;
  if (auto have = KILN_TRY(dst.find_blob(out.to))) {
    out.to.size = out.uncompressed_size = *have;
    out.existed = true;
    return out;
  }
  auto s = KILN_TRY(open_plain(src, p, out.to.size, progress));
  CountingReader counted(*s->checked);  // the size, when it was not known in advance
  KILN_TRY(dst.put_blob(out.to, counted));
  out.to.size = out.uncompressed_size = counted.size();
  return out;
}

// Compresses (or recompresses) into a scratch file first: the new digest and size must be known
// before a sink can name the blob.
Result<LayerOutcome> recompress(Source& src, Sink& dst, const LayerPlan& p, const CopyOptions& opts,
                                const Progress& progress) {
  Fd tmp = KILN_TRY(scratch_file(opts.scratch_dir));
  io::FdWriter file(tmp.get());
  io::HashingWriter hashed(&file);
  auto s = KILN_TRY(open_plain(src, p, -1, progress));
  auto comp = KILN_TRY(io::make_compressor(p.want, hashed, opts.compress_options));
  int64_t plain = KILN_TRY(io::copy(*s->checked, *comp));
  KILN_TRY(comp->close());
  LayerOutcome out;
  out.to.media_type = p.media_type;
  out.to.digest = hashed.digest();
  out.to.size = hashed.size();
  out.uncompressed_size = plain;
  if (KILN_TRY(dst.has_blob(out.to))) {
    out.existed = true;
    return out;
  }
  if (::lseek(tmp.get(), 0, SEEK_SET) < 0) return fail_errno("rewind a temporary file");
  io::FdReader back(tmp.get());
  io::VerifyingReader checked(back, out.to.digest, out.to.size,
                              fmt::format("recompressed layer {}", out.to.digest));
  KILN_TRY(dst.put_blob(out.to, checked));
  return out;
}

}  // namespace

Result<LayerOutcome> transfer_layer(Source& src, Sink& dst, const LayerPlan& p,
                                    const CopyOptions& opts) {
  auto ctx = fmt::format("layer {}", p.from.digest);
  auto event = [&](CopyEvent::Kind k, std::string action) {
    if (opts.on_event) opts.on_event(CopyEvent{k, p.from, std::move(action)});
  };
  std::string action = p.have == p.want ? "copy"
                       : p.want == io::Compression::none
                           ? "decompress"
                           : fmt::format("compress to {}", io::compression_name(p.want));
  event(CopyEvent::blob_start, action);
  Progress progress;
  if (opts.on_event)
    progress = [&](int64_t bytes) {
      opts.on_event(CopyEvent{CopyEvent::blob_progress, p.from, action, bytes});
    };
  Result<LayerOutcome> r = p.have == p.want ? copy_as_is(src, dst, p, progress)
                           : p.want == io::Compression::none
                               ? decompress(src, dst, p, progress)
                               : recompress(src, dst, p, opts, progress);
  if (!r) return with_context(std::move(r), ctx);
  event(r->existed ? CopyEvent::blob_skipped : CopyEvent::blob_done, action);
  return r;
}

}  // namespace kiln::image
