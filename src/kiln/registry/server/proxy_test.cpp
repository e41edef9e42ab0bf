// The pull-through cache over the memory driver, with an upstream in memory.
#include "kiln/registry/server/proxy.hpp"

#include <gtest/gtest.h>

#include <map>

#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {
namespace {

struct FakeUpstream final : Upstream {
  std::map<std::string, std::string> manifests;  // "repo:ref" -> body
  std::map<Digest, std::string> blobs;
  bool down = false;
  int manifest_calls = 0;
  int blob_calls = 0;
  std::string describe() const override { return "http://upstream.test"; }
  Result<UpstreamManifest> manifest(const std::string& repo, const std::string& ref) override {
    ++manifest_calls;
    if (down) return fail(Errc::io, "connection refused");
    auto it = manifests.find(repo + ":" + ref);
    if (it == manifests.end()) return fail(Errc::not_found, "MANIFEST_UNKNOWN");
    return UpstreamManifest{it->second, "application/vnd.oci.image.manifest.v1+json"};
  }
  Result<int64_t> blob_size(const std::string&, const Digest& d) override {
    if (down) return fail(Errc::io, "connection refused");
    auto it = blobs.find(d);
    if (it == blobs.end()) return fail(Errc::not_found, "BLOB_UNKNOWN");
    return static_cast<int64_t>(d == liar ? 8 : it->second.size());
  }
  Digest liar = Digest::of("promised");
  Status blob(const std::string&, const Digest& d, int64_t, io::Writer& out) override {
    ++blob_calls;
    if (down) return fail(Errc::io, "connection refused");
    auto it = blobs.find(d);
    if (it == blobs.end()) return fail(Errc::not_found, "BLOB_UNKNOWN");
    return out.write(it->second);
  }
};

Response get(Service& s, const std::string& path, const std::string& method = "GET") {
  Request r;
  r.method = method;
  r.path = path;
  r.header = [](std::string_view) { return std::string_view(); };
  return s.handle(route(r.path), r).response;
}

struct ProxyTest : ::testing::Test {
  std::unique_ptr<Driver> d = memory_driver();
  FakeUpstream* up = nullptr;
  std::unique_ptr<Proxy> proxy;
  std::unique_ptr<Service> svc;
  std::string layer = "layer bytes";
  Digest layer_d = Digest::of(layer);
  std::string body;
  Digest body_d;

  void start(int64_t ttl) {
    auto u = std::make_unique<FakeUpstream>();
    up = u.get();
    body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
           layer_d.str() + R"(","size":11},"layers":[]})";
    body_d = Digest::of(body);
    up->manifests["lib/app:1"] = body;
    up->manifests["lib/app:" + body_d.str()] = body;
    up->blobs[layer_d] = layer;
    proxy = std::make_unique<Proxy>(*d, std::move(u), ttl);
    svc = std::make_unique<Service>(*d, ServiceOptions{});
    svc->set_proxy(proxy.get());
  }
};

TEST_F(ProxyTest, FetchesATagOnceWithinItsTtlAndServesItStaleWhenTheUpstreamIsAway) {
  start(3600);
  auto r = get(*svc, "/v2/lib/app/manifests/1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(*d->get(layout::tag("lib/app", "1")), body_d.str());
  EXPECT_EQ(get(*svc, "/v2/lib/app/manifests/1").status, 200);
  EXPECT_EQ(up->manifest_calls, 1);  // within the ttl: from storage
  EXPECT_EQ(get(*svc, "/v2/lib/app/manifests/" + body_d.str()).status, 200);
  EXPECT_EQ(up->manifest_calls, 1);
}

TEST_F(ProxyTest, ZeroTtlRevalidatesAndFallsBackToTheCache) {
  start(0);
  ASSERT_EQ(get(*svc, "/v2/lib/app/manifests/1").status, 200);
  ASSERT_EQ(get(*svc, "/v2/lib/app/manifests/1", "HEAD").status, 200);
  EXPECT_EQ(up->manifest_calls, 2);
  up->down = true;
  auto r = get(*svc, "/v2/lib/app/manifests/1");
  EXPECT_EQ(r.status, 200);  // stale, from storage
  EXPECT_EQ(r.body, body);
  auto miss = get(*svc, "/v2/lib/app/manifests/2");
  EXPECT_EQ(miss.status, 502);
  EXPECT_NE(miss.body.find("connection refused"), std::string::npos) << miss.body;
  EXPECT_EQ(get(*svc, "/v2/lib/other/blobs/" + layer_d.str()).status, 502);
}

TEST_F(ProxyTest, MissingUpstreamIs404) {
  start(0);
  EXPECT_EQ(get(*svc, "/v2/lib/app/manifests/nope").status, 404);
  EXPECT_EQ(get(*svc, "/v2/lib/app/blobs/" + Digest::of("x").str()).status, 404);
}

// Reads a streamed response body whole.
Result<std::string> read_body(const Response& r) {
  std::string out;
  std::vector<char> buf(4);
  for (;;) {
    auto n = r.file->read_at(static_cast<int64_t>(out.size()), buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST_F(ProxyTest, BlobsAreStreamedVerifiedAndKept) {
  start(0);
  auto r = get(*svc, "/v2/lib/app/blobs/" + layer_d.str());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.file_length, static_cast<int64_t>(layer.size()));
  auto got = read_body(r);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(*got, layer);
  proxy.reset();  // waits for the download to finish storing
  EXPECT_EQ(*d->get(layout::blob(layer_d)), layer);
  EXPECT_TRUE(d->stat(layout::layer_link("lib/app", layer_d)));
  EXPECT_TRUE(d->list(layout::uploads())->empty());
}

TEST_F(ProxyTest, StoredBlobsNeedNoUpstream) {
  start(0);
  auto r = get(*svc, "/v2/lib/app/blobs/" + layer_d.str(), "HEAD");  // starts the download
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(read_body(r));
  up->down = true;
  auto again = get(*svc, "/v2/lib/app/blobs/" + layer_d.str());
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(up->blob_calls, 1);
}

// An upstream that sends other bytes than the digest names: the reader fails before the last
// byte, and nothing is kept.
TEST_F(ProxyTest, ACorruptUpstreamBlobIsNeitherCompletedNorKept) {
  start(0);
  up->blobs[up->liar] = "12345678";
  auto r = get(*svc, "/v2/lib/app/blobs/" + up->liar.str());
  ASSERT_EQ(r.status, 200);
  auto got = read_body(r);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message().find("does not match"), std::string::npos)
      << got.error().message();
  proxy.reset();
  EXPECT_FALSE(d->stat(layout::blob(up->liar)));
  EXPECT_TRUE(d->list(layout::uploads())->empty());
}

TEST_F(ProxyTest, RefusesPushes) {
  start(0);
  Request r;
  r.method = "PUT";
  r.path = "/v2/lib/app/manifests/2";
  r.header = [](std::string_view) { return std::string_view(); };
  auto rep = svc->handle(route(r.path), r);
  EXPECT_EQ(rep.response.status, 405);
  EXPECT_NE(rep.response.body.find("pull-through cache"), std::string::npos);
}

}  // namespace
}  // namespace kiln::registry::server
