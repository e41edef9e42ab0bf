// The image layer on its own: copy_image between in-memory sources and sinks (digest-preserving
// copies, conversion, verification of untrusted bytes, blobs the sink has), load (platform
// choice, limits), and the mutations every image-making command shares.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "kiln/archive/tar.hpp"
#include "kiln/image/copy.hpp"
#include "kiln/image/load.hpp"
#include "kiln/image/mutate.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/oci/platform.hpp"

namespace kiln::image {
namespace {

// Blobs by digest; `tamper` replaces what open_blob returns for one digest.
class MemorySource final : public Source {
 public:
  std::map<Digest, std::string> blobs;
  Document root_doc;
  std::map<Digest, std::string> tamper;
  bool is_trusted = false;

  std::string describe() const override { return "memory"; }
  Result<Document> root() override { return root_doc; }
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    if (auto t = tamper.find(d.digest); t != tamper.end())
      return std::unique_ptr<io::Reader>(new io::StringReader(t->second));
    auto it = blobs.find(d.digest);
    if (it == blobs.end()) return failf(Errc::not_found, "no blob {}", d.digest);
    return std::unique_ptr<io::Reader>(new io::StringReader(it->second));
  }
  bool trusted() const override { return is_trusted; }
  Digest add(std::string data) {
    Digest d = Digest::of(data);
    blobs[d] = std::move(data);
    return d;
  }
};

class MemorySink final : public Sink {
 public:
  std::map<Digest, std::string> blobs;
  std::vector<ImageInfo> images;
  std::optional<Document> committed;
  std::vector<std::string> committed_names;
  int puts = 0;

