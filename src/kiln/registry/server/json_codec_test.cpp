#include "kiln/registry/server/json_codec.hpp"

#include <gtest/gtest.h>

#include "kiln/registry/server/gc.hpp"

namespace kiln::registry::server {
namespace {

const std::string k_dg = "sha256:" + std::string(64, 'a');

TEST(ServerJsonCodec, ViewsAnImageManifest) {
  std::string body =
      R"({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ")" +
      k_dg +
      R"(", "size": 7},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ")" +
      k_dg +
      R"(", "size": 9},
               {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "digest": ")" +
      k_dg + R"(", "size": 1},
               {"mediaType": "x", "digest": ")" +
      k_dg + R"(", "size": "9"},
               {"mediaType": "x", "digest": "sha256:zz", "size": 1},
               {"digest": ")" +
      k_dg + R"(", "size": 1}, 5],
    "annotations": {"b": "2", "a": "1"}})";
  auto v = view_manifest(body);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->schema_v2);
  EXPECT_EQ(v->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_FALSE(v->has_manifests);
  ASSERT_TRUE(v->config);
  EXPECT_EQ(v->config->problem, "");
  EXPECT_EQ(v->config->size, 7);
  EXPECT_EQ(v->artifact_type, "application/vnd.oci.image.config.v1+json");
  EXPECT_EQ(v->annotations, R"({"a":"1","b":"2"})");
  ASSERT_TRUE(v->layers);
  const auto& l = *v->layers;
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[0].problem, "");
  EXPECT_EQ(l[0].digest->str(), k_dg);
  EXPECT_TRUE(l[1].foreign);
  EXPECT_EQ(l[2].problem, "layers[]: size missing or negative");
  EXPECT_TRUE(l[2].digest) << "gc still follows a digest whatever the rest says";
  EXPECT_NE(l[3].problem.find("layers[]: "), std::string::npos);
  EXPECT_FALSE(l[3].digest);
  EXPECT_EQ(l[4].problem, "layers[]: mediaType missing");
  EXPECT_EQ(l[5].problem, "layers[]: not a descriptor");
}

TEST(ServerJsonCodec, ViewsIndexesAndRefusesNonObjects) {
  auto v = view_manifest(R"({"schemaVersion": 2.0, "manifests": [], "mediaType": 3,
                             "subject": {"mediaType": "m", "digest": ")" +
                         k_dg + R"(", "size": 2}, "artifactType": "t"})");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->schema_v2);
  EXPECT_TRUE(v->has_manifests);
  EXPECT_TRUE(v->has_media_type);
  EXPECT_FALSE(v->media_type) << "present but not a string";
  ASSERT_TRUE(v->manifests);
  EXPECT_TRUE(v->manifests->empty());
  ASSERT_TRUE(v->subject);
  EXPECT_EQ(v->subject->problem, "");
  EXPECT_EQ(v->artifact_type, "t");
  EXPECT_FALSE(view_manifest("[1]"));
  EXPECT_FALSE(view_manifest("not json"));
  EXPECT_FALSE(view_manifest(std::string(1000, '[') + std::string(1000, ']')));
  EXPECT_FALSE(view_manifest(R"({"schemaVersion": "2"})")->schema_v2);
}

TEST(ServerJsonCodec, ClaimsAndJwtHeaders) {
  auto c = parse_claims(R"({"sub": "alice", "iss": "me", "aud": "reg", "exp": 1e10,
    "nbf": "soon", "access": [{"type": "repository", "name": "a", "actions": ["pull", 3]},
                              "junk", {"type": 1, "name": "b"}]})");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sub, "alice");
  EXPECT_EQ(c->aud, std::vector<std::string>{"reg"});
  EXPECT_EQ(c->exp, int64_t{10'000'000'000});
  EXPECT_FALSE(c->nbf) << "a string is not a time";
  ASSERT_EQ(c->access.size(), 2u);
  EXPECT_EQ(c->access[0].actions, std::vector<std::string>{"pull"});
  EXPECT_EQ(c->access[1].type, "") << "a wrongly typed member reads as absent";
  EXPECT_EQ(parse_claims(R"({"aud": ["x", 1, "y"], "exp": 1e300})")->aud,
            (std::vector<std::string>{"x", "y"}));
  EXPECT_FALSE(parse_claims(R"({"exp": 1e300})")->exp) << "beyond int64";
  EXPECT_FALSE(parse_claims("[]"));

  auto h = parse_jwt_header(R"({"alg": "ES256", "x5c": ["AAAA", "BBBB"]})");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->x5c.size(), 2u);
  EXPECT_FALSE(h->x5c_malformed);
  EXPECT_TRUE(parse_jwt_header(R"({"alg": "ES256", "x5c": [1]})")->x5c_malformed);
  EXPECT_FALSE(parse_jwt_header(R"({"alg": 1})"));
  EXPECT_FALSE(parse_jwt_header("null"));
}

TEST(ServerJsonCodec, Responses) {
  EXPECT_EQ(
      error_json("NAME_UNKNOWN", "repository name not known to registry", ""),
      R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"
      "\n");
  EXPECT_EQ(tag_list_json("a/b", {"v1", "v2"}), R"({"name":"a/b","tags":["v1","v2"]})");
  EXPECT_EQ(catalog_json({}), R"({"repositories":[]})");
  ReferrerEntry e{"m", *Digest::parse(k_dg), 12, "", R"({"k":"v"})"};
  EXPECT_EQ(
      referrers_index_json({e}),
      R"({"manifests":[{"annotations":{"k":"v"},"digest":")" + k_dg +
          R"(","mediaType":"m","size":12}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
  EXPECT_EQ(upload_info_repo(upload_info_json("team/app", 5)), "team/app");
  EXPECT_EQ(upload_info_repo(R"({"repo": 1})"), "");
  EXPECT_EQ(upload_info_repo("garbage"), "");
  EXPECT_EQ(log_line({{"z", int64_t{1}}, {"a", std::string("bad \xff byte")}}),
            "{\"a\":\"bad \xEF\xBF\xBD byte\",\"z\":1}");
  GcReport r;
  r.blobs_deleted = 2;
  r.actions = {"delete blob x"};
  EXPECT_NE(gc_report_json(r, true).find("\"dry_run\": true"), std::string::npos);
}

}  // namespace
}  // namespace kiln::registry::server
