#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "kiln/container/import.hpp"
#include "kiln/container/rootfs_fixture.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/store/remove.hpp"

namespace kiln::container {
namespace {

class ImportTest : public RootfsStoreTest {
 protected:
  std::string tar_of_rootfs(io::Compression c) {
    std::string out = *tmp / "rootfs.tar";
    std::string cmd = fmt::format("tar -C {} -cf - . {} > {}", *tmp / "rootfs",
                                  c == io::Compression::gzip   ? "| gzip"
                                  : c == io::Compression::zstd ? "| zstd -q"
                                                               : "",
                                  out);
    EXPECT_EQ(system(cmd.c_str()), 0);
    return out;
  }
};

TEST_F(ImportTest, TarballDiffIdIsTheHashOfTheTar) {
  std::string plain = tar_of_rootfs(io::Compression::none);
  Digest want = Digest::of(*os::read_file(plain));
  for (auto c : {io::Compression::none, io::Compression::gzip, io::Compression::zstd}) {
    std::string path = tar_of_rootfs(c);
    ImportOptions o;
    o.source = path;
    o.ref = *oci::Reference::parse("imp:" + std::string(io::compression_name(c)));
    auto rec = import_rootfs(*store, o);
    ASSERT_TRUE(rec) << rec.error().message();
    auto v = store::load_image(*store, *rec);
    ASSERT_TRUE(v) << v.error().message();
    ASSERT_EQ(v->config.rootfs.diff_ids.size(), 1u);
    EXPECT_EQ(v->config.rootfs.diff_ids[0], want)
        << "input compressed with " << io::compression_name(c);
    EXPECT_EQ(v->manifest.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    EXPECT_EQ(v->config.history[0].comment, "Imported from " + path);
  }
}

TEST_F(ImportTest, StdinAndOptions) {
  std::string path = tar_of_rootfs(io::Compression::gzip);
  int fd = ::open(path.c_str(), O_RDONLY);
  ImportOptions o;
  o.source = "-";
  o.stdin_fd = fd;
  o.message = "from stdin";
  o.changes = {"CMD [\"/bin/hello\"]"};
  o.compression = io::Compression::zstd;
  o.platform = *oci::parse_platform("linux/arm64");
  auto rec = import_rootfs(*store, o);
  ::close(fd);
  ASSERT_TRUE(rec) << rec.error().message();
  auto v = store::load_image(*store, *rec);
  EXPECT_EQ(v->config.architecture, "arm64");
  EXPECT_EQ(v->config.history[0].comment, "from stdin");
  EXPECT_EQ(*v->config.config->cmd, std::vector<std::string>{"/bin/hello"});
  EXPECT_EQ(v->manifest.layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  EXPECT_TRUE(rec->names.empty()) << "no reference: a dangling image";
}

TEST_F(ImportTest, DirectoryImportIsReproducibleWithSourceDateEpoch) {
  ImportOptions o;
  o.source = *tmp / "rootfs";
  o.source_date_epoch = 1700000000;
  auto a = import_rootfs(*store, o);
  ASSERT_TRUE(a) << a.error().message();
  sleep(1);
  ASSERT_EQ(system(fmt::format("touch {}", *tmp / "rootfs/bin/hello").c_str()), 0);
  auto b = import_rootfs(*store, o);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->manifest_digest, b->manifest_digest) << "same inputs, same digest";
  auto v = store::load_image(*store, *a);
  EXPECT_EQ(v->config.created, "2023-11-14T22:13:20Z");
}

TEST_F(ImportTest, BadInputIsRefusedAndLeavesNoImage) {
  std::ofstream(*tmp / "junk.tar") << std::string(4096, 'j');
  std::ofstream(*tmp / "empty.tar") << "";
  ImportOptions o;
  o.source = *tmp / "junk.tar";
  auto r = import_rootfs(*store, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "import " + o.source + ": open tar stream: not a tar archive");
  o.source = *tmp / "empty.tar";
  EXPECT_EQ(import_rootfs(*store, o).error().message(),
            "import " + o.source + ": the archive has no entries");
  o.source = *tmp / "missing.tar";
  EXPECT_EQ(import_rootfs(*store, o).error().code(), Errc::not_found);
  std::string tgz = *os::read_file(tar_of_rootfs(io::Compression::gzip));
  std::ofstream(*tmp / "cut.tgz") << tgz.substr(0, tgz.size() / 2);
  o.source = *tmp / "cut.tgz";
  auto cut = import_rootfs(*store, o);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Errc::corrupt) << cut.error().message();
  o.source = *tmp / "rootfs";
  o.changes = {"RUN x"};
  EXPECT_FALSE(import_rootfs(*store, o));
  EXPECT_TRUE(store->images()->empty());
  auto gc = store->gc();
  EXPECT_EQ(gc->blobs_removed, 0) << "failed imports leave no blobs behind";
}

TEST_F(ImportTest, RemoveUntagsThenDeletes) {
  ImportOptions o;
  o.source = *tmp / "rootfs";
  o.ref = *oci::Reference::parse("x:1");
  auto rec = import_rootfs(*store, o);
  ASSERT_TRUE(store->set_name(*oci::Reference::parse("y:2"), rec->manifest_digest));
  auto by_id = store::remove_image(*store, rec->config_digest.hex().substr(0, 12), false);
  ASSERT_FALSE(by_id);
  EXPECT_EQ(by_id.error().message(),
            fmt::format("unable to delete {} (must be forced) - image is referenced in multiple "
                        "repositories",
                        rec->config_digest.short_hex()));
  auto first = store::remove_image(*store, "x:1", false);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->untagged, std::vector<std::string>{"x:1"});
  EXPECT_TRUE(first->deleted.empty());
  auto last = store::remove_image(*store, "y:2", false);
  EXPECT_EQ(last->deleted, std::vector<std::string>{rec->config_digest.str()});
  EXPECT_EQ(store->gc()->blobs_removed, 3);
  EXPECT_EQ(store::remove_image(*store, "y:2", false).error().code(), Errc::not_found);
}

}  // namespace
}  // namespace kiln::container