  std::string describe() const override { return "memory"; }
  bool accepts_index() const override { return true; }
  Result<std::optional<int64_t>> find_blob(const oci::Descriptor& d) override {
    auto it = blobs.find(d.digest);
    if (it == blobs.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(static_cast<int64_t>(it->second.size()));
  }
  Status put_blob(const oci::Descriptor& d, io::Reader& data) override {
    ++puts;
    auto bytes = KILN_TRY(io::read_all(data, 64 << 20));  // fails at the end on a mismatch
    blobs[d.digest] = std::move(bytes);
    return {};
  }
  Status put_image(const ImageInfo& info) override {
    images.push_back(info);
    return {};
  }
  Status commit(const Document& root, const std::vector<std::string>& names) override {
    committed = root;
    committed_names = names;
    return {};
  }
};

std::string gzip(const std::string& plain) {
  io::StringWriter out;
  auto z = io::make_compressor(io::Compression::gzip, out);
  EXPECT_TRUE((*z)->write(plain));
  EXPECT_TRUE((*z)->close());
  return out.take();
}

std::string tar_with(const std::string& name, const std::string& content) {
  io::StringWriter out;
  auto tar = archive::TarWriter::open(out);
  archive::Entry e;
  e.path = name;
  e.type = archive::EntryType::file;
  e.mode = 0644;
  e.size = static_cast<int64_t>(content.size());
  EXPECT_TRUE((*tar)->add(e));
  EXPECT_TRUE((*tar)->write_data(content.data(), content.size()));
  EXPECT_TRUE((*tar)->finish());
  return out.take();
}

oci::Descriptor desc(std::string_view media_type, const std::string& data) {
  oci::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = Digest::of(data);
  d.size = static_cast<int64_t>(data.size());
  return d;
}

// A two-layer amd64 image in `src`; returns its layers' plain tars.
std::vector<std::string> make_image(MemorySource& src, const std::string& arch = "amd64") {
  std::vector<std::string> tars = {tar_with("a.txt", "A"), tar_with("b.txt", "B" + arch)};
  oci::ImageConfig cfg;
  cfg.architecture = arch;
  cfg.os = "linux";
  std::vector<oci::Descriptor> layers;
  for (const auto& t : tars) {
    std::string gz = gzip(t);
    src.add(gz);
    layers.push_back(desc(oci::mt::oci_layer_gzip, gz));
    oci::History h;
    h.created_by = "layer";
    append_layer(cfg, Digest::of(t), h);
  }
  auto made = new_manifest(cfg, layers);
  EXPECT_TRUE(made) << made.error().message();
  src.add(made->raw_config);
  src.add(made->document.raw);
  src.root_doc = made->document;
  return tars;
}

TEST(CopyImage, WithoutConversionEveryDigestIsKept) {
  MemorySource src;
  make_image(src);
  MemorySink dst;
  CopyOptions o;
  o.names = {"example.com/app:1"};
  auto r = copy_image(src, dst, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->converted);
  EXPECT_EQ(r->root.digest, src.root_doc.digest);
  ASSERT_TRUE(dst.committed);
  EXPECT_EQ(dst.committed->raw, src.root_doc.raw) << "the manifest travels as its raw bytes";
  EXPECT_EQ(dst.committed_names, o.names);
  for (const auto& [d, bytes] : src.blobs) EXPECT_EQ(dst.blobs.at(d), bytes) << d.str();
  ASSERT_EQ(dst.images.size(), 1u);
  EXPECT_EQ(dst.images[0].parsed.layers.size(), 2u);
}

TEST(CopyImage, ConversionRewritesMediaTypesAndChecksDiffIds) {
  MemorySource src;
  auto tars = make_image(src);
  MemorySink dst;
  CopyOptions o;
  o.format = oci::Format::docker;
  o.compress = io::Compression::none;
  auto r = copy_image(src, dst, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->converted);
  auto m = oci::parse_manifest(dst.committed->raw);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->media_type, oci::mt::docker_manifest);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].media_type, oci::mt::docker_layer);
  EXPECT_EQ(dst.blobs.at(m->layers[1].digest), tars[1]) << "decompressed to the plain tar";
  EXPECT_EQ(m->layers[1].digest, Digest::of(tars[1]));

  // A layer whose content is not its diffID: refused when its compression changes.
  MemorySource bad;
  make_image(bad);
  auto cfg = oci::parse_config(bad.blobs.at(oci::parse_manifest(bad.root_doc.raw)->config.digest));
  ASSERT_TRUE(cfg);
  cfg->rootfs.diff_ids[0] = Digest::of("something else");
  auto man = oci::parse_manifest(bad.root_doc.raw);
  auto remade = new_manifest(*cfg, man->layers);
  bad.add(remade->raw_config);
  bad.add(remade->document.raw);
  bad.root_doc = remade->document;
  MemorySink dst2;
  auto refused = copy_image(bad, dst2, o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("diffID"), std::string::npos)
      << refused.error().message();
  EXPECT_FALSE(dst2.committed);
}

TEST(CopyImage, UntrustedBytesAreVerifiedAndNothingIsCommitted) {
  MemorySource src;
  make_image(src);
  auto m = oci::parse_manifest(src.root_doc.raw);
  const auto& layer = m->layers[1];
  std::string evil = src.blobs.at(layer.digest);
  evil[evil.size() / 2] ^= 0x20;
  src.tamper[layer.digest] = evil;
  MemorySink dst;
  auto r = copy_image(src, dst, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::corrupt);
  EXPECT_NE(r.error().message().find(layer.digest.str()), std::string::npos) << r.error().message();
  EXPECT_FALSE(dst.committed);

  // A trusted source (the local store) is believed: its blobs were verified on the way in.
  src.is_trusted = true;
  MemorySink trusting;
  EXPECT_TRUE(copy_image(src, trusting, {}));
}

TEST(CopyImage, BlobsTheSinkHasAreNotSentAgain) {
  MemorySource src;
  make_image(src);
  auto m = oci::parse_manifest(src.root_doc.raw);
  MemorySink dst;
  dst.blobs[m->layers[0].digest] = src.blobs.at(m->layers[0].digest);
  std::vector<CopyEvent::Kind> kinds;
  std::mutex mu;
  CopyOptions o;
  o.on_event = [&](const CopyEvent& e) {
    std::lock_guard lk(mu);
    if (e.blob.digest == m->layers[0].digest) kinds.push_back(e.kind);
  };
  ASSERT_TRUE(copy_image(src, dst, o));
  EXPECT_EQ(kinds, (std::vector<CopyEvent::Kind>{CopyEvent::blob_start, CopyEvent::blob_skipped}));
  EXPECT_EQ(dst.puts, 3) << "config, the other layer, the manifest";
}

