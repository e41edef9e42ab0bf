#include "kiln/container/import.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/changes.hpp"
#include "kiln/image/mutate.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/store/layer_sink.hpp"

namespace kiln::container {

namespace {

class ProgressReader final : public io::Reader {
 public:
  ProgressReader(io::Reader& src, const std::function<void(int64_t)>& cb) : m_src(src), m_cb(cb) {}
  Result<size_t> read(void* buf, size_t size) override {
    size_t n = KILN_TRY(m_src.read(buf, size));
    m_total += static_cast<int64_t>(n);
    if (m_cb) m_cb(m_total);
    return n;
  }

 private:
  io::Reader& m_src;
  const std::function<void(int64_t)>& m_cb;
  int64_t m_total = 0;
};

Status import_dir(const std::string& path, store::LayerSink& sink, const ImportOptions& opts) {
  auto dir = KILN_TRY(os::Dir::open(path));
  auto tar = KILN_TRY(archive::TarWriter::open(sink));
  archive::WalkOptions wo;
  wo.clamp_mtime = opts.source_date_epoch;
  KILN_TRY(archive::write_tree(dir, *tar, wo));
  return tar->finish();
}

// The tar stream is kept byte for byte (its hash is the diffID, as docker computes it), and
// parsed on the way through so that anything but a valid tar is refused.
Status import_stream(int fd, store::LayerSink& sink, const ImportOptions& opts) {
  io::FdReader raw(fd);
  ProgressReader counted(raw, opts.progress);
  io::PeekReader peek(counted);
  auto plain = KILN_TRY(io::auto_decompress(peek));
  io::TeeReader tee(*plain, sink);
  auto tar = KILN_TRY(archive::TarReader::open(tee));
  int64_t entries = 0;
  while (KILN_TRY(tar->next())) ++entries;
  KILN_TRY(io::drain(tee));  // the rest of the stream (tar padding) counts too
  if (entries == 0) return fail(Errc::invalid_argument, "the archive has no entries");
  return {};
}

}  // namespace

Result<store::ImageRecord> import_rootfs(store::Store& store, const ImportOptions& opts) {
  auto ctx = fmt::format("import {}", opts.source);
  oci::ContainerConfig cc;
  for (const auto& ch : opts.changes) KILN_TRY_CTX(dockerfile::apply_change(cc, ch), ctx);

  auto lease = KILN_TRY(store.lease());
  auto sink = KILN_TRY(store::LayerSink::create(store, lease, opts.compression));
  if (opts.source == "-") {
    KILN_TRY_CTX(import_stream(opts.stdin_fd, *sink, opts), ctx);
  } else {
    struct stat st {};
    if (::stat(opts.source.c_str(), &st) != 0) return fail_errno(ctx);
    if (S_ISDIR(st.st_mode)) {
      KILN_TRY_CTX(import_dir(opts.source, *sink, opts), ctx);
    } else {
      int fd = ::open(opts.source.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return fail_errno(ctx);
      Fd owner(fd);
      KILN_TRY_CTX(import_stream(fd, *sink, opts), ctx);
    }
  }
  auto layer = KILN_TRY_CTX(sink->commit(), ctx);

  int64_t created = opts.source_date_epoch.value_or(store::now_seconds());
  oci::Platform p = opts.platform.value_or(oci::host_platform());
  store::Assembled img;
  img.config.created = rfc3339(created);
  img.config.architecture = p.architecture;
  img.config.os = p.os;
  img.config.variant = p.variant;
  image::set_container_config(img.config, std::move(cc));
  oci::History h;
  h.created = img.config.created;
  h.comment = opts.message.empty() ? "Imported from " + opts.source : opts.message;
  image::append_layer(img.config, layer.diff_id, std::move(h));
  img.layers = {layer};
  if (opts.ref) img.names = {opts.ref->str()};
  return with_context(store::store_image(store, lease, img), ctx);
}

}  // namespace kiln::container
