#include "kiln/transport/docker_archive.hpp"

#include <map>
#include <set>

#include "kiln/image/copy.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/transport/archive_sink.hpp"
#include "kiln/transport/json_codec.hpp"
#include "kiln/transport/oci_layout.hpp"
#include "kiln/transport/out_file.hpp"
#include "kiln/transport/tar_out.hpp"

namespace kiln::transport {

namespace {

// The digest a path's name claims: "<hex>.json", "<hex>/layer.tar", "blobs/sha256/<hex>".
std::optional<std::string> claimed_hex(std::string_view path) {
  auto is_hex = [](std::string_view s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  auto base = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  if (base.ends_with(".json")) base.remove_suffix(5);
  if (is_hex(base)) return std::string(base);
  return std::nullopt;
}

}  // namespace

Result<std::vector<DockerArchiveEntry>> docker_archive_entries(FileSet& files) {
  auto where = files.describe();
  auto raw = KILN_TRY(files.read("manifest.json", image::k_max_manifest_bytes));
  auto j = KILN_TRY(parse_archive_manifest(raw, where));
  if (j.empty()) return failf(Errc::corrupt, "{}: manifest.json lists no images", where);
  std::vector<DockerArchiveEntry> out;
  std::map<std::string, std::string> tag_owner;
  for (size_t i = 0; i < j.size(); ++i) {
    auto ctx = fmt::format("{}: manifest.json[{}]", where, i);
    const auto& e = j[i];
    DockerArchiveEntry d;
    d.config = KILN_TRY_CTX(clean_path(e.config), ctx);
    d.layers = e.layers;
    for (auto& l : d.layers) l = KILN_TRY_CTX(clean_path(l), ctx);
    for (const auto& t : e.repo_tags) {
      auto r = KILN_TRY_CTX(oci::Reference::parse(t), fmt::format("{}: RepoTags", ctx));
      auto [it, fresh] = tag_owner.emplace(r.str(), d.config);
      if (!fresh && it->second != d.config)
        return failf(Errc::corrupt, "{}: conflicting entries: {} names both {} and {}", where, t,
                     it->second, d.config);
      if (fresh) d.tags.push_back(r.str());
    }
    bool dup = false;
    for (auto& prev : out)
      if (prev.config == d.config) {
        if (prev.layers != d.layers)
          return failf(Errc::corrupt, "{}: two entries give config {} different layers", where,
                       d.config);
        prev.tags.insert(prev.tags.end(), d.tags.begin(), d.tags.end());
        dup = true;
      }
    if (!dup) out.push_back(std::move(d));
  }
  return out;
}

Result<size_t> pick_docker_entry(const std::vector<DockerArchiveEntry>& entries,
                                 std::string_view ref, std::string_view where) {
  if (ref.empty()) {
    if (entries.size() == 1) return size_t{0};
    return failf(Errc::invalid_argument, "{} holds {} images; name one as {}:NAME:TAG or {}:@N",
                 where, entries.size(), where, where);
  }
  if (ref.starts_with("@")) {
    size_t n = 0;
    auto num = ref.substr(1);
    if (num.empty() || num.find_first_not_of("0123456789") != std::string_view::npos ||
        (n = std::stoul(std::string(num))) >= entries.size())
      return failf(Errc::invalid_argument, "{}: no image {} (it holds {})", where, ref,
                   entries.size());
    return n;
  }
  auto r = KILN_TRY(oci::Reference::parse(ref));
  for (size_t i = 0; i < entries.size(); ++i)
    for (const auto& t : entries[i].tags)
      if (t == r.str()) return i;
  return failf(Errc::not_found, "{}: no image tagged {}", where, ref);
}

namespace {

class DockerArchiveSource final : public image::Source {
 public:
  DockerArchiveSource(std::shared_ptr<FileSet> files, DockerArchiveEntry entry, std::string d)
      : m_files(std::move(files)), m_entry(std::move(entry)), m_describe(std::move(d)) {}
  std::string describe() const override { return m_describe; }
  Result<image::Document> root() override;
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    auto it = m_paths.find(d.digest);
    if (it == m_paths.end())
      return failf(Errc::not_found, "{}: no member holds blob {}", m_describe, d.digest);
    return m_files->open(it->second);
  }
  std::optional<int64_t> uncompressed_size(const Digest& d) override {
    auto it = m_plain_sizes.find(d);
    if (it == m_plain_sizes.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> names() override { return m_entry.tags; }

 private:
  Result<std::optional<image::Document>> layout_manifest(const Digest& config);
  Result<image::Document> synthesize(const oci::ImageConfig& config, const oci::Descriptor& cfg);

  std::shared_ptr<FileSet> m_files;
  DockerArchiveEntry m_entry;
  std::string m_describe;
  std::map<Digest, std::string> m_paths;
  std::map<Digest, int64_t> m_plain_sizes;
};

Result<image::Document> DockerArchiveSource::root() {
  auto raw = KILN_TRY(m_files->read(m_entry.config, image::k_max_config_bytes));
  oci::Descriptor cfg;
  cfg.media_type = oci::mt::docker_config;
  cfg.digest = Digest::of(raw);
  cfg.size = static_cast<int64_t>(raw.size());
  if (auto hex = claimed_hex(m_entry.config); hex && *hex != cfg.digest.hex())
    return failf(Errc::corrupt, "{}: config {} does not match its name (its digest is {})",
                 m_describe, m_entry.config, cfg.digest);
  auto config = KILN_TRY_CTX(oci::parse_config(raw), fmt::format("{}: config", m_describe));
  if (config.rootfs.diff_ids.size() != m_entry.layers.size())
    return failf(Errc::corrupt, "{}: manifest.json lists {} layers but the config {} diffIDs",
                 m_describe, m_entry.layers.size(), config.rootfs.diff_ids.size());
  m_paths[cfg.digest] = m_entry.config;
  if (auto doc = KILN_TRY(layout_manifest(cfg.digest))) return *doc;
  return synthesize(config, cfg);
}

// Docker 25+: the OCI layout beside manifest.json has this image's manifest.
Result<std::optional<image::Document>> DockerArchiveSource::layout_manifest(const Digest& config) {
  if (!m_files->exists("index.json") || !m_files->exists("oci-layout")) return std::nullopt;
  auto entries = KILN_TRY(layout_entries(*m_files));
  for (const auto& e : entries) {
    if (!oci::mt::is_manifest(e.media_type) || !m_files->exists(blob_path(e.digest))) continue;
    m_paths[e.digest] = blob_path(e.digest);
    auto raw = KILN_TRY(image::read_blob(*this, e, image::k_max_manifest_bytes));
    auto m = KILN_TRY_CTX(oci::parse_manifest(raw), fmt::format("{}: {}", m_describe, e.digest));
    if (m.config.digest != config) continue;
    for (const auto& l : m.layers) m_paths[l.digest] = blob_path(l.digest);
    return image::Document{std::move(raw), e.media_type, e.digest};
  }
  return std::nullopt;
}

Result<image::Document> DockerArchiveSource::synthesize(const oci::ImageConfig& config,
                                                        const oci::Descriptor& cfg) {
  oci::Manifest m;
  m.media_type = oci::mt::docker_manifest;
  m.config = cfg;
  bool oci_format = false;
  for (size_t i = 0; i < m_entry.layers.size(); ++i) {
    const auto& path = m_entry.layers[i];
    auto ctx = fmt::format("{}: layer {}", m_describe, path);
    oci::Descriptor d;
    d.size = KILN_TRY_CTX(m_files->size(path), ctx);
    auto r = KILN_TRY_CTX(m_files->open(path), ctx);
    io::PeekReader peek(*r);
    auto head = KILN_TRY_CTX(peek.peek(6), ctx);
    auto c = io::detect_compression(head);
    if (c == io::Compression::none) {
      d.media_type = oci::mt::docker_layer;
      d.digest = config.rootfs.diff_ids[i];  // checked while the layer is copied
      m_plain_sizes[d.digest] = d.size;
    } else if (c == io::Compression::gzip || c == io::Compression::zstd) {
      io::HashingReader h(peek);
      KILN_TRY_CTX(io::drain(h), ctx);
      d.digest = h.digest();
      d.media_type =
          c == io::Compression::gzip ? oci::mt::docker_layer_gzip : oci::mt::oci_layer_zstd;
      oci_format |= c == io::Compression::zstd;
    } else {
      return failf(Errc::unsupported, "{}: {}-compressed layers are not supported", ctx,
                   io::compression_name(c));
    }
    m_paths[d.digest] = path;
    m.layers.push_back(std::move(d));
  }
  if (oci_format) m = KILN_TRY(oci::convert(m, oci::Format::oci));
  image::Document doc;
  doc.raw = oci::serialize(m);
  doc.media_type = m.media_type;
  doc.digest = Digest::of(doc.raw);
  return doc;
}

struct OutEntry {
  Digest config;
  std::vector<Digest> layers;
  image::Document manifest;
  std::vector<std::string> tags;  // full references
};

class DockerArchiveSink final : public ArchiveSink {
 public:
  DockerArchiveSink(OutFile out, std::string ref, std::string temp_dir)
      : ArchiveSink(std::move(out), std::move(temp_dir)), m_ref(std::move(ref)) {}
  std::string describe() const override { return "docker-archive:" + m_out.path(); }
  image::LayerForm layer_form() const override { return image::LayerForm::uncompressed; }
  bool accepts_index() const override { return false; }
  Status put_image(const image::ImageInfo& info) override {
    m_current.config = info.parsed.config.digest;
    m_current.layers.clear();
    for (const auto& l : info.parsed.layers) m_current.layers.push_back(l.digest);
    m_current.manifest = info.manifest;
    return {};
  }
  Status commit(const image::Document&, const std::vector<std::string>& names) override {
    std::vector<std::string> tags;
    for (const auto& n : names) tags.push_back(n);
    if (!m_ref.empty()) tags.push_back(KILN_TRY(oci::Reference::parse(m_ref)).str());
    for (auto& e : m_entries)
      if (e.config == m_current.config && e.manifest.digest == m_current.manifest.digest) {
        for (auto& t : tags)
          if (std::find(e.tags.begin(), e.tags.end(), t) == e.tags.end()) e.tags.push_back(t);
        return {};
      }
    m_current.tags = std::move(tags);
    m_entries.push_back(m_current);
    return {};
  }
  Status finish() override;

 private:
  std::string m_ref;
  OutEntry m_current;
  std::vector<OutEntry> m_entries;
};

Status DockerArchiveSink::finish() {
  std::vector<ArchiveManifestEntry> manifest;
  oci::Index index;
  index.media_type = oci::mt::oci_index;
  for (const auto& e : m_entries) {
    std::vector<std::string> tags;
    oci::Descriptor d;
    d.media_type = e.manifest.media_type;
    d.digest = e.manifest.digest;
    d.size = static_cast<int64_t>(e.manifest.raw.size());
    for (const auto& t : e.tags) {
      auto r = KILN_TRY(oci::Reference::parse(t));
      if (r.tag.empty()) continue;  // RepoTags cannot hold a digest reference
      tags.push_back(oci::Reference{r.domain, r.path, r.tag, std::nullopt}.familiar());
      oci::Descriptor named = d;
      named.annotations[std::string(k_containerd_name)] = r.str();
      named.annotations[std::string(k_ref_name)] = r.tag;
      index.manifests.push_back(std::move(named));
    }
    if (tags.empty()) index.manifests.push_back(d);
    std::vector<std::string> layers;
    for (const auto& l : e.layers) layers.push_back(blob_path(l));
    manifest.push_back({blob_path(e.config), std::move(layers), std::move(tags)});
  }
  return close({{"index.json", oci::serialize(index)},
                {"manifest.json", serialize_archive_manifest(manifest)},
                {"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"}});
}

}  // namespace

std::unique_ptr<image::Source> docker_archive_source(std::shared_ptr<FileSet> files,
                                                     DockerArchiveEntry entry,
                                                     std::string describe) {
  return std::make_unique<DockerArchiveSource>(std::move(files), std::move(entry),
                                               std::move(describe));
}

Result<std::unique_ptr<image::Sink>> docker_archive_sink(const std::string& file, std::string ref,
                                                         std::string temp_dir) {
  if (!ref.empty()) KILN_TRY_CTX(oci::Reference::parse(ref), "docker-archive reference");
  auto out = KILN_TRY(OutFile::create(file));
  auto s = std::make_unique<DockerArchiveSink>(std::move(out), std::move(ref), std::move(temp_dir));
  KILN_TRY_CTX(s->start(), file);
  return std::unique_ptr<image::Sink>(std::move(s));
}

}  // namespace kiln::transport
