#include "kiln/image/copy.hpp"

#include <atomic>
#include <thread>

#include "kiln/image/layer_codec.hpp"
#include "kiln/image/layers.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"

namespace kiln::image {

Result<std::string> read_blob(Source& src, const oci::Descriptor& d, int64_t limit) {
  if (d.size > limit)
    return failf(Errc::invalid_argument, "blob {} is {} bytes, more than the limit of {}", d.digest,
                 d.size, limit);
  // A document is small: verified even from a trusted source (a damaged config in the store
  // is then reported as corrupt, not as bad JSON).
  auto in = KILN_TRY(BlobStream::open(src, d, {}, true));
  io::LimitReader bounded(in.reader(), limit, fmt::format("blob {}", d.digest));
  return io::read_all(bounded, limit);
}

Result<std::string> layer_media_type(oci::Format f, io::Compression c, std::string_view like) {
  using namespace oci::mt;
  bool nd = like.find("nondistributable") != std::string_view::npos ||
            like.find("foreign") != std::string_view::npos;
  std::string_view oci = nd ? oci_layer_nd : oci_layer;
  std::string m(oci);
  if (c == io::Compression::gzip) m += "+gzip";
  if (c == io::Compression::zstd) m += "+zstd";
  if (c != io::Compression::none && c != io::Compression::gzip && c != io::Compression::zstd)
    return failf(Errc::unsupported, "layers cannot be {}-compressed", io::compression_name(c));
  if (f == oci::Format::oci) return m;
  if (c == io::Compression::zstd)
    return fail(Errc::unsupported,
                "zstd layers have no Docker v2 schema 2 media type (use gzip, or the OCI format)");
  return oci::convert_layer_media_type(m, f);
}

namespace {

oci::Format format_of(std::string_view media_type) {
  return media_type == oci::mt::docker_manifest || media_type == oci::mt::docker_manifest_list
             ? oci::Format::docker
             : oci::Format::oci;
}

Status put_document(Sink& dst, const Document& doc);

class Copier {
 public:
  Copier(Source& src, Sink& dst, const CopyOptions& opts) : m_src(src), m_dst(dst), m_opts(opts) {}

  Result<Document> manifest(const Document& doc);
  Result<Document> index(const Document& doc, const oci::Index& x);
  bool converted() const { return m_converted; }

 private:
  Result<std::vector<LayerOutcome>> transfer_layers(const std::vector<LayerPlan>& plans);
  Result<std::vector<LayerOutcome>> transfer_blobs(const oci::Descriptor& config,
                                                   const std::string& raw_config,
                                                   const std::vector<LayerPlan>& plans,
                                                   const std::string& ctx);
  Result<std::vector<LayerPlan>> plan_layers(const oci::Manifest& m, const oci::ImageConfig& c,
                                             oci::Format to);
  Status check_preserve(std::string_view what) {
    m_converted = true;
    if (m_opts.preserve_digests)
      return failf(Errc::unsupported, "--preserve-digests: {} would change the image's digest",
                   what);
    return {};
  }

