#include "kiln/store/store.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::store {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp = std::make_unique<os::TempDir>(*os::TempDir::create("store"));
    auto s = Store::open(*tmp / "root");
    ASSERT_TRUE(s) << s.error().message();
    store = std::move(*s);
  }

  // A minimal image: one layer blob, config, manifest.
  Digest add_image(const std::string& layer, const std::vector<std::string>& names,
                   const std::string& arch = "amd64") {
    auto lease = store->lease();
    auto l = store->put_blob(layer, *lease);
    oci::ImageConfig c;
    c.architecture = arch;
    c.os = "linux";
    c.rootfs.diff_ids = {l->digest};
    auto cfg = store->put_blob(oci::serialize(c), *lease);
    oci::Manifest m;
    m.media_type = oci::mt::oci_manifest;
    m.config = {.media_type = std::string(oci::mt::oci_config),
                .digest = cfg->digest,
                .size = cfg->size,
                .urls = {},
                .annotations = {},
                .data = {},
                .platform = {},
                .artifact_type = {},
                .extra = {}};
    oci::Descriptor ld;
    ld.media_type = oci::mt::oci_layer;
    ld.digest = l->digest;
    ld.size = l->size;
    m.layers = {ld};
    auto man = store->put_blob(oci::serialize(m), *lease);
    NewImage img;
    img.manifest_digest = man->digest;
    img.media_type = m.media_type;
    img.config_digest = cfg->digest;
    img.blobs = {man->digest, cfg->digest, l->digest};
    img.layers = {{l->digest, l->digest, std::string(oci::mt::oci_layer), l->size, l->size}};
    for (const auto& n : names) img.names.push_back(oci::Reference::parse(n)->str());
    auto st = store->put_image(img);
    EXPECT_TRUE(st) << st.error().message();
    return man->digest;
  }

  std::unique_ptr<os::TempDir> tmp;
  std::unique_ptr<Store> store;
};

TEST_F(StoreTest, BlobsAreVerifiedBeforeTheyAppear) {
  auto lease = store->lease();
  ASSERT_TRUE(lease);
  auto w = store->new_blob(*lease);
  ASSERT_TRUE((*w)->write("hello", 5));
  auto bad = (*w)->commit(Digest::of("other"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::corrupt);
  EXPECT_EQ(bad.error().message(), fmt::format("blob: digest mismatch: got {}, want {}",
                                               Digest::of("hello"), Digest::of("other")));
  EXPECT_FALSE(store->has_blob(Digest::of("hello")));
  io::StringReader src("hello");
  auto short_size = store->ingest(src, *lease, Digest::of("hello"), 6);
  ASSERT_FALSE(short_size);
  EXPECT_NE(short_size.error().message().find("size mismatch: got 5 bytes, want 6"),
            std::string::npos);
  auto ok = store->put_blob("hello", *lease, Digest::of("hello"));
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(*store->read_blob(ok->digest), "hello");
  EXPECT_EQ(*store->blob_size(ok->digest), 5);
  auto again = store->put_blob("hello", *lease);
  ASSERT_TRUE(again) << "writing an existing blob is success";
  auto names = store->root_dir().open_dir(paths::blobs_dir)->list();
  EXPECT_EQ(names->size(), 1u) << "no temporary files remain";
}

TEST_F(StoreTest, CorruptBlobIsDetectedOnReadAndCheck) {
  Digest m = add_image("layer-bytes", {"app:1"});
  auto img = store->image(m);
  auto layer = oci::parse_manifest(*store->read_blob(m))->layers[0].digest;
  std::string path = store->root() + "/" + std::string(paths::blobs_dir) + "/" + layer.hex();
  chmod(path.c_str(), 0644);
  std::ofstream(path) << "LAYER-bytes";
  auto r = store->read_blob(layer);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::corrupt);
  auto rd = store->blob_reader(layer);
  ASSERT_TRUE(rd);
  EXPECT_EQ(io::read_all(**rd, 1000).error().code(), Errc::corrupt);
  auto report = store->check();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_EQ(report->errors[0], fmt::format("blob {} is corrupt: its content hashes to {}", layer,
                                           Digest::of("LAYER-bytes")));
}

