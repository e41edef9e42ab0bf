#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "kiln/io/compress.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/ops/changes.hpp"
#include "kiln/ops/import.hpp"
#include "kiln/ops/inspect.hpp"
#include "kiln/os/temp_dir.hpp"

namespace kiln::ops {
namespace {

TEST(Changes, AppliesDockerInstructions) {
  oci::ContainerConfig c;
  for (const char* ch :
       {R"(CMD ["/bin/sh", "-c", "echo hi"])", "ENTRYPOINT /entry.sh --flag",
        R"(ENV A=1 B="two words")", "ENV LEGACY value with spaces", "ENV A=3",
        R"(LABEL "com.example.x"=y z=1)", "EXPOSE 80 53/udp 80/tcp", R"(VOLUME ["/data", "/logs"])",
        "USER app:app", "WORKDIR /srv", "WORKDIR sub", "STOPSIGNAL SIGINT", "ONBUILD RUN make"})
    ASSERT_TRUE(apply_change(c, ch)) << ch;
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/entry.sh --flag"}));
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=3", "B=two words", "LEGACY=value with spaces"}));
  EXPECT_EQ(c.labels.at("com.example.x"), "y");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.volumes, (std::vector<std::string>{"/data", "/logs"}));
  EXPECT_EQ(c.user, "app:app");
  EXPECT_EQ(c.working_dir, "/srv/sub");
  EXPECT_EQ(c.stop_signal, "SIGINT");
  EXPECT_EQ(*c.on_build, std::vector<std::string>{"RUN make"});
}

TEST(Changes, RejectsWithReasons) {
  oci::ContainerConfig c;
  EXPECT_EQ(apply_change(c, "RUN make").error().message(),
            "change \"RUN make\": \"RUN\" cannot be changed here (allowed: CMD, ENTRYPOINT, ENV, "
            "EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
  EXPECT_EQ(apply_change(c, "EXPOSE 99999").error().message(),
            "change \"EXPOSE 99999\": invalid port \"99999\"");
  EXPECT_EQ(apply_change(c, "ENV =x").error().message(),
            "change \"ENV =x\": ENV: \"=x\" is not KEY=VALUE");
  EXPECT_EQ(apply_change(c, "ENV A=\"x").error().message(),
            "change \"ENV A=\"x\": unterminated \" quote in \"A=\"x\"");
  EXPECT_EQ(apply_change(c, "USER a b").error().message(),
            "change \"USER a b\": USER takes exactly one argument");
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp = std::make_unique<os::TempDir>(*os::TempDir::create("import"));
    store = std::move(*store::Store::open(*tmp / "store"));
    auto root = os::Dir::create(*tmp / "rootfs/bin");
    ASSERT_TRUE(os::write_file_atomic(*root, "hello", "#!/bin/sh\necho hello\n", 0755));
  }
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
  std::unique_ptr<os::TempDir> tmp;
  std::unique_ptr<store::Store> store;
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
    auto v = load_image(*store, *rec);
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
  auto v = load_image(*store, *rec);
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
  auto v = load_image(*store, *a);
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
  auto by_id = remove_image(*store, rec->config_digest.hex().substr(0, 12), false);
  ASSERT_FALSE(by_id);
  EXPECT_EQ(by_id.error().message(),
            fmt::format("unable to delete {} (must be forced) - image is referenced in multiple "
                        "repositories",
                        rec->config_digest.short_hex()));
  auto first = remove_image(*store, "x:1", false);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->untagged, std::vector<std::string>{"x:1"});
  EXPECT_TRUE(first->deleted.empty());
  auto last = remove_image(*store, "y:2", false);
  EXPECT_EQ(last->deleted, std::vector<std::string>{rec->config_digest.str()});
  EXPECT_EQ(store->gc()->blobs_removed, 3);
  EXPECT_EQ(remove_image(*store, "y:2", false).error().code(), Errc::not_found);
}

TEST_F(ImportTest, HistoryAndListRows) {
  ImportOptions o;
  o.source = *tmp / "rootfs";
  o.ref = *oci::Reference::parse("localhost:5000/team/app:v1");
  auto rec = import_rootfs(*store, o);
  auto v = load_image(*store, *rec);
  auto rows = image_history(*store, *v);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, rec->config_digest.str());
  EXPECT_GT((*rows)[0].size, 0);
  auto list = list_images(*store, "localhost:5000/team/*");
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].repository, "localhost:5000/team/app");
  EXPECT_EQ((*list)[0].tag, "v1");
  EXPECT_TRUE(list_images(*store, "other")->empty());
  EXPECT_EQ(list_images(*store, "*/team/app:v*")->size(), 1u);
  std::string j = inspect_json(*v);
  EXPECT_NE(j.find("\"RepoTags\": [\n        \"localhost:5000/team/app:v1\""), std::string::npos)
      << j;
}

}  // namespace
}  // namespace kiln::ops

#include "kiln/archive/tar.hpp"
#include "kiln/ops/export.hpp"
#include "kiln/ops/layer_sink.hpp"

namespace kiln::ops {
namespace {

store::LayerRecord layer_of(store::Store& st, store::Lease& lease,
                            const std::vector<std::pair<archive::Entry, std::string>>& entries) {
  auto sink = LayerSink::create(st, lease, io::Compression::gzip);
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
  Assembled a;
  a.config.architecture = "amd64";
  a.config.os = "linux";
  a.config.rootfs.diff_ids = {l1.diff_id, l2.diff_id};
  a.layers = {l1, l2};
  a.names = {oci::Reference::parse("layered")->str()};
  auto rec = store_image(*store, *lease, a);
  ASSERT_TRUE(rec) << rec.error().message();
  io::StringWriter out;
  auto st = export_rootfs(*store, *load_image(*store, "layered"), out);
  ASSERT_TRUE(st) << st.error().message();
  auto files = tar_files(out.data());
  EXPECT_EQ(files.at("etc/keep"), "k2") << "the upper layer wins";
  EXPECT_FALSE(files.contains("etc/gone")) << "whited out";
  EXPECT_FALSE(files.contains("etc/.wh.gone")) << "whiteouts are not exported";
  EXPECT_FALSE(files.contains("opq/old")) << "opaque directory hides the lower content";
  EXPECT_EQ(files.at("opq/new"), "n");
  auto scratch = os::Dir::open(store->root() + "/tmp");
  EXPECT_TRUE(scratch->list()->empty()) << "scratch space removed";

  // A config whose diffID does not match the layer content is refused.
  a.config.rootfs.diff_ids = {l2.diff_id, l1.diff_id};
  a.layers = {l1, l2};
  a.names = {oci::Reference::parse("swapped")->str()};
  ASSERT_TRUE(store_image(*store, *lease, a));
  io::StringWriter bad;
  auto err = export_rootfs(*store, *load_image(*store, "swapped"), bad);
  ASSERT_FALSE(err);
  EXPECT_EQ(err.error().code(), Errc::corrupt);
  EXPECT_NE(err.error().message().find("layer 1: layer " + l1.digest.str() +
                                       ": uncompressed content hashes to"),
            std::string::npos)
      << err.error().message();
}

}  // namespace
}  // namespace kiln::ops
