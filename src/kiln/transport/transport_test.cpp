// One conformance suite for the file transports: an image written by each sink is read back by
// the matching source with the same bytes; plus the tar index and envelope writer.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "kiln/image/copy.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/registry/server/inproc_transport.hpp"
#include "kiln/transport/registry_transport.hpp"
#include "kiln/transport/tar_out.hpp"
#include "kiln/transport/transport.hpp"

namespace kiln::transport {
namespace {

// An in-memory image: two gzip layers (real tars), an OCI config and manifest.
class MemSource final : public image::Source {
 public:
  MemSource() {
    oci::ImageConfig cfg;
    cfg.architecture = "amd64";
    cfg.os = "linux";
    oci::Manifest m;
    m.media_type = oci::mt::oci_manifest;
    for (int i = 0; i < 2; ++i) {
      std::string tar = make_tar(fmt::format("file{}", i), std::string(3000 + i, 'a' + i));
      io::StringWriter gz;
      auto c = io::make_compressor(io::Compression::gzip, gz);
      EXPECT_TRUE((*c)->write(tar));
      EXPECT_TRUE((*c)->close());
      cfg.rootfs.diff_ids.push_back(Digest::of(tar));
      m.layers.push_back(add(oci::mt::oci_layer_gzip, gz.take()));
    }
    m.config = add(oci::mt::oci_config, oci::serialize(cfg));
    m_root.raw = oci::serialize(m);
    m_root.media_type = m.media_type;
    m_root.digest = Digest::of(m_root.raw);
    add(m_root.media_type, m_root.raw);
  }
  static std::string make_tar(const std::string& name, const std::string& body) {
    int fd = ::memfd_create("t", 0);
    TarOut t(fd, "");
    EXPECT_TRUE(t.add_file(name, body));
    EXPECT_TRUE(t.finish());
    std::string out(static_cast<size_t>(t.bytes()), '\0');
    EXPECT_EQ(::pread(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    ::close(fd);
    return out;
  }
  oci::Descriptor add(std::string_view mt, std::string data) {
    oci::Descriptor d;
    d.media_type = mt;
    d.digest = Digest::of(data);
    d.size = static_cast<int64_t>(data.size());
    blobs[d.digest] = std::move(data);
    return d;
  }
  std::string describe() const override { return "mem"; }
  Result<image::Document> root() override { return m_root; }
  Result<std::unique_ptr<io::Reader>> open_blob(const oci::Descriptor& d) override {
    auto it = blobs.find(d.digest);
    if (it == blobs.end()) return fail(Errc::not_found, "no blob");
    return std::unique_ptr<io::Reader>(new io::StringReader(it->second));
  }
  std::vector<std::string> names() override { return {"docker.io/library/mem:1"}; }

  std::map<Digest, std::string> blobs;
  image::Document m_root;
};

struct Case {
  const char* name;
  Kind kind;
  bool keeps_manifest;  // a docker archive holds plain layers, so its manifest differs
};

class TransportSuite : public ::testing::TestWithParam<Case> {};

TEST_P(TransportSuite, WritesWhatItsSourceReadsBack) {
  auto tmp = os::TempDir::create("kiln-transport-test");
  ASSERT_TRUE(tmp);
  Location at{GetParam().kind, tmp->path() + "/img", "v1"};
  MemSource src;
  OpenOptions o;
  auto sink = open_sink(at, o);
  ASSERT_TRUE(sink) << sink.error().message();
  auto res = image::copy_image(src, **sink, {});
  ASSERT_TRUE(res) << res.error().message();
  auto fin = (*sink)->finish();
  ASSERT_TRUE(fin) << fin.error().message();
  EXPECT_EQ(res->root.digest == src.m_root.digest, GetParam().keeps_manifest);

  if (GetParam().kind == Kind::docker_archive) at.ref = "mem:1";  // its RepoTags
  auto back = open_source(at, o);
  ASSERT_TRUE(back) << back.error().message();
  auto root = (*back)->root();
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->digest, res->root.digest);
  auto m = oci::parse_manifest(root->raw);
  ASSERT_TRUE(m);
  auto cfg = image::read_blob(**back, m->config, 1 << 20);
  ASSERT_TRUE(cfg) << cfg.error().message();
  EXPECT_EQ(Digest::of(*cfg), m->config.digest);
  for (size_t i = 0; i < m->layers.size(); ++i) {
    auto layer = image::read_blob(**back, m->layers[i], 1 << 20);
    ASSERT_TRUE(layer) << layer.error().message();
    EXPECT_EQ(Digest::of(*layer), m->layers[i].digest);
  }
}

// docker:// against the real registry Service (memory driver) through the in-process HTTP
// transport: a push and a pull keep every digest, and a copy to a second repository of the
// same registry mounts the blobs instead of uploading them again.
TEST(RegistryTransport, PushPullAndCrossRepositoryMount) {
  auto tmp = os::TempDir::create("kiln-registry-transport");
  auto driver = registry::server::memory_driver();
  registry::server::Service service(*driver, {});
  auto auth = registry::server::no_auth();
  struct Counting final : net::HttpTransport {
    std::shared_ptr<net::HttpTransport> inner;
    std::mutex mu;
    std::vector<std::string> calls;
    Result<net::Response> perform(const net::Request& r) override {
      {
        std::lock_guard lk(mu);
        calls.push_back(r.method + " " + r.url.substr(r.url.find("/v2/")));
      }
      return inner->perform(r);
    }
  };
  auto counting = std::make_shared<Counting>();
  counting->inner = registry::server::in_process_transport(service, *auth);
  registry::client::Options opts;
  opts.transport = counting;
  opts.authfile = tmp->path() + "/auth.json";

  MemSource src;
  auto ref = *oci::Reference::parse("localhost:5000/team/mem:v1");
  auto sink = registry_sink(ref, opts);
  ASSERT_TRUE(sink) << sink.error().message();
  auto pushed = image::copy_image(src, **sink, {});
  ASSERT_TRUE(pushed) << pushed.error().message();
  ASSERT_TRUE((*sink)->finish());
  EXPECT_EQ(pushed->root.digest, src.m_root.digest);

  auto back = registry_source(ref, opts);
  ASSERT_TRUE(back) << back.error().message();
  auto root = (*back)->root();
  ASSERT_TRUE(root) << root.error().message();
  EXPECT_EQ(root->raw, src.m_root.raw);
  for (const auto& [digest, bytes] : src.blobs) {
    oci::Descriptor d;
    d.digest = digest;
    d.size = static_cast<int64_t>(bytes.size());
    auto got = image::read_blob(**back, d, 1 << 20);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(*got, bytes);
  }

  counting->calls.clear();
  auto other = *oci::Reference::parse("localhost:5000/team/other:v1");
  auto sink2 = registry_sink(other, opts, "team/mem");
  ASSERT_TRUE(sink2);
  ASSERT_TRUE(image::copy_image(src, **sink2, {}));
  ASSERT_TRUE((*sink2)->finish());
  int mounts = 0, uploads = 0;
  for (const auto& c : counting->calls) {
    mounts += c.find("?mount=") != std::string::npos;
    uploads += c.starts_with("PUT /v2/team/other/blobs/uploads/") ||
               c.starts_with("PATCH /v2/team/other/blobs/uploads/");
  }
  EXPECT_EQ(mounts, 3) << "the config and both layers are mounted";
  EXPECT_EQ(uploads, 0);
}

INSTANTIATE_TEST_SUITE_P(All, TransportSuite,
                         ::testing::Values(Case{"oci", Kind::oci, true},
                                           Case{"oci_archive", Kind::oci_archive, true},
                                           Case{"docker_archive", Kind::docker_archive, false}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Location, ParsesSkopeoNames) {
  auto a = parse_location("oci:/x/dir:tag");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, Kind::oci);
  EXPECT_EQ(a->path, "/x/dir");
  EXPECT_EQ(a->ref, "tag");
  auto b = parse_location("docker-archive:f.tar:repo/x:1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->path, "f.tar");
  EXPECT_EQ(b->ref, "repo/x:1");
  auto c = parse_location("busybox:latest");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::store);
  EXPECT_EQ(parse_location("kiln://x:1")->path, "x:1");
  EXPECT_FALSE(parse_location("oci-archive:"));
  auto d = parse_location("docker://x/y:1");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Kind::registry);
  EXPECT_EQ(d->path, "x/y:1");
}

// A tar written by GNU-style writers: long names (PAX), symlink chains, base-256 sizes.
TEST(TarIndex, ReadsPaxNamesLinksAndRefusesEscapes) {
  auto tmp = os::TempDir::create("kiln-tar-test");
  ASSERT_TRUE(tmp);
  std::string dir = tmp->path();
  std::string long_name(150, 'n');
  std::string cmd = fmt::format(
      "cd {0} && mkdir -p src/d && echo hello > src/d/{1} && ln -s d/{1} src/link && "
      "ln -s ../link src/d/up && tar --format=pax -C src -cf a.tar d link && "
      "tar --format=gnu -C src -cf g.tar d link",
      dir, long_name);
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  for (const char* f : {"a.tar", "g.tar"}) {
    auto files = open_archive(dir + "/" + f, {});
    ASSERT_TRUE(files) << files.error().message();
    auto body = (*files)->read("d/" + long_name, 100);
    ASSERT_TRUE(body) << body.error().message();
    EXPECT_EQ(*body, "hello\n");
    EXPECT_EQ(*(*files)->read("link", 100), "hello\n");
    EXPECT_EQ(*(*files)->read("d/up", 100), "hello\n");  // ../link from d/
    auto missing = (*files)->read("nope", 100);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), Errc::not_found);
    EXPECT_FALSE((*files)->read("../etc/passwd", 100));
  }
}

