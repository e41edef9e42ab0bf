#include "kiln/base/json_depth.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kiln {
namespace {

std::string nested(size_t n, char open = '[', char close = ']') {
  return std::string(n, open) + std::string(n, close);
}

TEST(JsonDepth, CountsBracketsOutsideStrings) {
  EXPECT_TRUE(json_depth_ok(nested(k_max_json_depth)));
  EXPECT_FALSE(json_depth_ok(nested(k_max_json_depth + 1)));
  EXPECT_TRUE(json_depth_ok("{\"a\": \"" + std::string(10000, '[') + "\"}")) << "inside a string";
  EXPECT_TRUE(json_depth_ok(R"({"a": "\"[[[[", "b": [1, {"c": [2]}]})"));
  EXPECT_TRUE(json_depth_ok(std::string(10000, ']'))) << "unbalanced closers are the parser's job";
}

TEST(JsonDepth, HalfAMillionLevelsIsAnErrorNotACrash) {
  std::string deep = "{\"a\":" + nested(500000) + "}";
  auto st = check_json_depth(deep, "config");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::corrupt);
  EXPECT_EQ(st.error().message(), "config: JSON nested more than 200 levels deep");
  auto j = parse_json_or_discarded<nlohmann::json>(deep);
  EXPECT_TRUE(j.is_discarded());
  EXPECT_EQ(parse_json_or_discarded<nlohmann::json>(R"({"a":[1]})")["a"][0], 1);
}

}  // namespace
}  // namespace kiln
