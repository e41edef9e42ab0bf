#include "kiln/builder/cache_json.hpp"

#include <gtest/gtest.h>

namespace kiln::builder {
namespace {

TEST(CacheJson, RoundTripsAndSkipsMalformedEntries) {
  CacheIndexEntry step;
  step.key = "k1";
  step.layer = "sha256:" + std::string(64, 'b');
  step.created = 7;
  step.diff_id = "sha256:" + std::string(64, 'c');
  step.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  step.size = 10;
  step.uncompressed_size = 20;
  CacheIndexEntry meta;
  meta.key = "k2";
  auto text = serialize_cache_index({step, meta});
  auto back = parse_cache_index(text, "index.json");
  ASSERT_TRUE(back) << back.error().message();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].diff_id, step.diff_id);
  EXPECT_EQ((*back)[0].uncompressed_size, 20);
  EXPECT_EQ((*back)[1].layer, "");

  auto some = parse_cache_index(R"({"kiln-build-cache": 1, "entries": [
      {"key": "ok", "layer": ""},
      {"key": "no-size", "layer": "sha256:x", "diff_id": "d", "media_type": "m"},
      {"key": 5, "layer": ""}, "junk",
      {"key": "typed", "layer": "l", "diff_id": "d", "media_type": "m", "size": "10"}]})",
                                "i");
  ASSERT_TRUE(some);
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].key, "ok");
}

TEST(CacheJson, RefusesWhatIsNotACache) {
  EXPECT_EQ(parse_cache_index("{", "i").error().code(), Errc::corrupt);
  EXPECT_EQ(parse_cache_index(R"({"entries": []})", "i").error().code(), Errc::unsupported);
  // A wrongly typed version was an uncaught nlohmann exception once.
  EXPECT_EQ(parse_cache_index(R"({"kiln-build-cache": "1", "entries": []})", "i").error().code(),
            Errc::unsupported);
  EXPECT_EQ(parse_cache_index(R"({"kiln-build-cache": 1, "entries": {}})", "i").error().code(),
            Errc::unsupported);
  EXPECT_EQ(parse_cache_index(std::string(500, '[') + std::string(500, ']'), "i").error().code(),
            Errc::corrupt);
}

}  // namespace
}  // namespace kiln::builder