TEST(TarOut, UnknownSizesArePatchedAndBigSizesUseBase256) {
  auto tmp = os::TempDir::create("kiln-tarout-test");
  ASSERT_TRUE(tmp);
  std::string path = tmp->path() + "/o.tar";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  TarOut t(fd, "");
  io::StringReader body(std::string(1000, 'x'));
  auto n = t.add_stream("blobs/sha256/unknown", -1, body);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1000);
  ASSERT_TRUE(t.add_file("small", "abc"));
  ASSERT_TRUE(t.finish());
  ::close(fd);
  auto files = open_archive(path, {});
  ASSERT_TRUE(files) << files.error().message();
  EXPECT_EQ(*(*files)->size("blobs/sha256/unknown"), 1000);
  EXPECT_EQ(*(*files)->read("small", 10), "abc");
  // A size past the 11 octal digits (8 GiB) goes into the header as base-256, which GNU tar
  // reads: checked on the header alone (no 8 GiB file), with a declared size that fails.
  int fd2 = ::open((path + "2").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  TarOut t2(fd2, "");
  io::StringReader small("x");
  auto big = t2.add_stream("big", int64_t{9} << 30, small);
  EXPECT_FALSE(big);
  char h[512];
  ASSERT_EQ(::pread(fd2, h, 512, 0), 512);
  EXPECT_EQ(static_cast<unsigned char>(h[124]), 0x80);
  ::close(fd2);
}

}  // namespace
}  // namespace kiln::transport