TEST_F(StoreTest, MissingBlobIsReportedByCheck) {
  Digest m = add_image("layer", {"app:1"});
  auto layer = oci::parse_manifest(*store->read_blob(m))->layers[0].digest;
  ASSERT_TRUE(store->root_dir().open_dir(paths::blobs_dir)->unlink(layer.hex()));
  auto report = store->check();
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_EQ(report->errors[0], fmt::format("image {}: layer blob {} is missing", m, layer));
}

TEST_F(StoreTest, NamesResolveAndMove) {
  Digest a = add_image("a", {"app:1", "app:latest"});
  Digest b = add_image("b", {"other"});
  EXPECT_EQ(store->resolve("app:1")->manifest_digest, a);
  EXPECT_EQ(store->resolve("app")->manifest_digest, a);
  EXPECT_EQ(store->resolve("docker.io/library/app:1")->manifest_digest, a);
  EXPECT_EQ(store->resolve("app@" + a.str())->manifest_digest, a);
  auto rec = *store->resolve("other");
  EXPECT_EQ(store->resolve(rec.config_digest.str())->manifest_digest, b);
  EXPECT_EQ(store->resolve(rec.config_digest.hex().substr(0, 12))->manifest_digest, b);
  EXPECT_EQ(store->resolve(a.hex().substr(0, 10))->manifest_digest, a) << "manifest digest prefix";
  EXPECT_EQ(store->resolve("nope").error().message(), "no such image: nope");
  EXPECT_EQ(store->resolve("nope").error().code(), Errc::not_found);
  EXPECT_EQ(store->resolve("Bad:Name").error().code(), Errc::invalid_argument);
  // Tagging an existing name onto another image moves it; the old image keeps its other names.
  ASSERT_TRUE(store->set_name(*oci::Reference::parse("app:latest"), b));
  EXPECT_EQ(store->resolve("app")->manifest_digest, b);
  EXPECT_EQ(store->image(a)->value().names, std::vector<std::string>{"docker.io/library/app:1"});
}

TEST_F(StoreTest, IndexResolvesToAPlatformAndTakesItsImagesAlong) {
  Digest amd = add_image("a", {}, "amd64");
  Digest arm = add_image("b", {}, "arm64");
  oci::Index x;
  x.media_type = oci::mt::oci_index;
  for (auto [d, arch] : {std::pair{amd, "amd64"}, std::pair{arm, "arm64"}}) {
    oci::Descriptor e;
    e.media_type = oci::mt::oci_manifest;
    e.digest = d;
    e.size = store->blob_size(d).value();
    e.platform = oci::Platform{};
    e.platform->os = "linux";
    e.platform->architecture = arch;
    x.manifests.push_back(e);
  }
  auto lease = store->lease();
  auto raw = store->put_blob(oci::serialize(x), *lease);
  NewImage idx;
  idx.manifest_digest = raw->digest;
  idx.media_type = oci::mt::oci_index;
  idx.config_digest = raw->digest;
  idx.blobs = {raw->digest};
  idx.children = {amd, arm};
  idx.names = {oci::Reference::parse("multi:1")->str()};
  ASSERT_TRUE(store->put_image(idx));

  EXPECT_EQ(store->resolve_top("multi:1")->manifest_digest, raw->digest);
  oci::Platform want;
  want.os = "linux";
  want.architecture = "arm64";
  EXPECT_EQ(store->resolve("multi:1", want)->manifest_digest, arm);
  want.architecture = "s390x";
  EXPECT_EQ(store->resolve("multi:1", want).error().code(), Errc::not_found);
  auto top = store->image(raw->digest)->value();
  EXPECT_EQ(top.size, store->image(amd)->value().size + store->image(arm)->value().size);
  EXPECT_TRUE(store->image(amd)->value().in_index);
  EXPECT_FALSE(top.in_index);
  EXPECT_TRUE(store->check()->errors.empty());

  // With the index gone, its unnamed image goes too; one with a name of its own stays.
  ASSERT_TRUE(store->set_name(*oci::Reference::parse("pinned:1"), arm));
  ASSERT_TRUE(store->delete_image(raw->digest));
  EXPECT_FALSE(store->image(raw->digest)->has_value());
  EXPECT_FALSE(store->image(amd)->has_value());
  ASSERT_TRUE(store->image(arm)->has_value());
  EXPECT_FALSE(store->image(arm)->value().in_index);
  EXPECT_TRUE(store->check()->errors.empty());
}

