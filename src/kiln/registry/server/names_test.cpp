#include <gtest/gtest.h>

#include "kiln/registry/server/errors.hpp"
#include "kiln/registry/server/http_types.hpp"
#include "kiln/registry/server/names.hpp"
#include "kiln/registry/server/routes.hpp"

namespace kiln::registry::server {
namespace {

TEST(Names, Repositories) {
  for (const char* ok : {"a", "library/busybox", "a.b_c__d--e/f-g", "x0/1y/z2"})
    EXPECT_TRUE(valid_repository(ok)) << ok;
  for (const char* bad : {"", "A", "a/../b", "../a", "a//b", "a/", "/a", "a_", "a___b", "_a",
                          "a/_manifests", "a b", "a%2fb"})
    EXPECT_FALSE(valid_repository(bad)) << bad;
  EXPECT_TRUE(valid_repository(std::string(255, 'a')));
  EXPECT_FALSE(valid_repository(std::string(256, 'a')));
}

TEST(Names, Tags) {
  EXPECT_TRUE(valid_tag("latest"));
  EXPECT_TRUE(valid_tag("_x.Y-1"));
  EXPECT_TRUE(valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(valid_tag(std::string(129, 'a')));
  EXPECT_FALSE(valid_tag(".x"));
  EXPECT_FALSE(valid_tag("-x"));
  EXPECT_FALSE(valid_tag("a/b"));
  EXPECT_FALSE(valid_tag("sha256:abc"));
}

TEST(Routes, Endpoints) {
  auto r = route("/v2/a/b/manifests/latest");
  EXPECT_EQ(r.kind, RouteKind::manifest);
  EXPECT_EQ(r.name, "a/b");
  EXPECT_EQ(r.ref, "latest");
  r = route("/v2/a/blobs/uploads/");
  EXPECT_EQ(r.kind, RouteKind::upload_start);
  EXPECT_EQ(r.name, "a");
  r = route("/v2/a/blobs/uploads");
  EXPECT_EQ(r.kind, RouteKind::upload_start);
  r = route("/v2/x/y/blobs/uploads/abc");
  EXPECT_EQ(r.kind, RouteKind::upload);
  EXPECT_EQ(r.name, "x/y");
  EXPECT_EQ(r.ref, "abc");
  r = route("/v2/blobs/blobs/sha256:00");
  EXPECT_EQ(r.kind, RouteKind::blob);
  EXPECT_EQ(r.name, "blobs");
  EXPECT_EQ(route("/v2/a/tags/list").kind, RouteKind::tags);
  EXPECT_EQ(route("/v2/a/referrers/sha256:1").kind, RouteKind::referrers);
  r = route("/v2/team/app/_kiln/tags/v1.2/history");
  EXPECT_EQ(r.kind, RouteKind::tag_history);
  EXPECT_EQ(r.name, "team/app");
  EXPECT_EQ(r.ref, "v1.2");
  EXPECT_EQ(route("/v2/team/app/tags/v1/history").kind, RouteKind::not_found);
  EXPECT_EQ(route("/v2/_catalog").kind, RouteKind::catalog);
  EXPECT_EQ(route("/v2/").kind, RouteKind::base);
  EXPECT_EQ(route("/v2").kind, RouteKind::base);
  EXPECT_EQ(route("/v2/a").kind, RouteKind::not_found);
  EXPECT_EQ(route("/v3/a/tags/list").kind, RouteKind::not_found);
  EXPECT_EQ(route("/metrics").kind, RouteKind::metrics);
}

TEST(Errors, TableAndBody) {
  EXPECT_EQ(code_info(Code::blob_unknown).status, 404);
  EXPECT_EQ(code_info(Code::name_invalid).name, "NAME_INVALID");
  EXPECT_EQ(code_info(Code::range_invalid).status, 416);
  EXPECT_EQ(code_info(Code::too_large).status, 413);
  std::string body = error_body(Code::digest_invalid, std::string("bad \xff byte"));
  EXPECT_NE(body.find("\"code\":\"DIGEST_INVALID\""), std::string::npos) << body;
}

TEST(Request, Params) {
  Request r;
  r.query = "mount=sha256%3Aab&from=a%2Fb&digest=&n";
  EXPECT_EQ(r.param("mount"), "sha256:ab");
  EXPECT_EQ(r.param("from"), "a/b");
  EXPECT_TRUE(r.has_param("digest"));
  EXPECT_TRUE(r.has_param("n"));
  EXPECT_FALSE(r.has_param("last"));
  EXPECT_EQ(url_decode("%zz%4"), "%zz%4");
}

}  // namespace
}  // namespace kiln::registry::server