  Source& m_src;
  Sink& m_dst;
  const CopyOptions& m_opts;
  bool m_converted = false;
};

Result<std::vector<LayerPlan>> Copier::plan_layers(const oci::Manifest& m,
                                                   const oci::ImageConfig& c, oci::Format to) {
  if (c.rootfs.diff_ids.size() != m.layers.size())
    return failf(Errc::corrupt, "the manifest lists {} layers but the config {} diffIDs",
                 m.layers.size(), c.rootfs.diff_ids.size());
  std::vector<LayerPlan> plans;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const auto& d = m.layers[i];
    if (!oci::mt::is_layer(d.media_type))
      return failf(Errc::unsupported, "layers[{}]: \"{}\" is not a layer media type", i,
                   d.media_type);
    LayerPlan p;
    p.from = d;
    p.diff_id = c.rootfs.diff_ids[i];
    p.have = layer_codec(d.media_type);
    p.want = m_dst.layer_form() == LayerForm::uncompressed ? io::Compression::none
             : m_opts.compress                             ? *m_opts.compress
                                                           : p.have;
    if (p.want != p.have) KILN_TRY(check_preserve(fmt::format("recompressing layer {}", d.digest)));
    p.media_type =
        KILN_TRY_CTX(layer_media_type(to, p.want, d.media_type), fmt::format("layers[{}]", i));
    plans.push_back(std::move(p));
  }
  return plans;
}

// Layers move in parallel (up to max_concurrent at once) when both ends allow it; after the
// first error no new layer starts, and that error is returned.
Result<std::vector<LayerOutcome>> Copier::transfer_layers(const std::vector<LayerPlan>& plans) {
  size_t workers =
      std::min<size_t>(plans.size(), static_cast<size_t>(std::max(m_opts.max_concurrent, 1)));
  if (workers <= 1 || !m_src.concurrent() || !m_dst.concurrent()) {
    std::vector<LayerOutcome> seq;
    for (const auto& p : plans) seq.push_back(KILN_TRY(transfer_layer(m_src, m_dst, p, m_opts)));
    return seq;
  }
  std::vector<std::optional<Result<LayerOutcome>>> out(plans.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  {
    std::vector<std::jthread> pool;  // joined at the end of this block
    for (size_t w = 0; w < workers; ++w)
      pool.emplace_back([&] {
        for (size_t i; !failed && (i = next++) < plans.size();) {
          out[i] = transfer_layer(m_src, m_dst, plans[i], m_opts);
          if (!*out[i]) failed = true;
        }
      });
  }
  for (auto& r : out)
    if (r && !*r) return std::unexpected(r->error());
  std::vector<LayerOutcome> done;
  for (auto& r : out) {
    if (!r) return fail(Errc::internal, "a layer was not transferred");
    done.push_back(std::move(**r));
  }
  return done;
}

// The config goes alongside the layers when the sink takes blobs in parallel: to a registry
// it is three round trips (HEAD, POST, PUT) that would otherwise follow the last layer.
Result<std::vector<LayerOutcome>> Copier::transfer_blobs(const oci::Descriptor& config,
                                                         const std::string& raw_config,
                                                         const std::vector<LayerPlan>& plans,
                                                         const std::string& ctx) {
  auto put_config = [&]() -> Status {
    if (KILN_TRY(m_dst.has_blob(config))) return {};
    io::StringReader cfg(raw_config);
    return with_context(m_dst.put_blob(config, cfg), fmt::format("{}: config", ctx));
  };
  std::optional<Status> config_put;
  std::jthread config_thread;
  if (m_dst.concurrent() && !plans.empty())
    config_thread = std::jthread([&] { config_put = put_config(); });
  auto moved = transfer_layers(plans);
  if (config_thread.joinable()) config_thread.join();
  if (!moved) return std::unexpected(moved.error());
  KILN_TRY(config_put ? *config_put : put_config());
  return moved;
}

Result<Document> Copier::manifest(const Document& doc) {
  auto ctx = fmt::format("manifest {}", doc.digest);
  auto m = KILN_TRY_CTX(oci::parse_manifest(doc.raw), ctx);
  if (m.layers.size() > k_max_layers)  // before anything is fetched
    return failf(Errc::invalid_argument,
                 "{}: the manifest lists {} layers, more than the limit of {}", ctx,
                 m.layers.size(), k_max_layers);
  if (!oci::mt::is_config(m.config.media_type))
    return failf(Errc::unsupported,
                 "{}: config type \"{}\" is not a container image (an artifact?)", ctx,
                 m.config.media_type);
  std::string raw_config =
      KILN_TRY_CTX(read_blob(m_src, m.config, k_max_config_bytes), fmt::format("{}: config", ctx));
  auto config = KILN_TRY_CTX(oci::parse_config(raw_config), fmt::format("{}: config", ctx));
  oci::Format from = format_of(doc.media_type);
  oci::Format to = m_opts.format.value_or(from);
  if (to != from) KILN_TRY(check_preserve("converting the manifest format"));
  auto plans = KILN_TRY_CTX(plan_layers(m, config, to), ctx);

  ImageInfo info;
  oci::Manifest out = KILN_TRY_CTX(oci::convert(m, to), ctx);
  bool changed = to != from;
  out.config.media_type = to == oci::Format::docker ? std::string(oci::mt::docker_config)
                          : m.config.media_type == oci::mt::docker_config
                              ? std::string(oci::mt::oci_config)
                              : m.config.media_type;
  auto moved = KILN_TRY(transfer_blobs(out.config, raw_config, plans, ctx));
  for (size_t i = 0; i < plans.size(); ++i) {
    auto& got = moved[i];
    if (got.to.digest != m.layers[i].digest || got.to.media_type != m.layers[i].media_type)
      changed = true;
    auto& l = out.layers[i];
    l.media_type = got.to.media_type;
    l.digest = got.to.digest;
    if (got.to.size >= 0) l.size = got.to.size;
    info.uncompressed_sizes.push_back(got.uncompressed_size);
  }
  info.manifest = doc;
  if (changed) {
    info.manifest.raw = oci::serialize(out);
    info.manifest.media_type = out.media_type;
    info.manifest.digest = Digest::of(info.manifest.raw);
  }
  info.parsed = std::move(out);
  info.raw_config = std::move(raw_config);
  info.config = std::move(config);
  KILN_TRY_CTX(m_dst.put_image(info), ctx);
  return info.manifest;
}

Result<Document> Copier::index(const Document& doc, const oci::Index& x) {
  if (!m_dst.accepts_index())
    return failf(Errc::unsupported,
                 "{} keeps single-platform images only; choose one with --platform",
                 m_dst.describe());
  oci::Format from = format_of(doc.media_type);
  oci::Format to = m_opts.format.value_or(from);
  if (to != from) KILN_TRY(check_preserve("converting the index format"));
  oci::Index out = KILN_TRY(oci::convert(x, to));
  bool changed = to != from;
  for (size_t i = 0; i < x.manifests.size(); ++i) {
    const auto& d = x.manifests[i];
    if (!oci::mt::is_manifest(d.media_type))
      return failf(Errc::unsupported, "index entry {} ({}) is not an image manifest", i,
                   d.media_type);
    Document child{KILN_TRY(read_blob(m_src, d, k_max_manifest_bytes)), d.media_type, d.digest};
    auto got = KILN_TRY_CTX(manifest(child), fmt::format("index entry {}", i));
    if (got.digest != d.digest) changed = true;
    out.manifests[i].digest = got.digest;
    out.manifests[i].size = static_cast<int64_t>(got.raw.size());
    out.manifests[i].media_type = got.media_type;
    KILN_TRY(put_document(m_dst, got));
  }
  if (!changed) return doc;
  Document nd;
  nd.raw = oci::serialize(out);
  nd.media_type = out.media_type;
  nd.digest = Digest::of(nd.raw);
  return nd;
}

Status put_document(Sink& dst, const Document& doc) {
  oci::Descriptor d;
  d.media_type = doc.media_type;
  d.digest = doc.digest;
  d.size = static_cast<int64_t>(doc.raw.size());
  if (KILN_TRY(dst.has_blob(d))) return {};
  io::StringReader body(doc.raw);
  return dst.put_blob(d, body);
}

}  // namespace

Result<CopyResult> copy_image(Source& src, Sink& dst, const CopyOptions& opts) {
  auto ctx = fmt::format("copy {} to {}", src.describe(), dst.describe());
  Document root = KILN_TRY_CTX(src.root(), ctx);
  Copier c(src, dst, opts);
  Document out;
  if (oci::mt::is_index(root.media_type)) {
    auto x = KILN_TRY_CTX(oci::parse_index(root.raw), ctx);
    if (opts.all_platforms) {
      out = KILN_TRY_CTX(c.index(root, x), ctx);
      KILN_TRY_CTX(put_document(dst, out), ctx);
    } else {
      auto want = opts.platform.value_or(oci::host_platform());
      auto d = KILN_TRY_CTX(oci::select_platform(x, want), ctx);
      Document child{KILN_TRY_CTX(read_blob(src, d, k_max_manifest_bytes), ctx), d.media_type,
                     d.digest};
      out = KILN_TRY_CTX(c.manifest(child), ctx);
    }
  } else if (oci::mt::is_manifest(root.media_type)) {
    out = KILN_TRY_CTX(c.manifest(root), ctx);
  } else {
    return failf(Errc::unsupported, "{}: \"{}\" is neither an image manifest nor an index", ctx,
                 root.media_type);
  }
  if (!oci::mt::is_index(out.media_type)) {
    KILN_TRY_CTX(put_document(dst, out), ctx);
  }
  auto names = opts.names;
  if (names.empty()) names = src.names();
  KILN_TRY_CTX(dst.commit(out, names), ctx);
  return CopyResult{out, c.converted()};
}

}  // namespace kiln::image
