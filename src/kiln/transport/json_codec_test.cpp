#include "kiln/transport/json_codec.hpp"

#include <gtest/gtest.h>

namespace kiln::transport {
namespace {

TEST(TransportJsonCodec, ArchiveManifest) {
  auto m = parse_archive_manifest(
      R"([{"Config": "c.json", "RepoTags": null, "Layers": ["a/layer.tar"]},
          {"Config": "d.json", "RepoTags": ["x:1"]}])",
      "t.tar");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_TRUE((*m)[0].repo_tags.empty());
  EXPECT_EQ((*m)[1].repo_tags, std::vector<std::string>{"x:1"});
  EXPECT_TRUE((*m)[1].layers.empty());
  EXPECT_EQ(serialize_archive_manifest(*m),
            R"([{"Config":"c.json","Layers":["a/layer.tar"],"RepoTags":null},)"
            R"({"Config":"d.json","Layers":[],"RepoTags":["x:1"]}])");

  EXPECT_EQ(parse_archive_manifest("{}", "t.tar").error().message(),
            "t.tar: manifest.json is not a JSON array");
  EXPECT_EQ(parse_archive_manifest(R"([{"Config": 1}])", "t.tar").error().message(),
            "t.tar: manifest.json[0]: no Config");
  EXPECT_EQ(
      parse_archive_manifest(R"([{"Config": "c", "Layers": "x"}])", "t.tar").error().message(),
      "t.tar: manifest.json[0]: Layers is not an array");
  EXPECT_EQ(
      parse_archive_manifest(R"([{"Config": "c", "RepoTags": [1]}])", "t.tar").error().message(),
      "t.tar: manifest.json[0]: RepoTags has a member that is not a string");
}

TEST(TransportJsonCodec, LayoutVersion) {
  EXPECT_EQ(*parse_layout_version(R"({"imageLayoutVersion": "1.0.0"})", "d"), "1.0.0");
  EXPECT_EQ(parse_layout_version(R"({"imageLayoutVersion": 1})", "d").error().message(),
            "d: oci-layout is not a valid layout file");
}

}  // namespace
}  // namespace kiln::transport