// An index of an amd64 and an arm64 image.
Document make_index(MemorySource& src) {
  MemorySource arm;
  make_image(arm, "arm64");
  for (auto& [d, b] : arm.blobs) src.blobs[d] = b;
  Document arm_root = arm.root_doc;
  make_image(src, "amd64");
  Document amd_root = src.root_doc;
  auto entry = [](const Document& d, std::string arch) {
    oci::Descriptor x;
    x.media_type = d.media_type;
    x.digest = d.digest;
    x.size = static_cast<int64_t>(d.raw.size());
    x.platform = oci::Platform{};
    x.platform->os = "linux";
    x.platform->architecture = std::move(arch);
    return x;
  };
  oci::Index idx;
  idx.media_type = oci::mt::oci_index;
  idx.manifests = {entry(amd_root, "amd64"), entry(arm_root, "arm64")};
  std::string raw = oci::serialize(idx);
  src.add(raw);
  return Document{raw, std::string(oci::mt::oci_index), Digest::of(raw)};
}

TEST(Load, PicksThePlatformOfAnIndex) {
  MemorySource src;
  src.root_doc = make_index(src);
  oci::Platform arm;
  arm.os = "linux";
  arm.architecture = "arm64";
  auto l = load(src, arm);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->config.architecture, "arm64");
  EXPECT_EQ(l->manifest.digest, Digest::of(l->manifest.raw));
  oci::Platform s390;
  s390.os = "linux";
  s390.architecture = "s390x";
  auto none = load(src, s390);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), Errc::not_found) << none.error().message();
}

TEST(Load, RefusesWhatIsNotAnImageAndOversizedConfigs) {
  MemorySource src;
  src.root_doc = Document{"{}", "application/vnd.example+json", Digest::of("{}")};
  auto l = load(src);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message(),
            "memory: application/vnd.example+json is not a single-platform image manifest");

  MemorySource big;
  make_image(big);
  auto m = oci::parse_manifest(big.root_doc.raw);
  m->config.size = k_max_config_bytes + 1;
  std::string raw = oci::serialize(*m);
  big.root_doc = Document{raw, std::string(oci::mt::oci_manifest), Digest::of(raw)};
  auto too_big = load(big);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message().find("more than the limit"), std::string::npos)
      << too_big.error().message();
}

TEST(Mutate, LayersHistoryAndTheManifestStayInStep) {
  oci::ImageConfig cfg;
  cfg.architecture = "amd64";
  cfg.os = "linux";
  oci::History h;
  h.created_by = "ENV A=1";
  h.empty_layer = false;  // append_empty sets it
  append_empty(cfg, h);
  h.created_by = "COPY . /";
  h.empty_layer = true;  // append_layer clears it
  append_layer(cfg, Digest::of("tar"), h);
  oci::ContainerConfig cc;
  cc.env = {"A=1"};
  set_container_config(cfg, cc);
  ASSERT_EQ(cfg.history.size(), 2u);
  EXPECT_TRUE(cfg.history[0].empty_layer);
  EXPECT_FALSE(cfg.history[1].empty_layer);
  EXPECT_EQ(cfg.rootfs.diff_ids, std::vector<Digest>{Digest::of("tar")});
  EXPECT_EQ(cfg.config->env, std::vector<std::string>{"A=1"});

  auto layer = desc(oci::mt::oci_layer_gzip, "gz");
  auto made = new_manifest(cfg, {layer});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->document.digest, Digest::of(made->document.raw));
  EXPECT_EQ(made->manifest.config.digest, Digest::of(made->raw_config));
  EXPECT_EQ(made->manifest.layers.size(), 1u);
  auto round = oci::parse_config(made->raw_config);
  EXPECT_EQ(round->rootfs.diff_ids, cfg.rootfs.diff_ids);

  auto two = new_manifest(cfg, {layer, layer});
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message(), "the config has 1 diffIDs for 2 layers");
}

}  // namespace
}  // namespace kiln::image