#include "kiln/archive/tar.hpp"
#include "kiln/container/export.hpp"
#include "kiln/store/layer_sink.hpp"

namespace kiln::container {
namespace {

store::LayerRecord layer_of(store::Store& st, store::Lease& lease,
                            const std::vector<std::pair<archive::Entry, std::string>>& entries) {
  auto sink = store::LayerSink::create(st, lease, io::Compression::gzip);
  auto tar = archive::TarWriter::open(**sink);
  for (auto [e, data] : entries) {
    e.size = static_cast<int64_t>(data.size());
    EXPECT_TRUE((*tar)->add(e));
    if (!data.empty()) {
      EXPECT_TRUE((*tar)->write_data(data.data(), data.size()));
    }
  }
  EXPECT_TRUE((*tar)->finish());
  return *(*sink)->commit();
}

archive::Entry entry(std::string path, archive::EntryType t = archive::EntryType::file) {
  archive::Entry e;
  e.path = std::move(path);
  e.type = t;
  e.mode = t == archive::EntryType::dir ? 0755 : 0644;
  e.mtime = 1700000000;
  return e;
}

std::map<std::string, std::string> tar_files(const std::string& tar) {
  io::StringReader src(tar);
  auto r = archive::TarReader::open(src);
  std::map<std::string, std::string> out;
  while (true) {
    auto e = (*r)->next();
    if (!e || !*e) break;
    archive::EntryReader body(**r);
    out[(*e)->path] = *io::read_all(body, 1 << 20);
  }
  return out;
}

TEST_F(ImportTest, ExportFlattensLayersAndResolvesWhiteouts) {
  auto lease = store->lease();
  auto l1 = layer_of(*store, *lease,
                     {{entry("etc/", archive::EntryType::dir), ""},
                      {entry("etc/keep"), "k"},
                      {entry("etc/gone"), "g"},
                      {entry("opq/", archive::EntryType::dir), ""},
                      {entry("opq/old"), "o"}});
  auto l2 = layer_of(*store, *lease,
                     {{entry("etc/.wh.gone"), ""},
                      {entry("opq/", archive::EntryType::dir), ""},
                      {entry("opq/.wh..wh..opq"), ""},
                      {entry("opq/new"), "n"},
                      {entry("etc/keep"), "k2"}});
  store::Assembled a;
  a.config.architecture = "amd64";
  a.config.os = "linux";
  a.config.rootfs.diff_ids = {l1.diff_id, l2.diff_id};
  a.layers = {l1, l2};
  a.names = {oci::Reference::parse("layered")->str()};
  auto rec = store::store_image(*store, *lease, a);
  ASSERT_TRUE(rec) << rec.error().message();
  io::StringWriter out;
  auto st = export_rootfs(*store, *store::load_image(*store, "layered"), out);
  ASSERT_TRUE(st) << st.error().message();
  auto files = tar_files(out.data());
  EXPECT_EQ(files.at("etc/keep"), "k2") << "the upper layer wins";
  EXPECT_FALSE(files.contains("etc/gone")) << "whited out";
  EXPECT_FALSE(files.contains("etc/.wh.gone")) << "whiteouts are not exported";
  EXPECT_FALSE(files.contains("opq/old")) << "opaque directory hides the lower content";
  EXPECT_EQ(files.at("opq/new"), "n");
  auto scratch = os::Dir::open(store->root() + "/tmp");
  EXPECT_TRUE(scratch->list()->empty()) << "scratch space removed";

  // A config whose diffIDs do not match the layers is refused by the store's sink (the one
  // way in), and nothing is recorded.
  a.config.rootfs.diff_ids = {l2.diff_id, l1.diff_id};
  a.layers = {l1, l2};
  a.names = {oci::Reference::parse("swapped")->str()};
  auto swapped = store::store_image(*store, *lease, a);
  ASSERT_FALSE(swapped);
  EXPECT_EQ(swapped.error().code(), Errc::corrupt);
  EXPECT_EQ(swapped.error().message(),
            fmt::format("layer {}: the store knows it with diffID {}, the config says {}",
                        l1.digest, l1.diff_id, l2.diff_id));
  EXPECT_FALSE(store::load_image(*store, "swapped"));
}

}  // namespace
}  // namespace kiln::container