TEST_F(StoreTest, GcKeepsReferencedAndLeasedBlobs) {
  Digest kept = add_image("kept-layer", {"kept"});
  Digest dropped = add_image("dropped-layer", {"dropped"});
  auto lease = store->lease();
  auto leased = store->put_blob("in-flight", *lease);
  {
    auto other = store->lease();
    ASSERT_TRUE(store->put_blob("orphan", *other));
  }  // lease released: the blob is garbage now
  ASSERT_TRUE(store->remove_name(*oci::Reference::parse("dropped")));
  ASSERT_TRUE(store->delete_image(dropped));
  auto dry = store->gc(true);
  ASSERT_TRUE(dry);
  EXPECT_EQ(dry->blobs_removed, 4) << "dropped image's 3 blobs + the orphan";
  EXPECT_TRUE(store->has_blob(Digest::of("orphan"))) << "dry run removes nothing";
  auto gc = store->gc();
  ASSERT_TRUE(gc) << gc.error().message();
  EXPECT_EQ(gc->blobs_removed, 4);
  EXPECT_FALSE(store->has_blob(Digest::of("orphan")));
  EXPECT_FALSE(store->has_blob(dropped));
  EXPECT_TRUE(store->has_blob(leased->digest));
  EXPECT_TRUE(store->has_blob(kept));
  EXPECT_TRUE(store->check()->errors.empty());
}

TEST_F(StoreTest, LeasesOfDeadProcessesExpire) {
  pid_t child = fork();
  if (child == 0) {
    auto s = Store::open(store->root());
    auto l = (*s)->lease();
    (void)(*s)->put_blob("child-blob", *l);
    _exit(0);  // the lease row stays: the process "crashed"
  }
  int status = 0;
  waitpid(child, &status, 0);
  // Deliberately leaked by _exit; the child's destructors never ran.
  auto gc = store->gc();
  ASSERT_TRUE(gc);
  EXPECT_EQ(gc->leases_removed, 1);
  EXPECT_FALSE(store->has_blob(Digest::of("child-blob")));
}

TEST_F(StoreTest, ConcurrentProcessesDoNotCorruptTheStore) {
  constexpr int k_procs = 4, k_images = 15;
  std::vector<pid_t> kids;
  for (int p = 0; p < k_procs; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      auto s = Store::open(store->root());
      if (!s) _exit(10);
      for (int i = 0; i < k_images; ++i) {
        auto lease = (*s)->lease();
        if (!lease) _exit(11);
        std::string data = fmt::format("p{}-i{}", p, i);
        auto b = (*s)->put_blob(data, *lease);
        auto shared = (*s)->put_blob("shared", *lease);
        if (!b || !shared) _exit(12);
        NewImage img;
        img.manifest_digest = b->digest;
        img.media_type = "application/octet-stream";
        img.config_digest = shared->digest;
        img.blobs = {b->digest, shared->digest};
        img.names = {fmt::format("docker.io/library/p{}:i{}", p, i)};
        if (!(*s)->put_image(img)) _exit(13);
        if (i % 5 == 0 && !(*s)->gc()) _exit(14);
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    waitpid(k, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "child exit " << WEXITSTATUS(status);
  }
  auto imgs = store->images();
  ASSERT_TRUE(imgs);
  EXPECT_EQ(imgs->size(), static_cast<size_t>(k_procs * k_images));
  for (const auto& i : *imgs) EXPECT_TRUE(store->has_blob(i.manifest_digest));
  EXPECT_TRUE(store->has_blob(Digest::of("shared")));
  auto report = store->check();
  EXPECT_TRUE(report->errors.empty());
}

TEST_F(StoreTest, UnpackedCacheEntries) {
  auto& meta = store->metadata();
  ASSERT_TRUE(meta.put_unpacked({"sha256:abc", "snapshots/abc", 42, 7}));
  auto u = meta.unpacked("sha256:abc");
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->size, 42);
  ASSERT_TRUE(meta.delete_unpacked("sha256:abc"));
  EXPECT_FALSE(*meta.unpacked("sha256:abc"));
  EXPECT_EQ(store->disk_usage()->snapshots, 0);
}

TEST(StoreOpen, RefusesUnusableRoot) {
  auto s = Store::open("/proc/kiln-cannot-be-here");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message().rfind("open store /proc/kiln-cannot-be-here: ", 0), 0u)
      << s.error().message();
}

}  // namespace
}  // namespace kiln::store
