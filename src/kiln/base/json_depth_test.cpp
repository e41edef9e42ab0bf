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

TEST(JsonMember, TypedReadsNeverThrow) {
  auto j = nlohmann::json::parse(
      R"({"s": "x", "i": -3, "u": 18446744073709551615, "b": true, "f": 1.5,
          "list": ["a", "b"], "mixed": ["a", 1], "null": null})");
  EXPECT_EQ(json_member<std::string>(j, "s"), "x");
  EXPECT_EQ(json_member<int64_t>(j, "i"), -3);
  EXPECT_EQ(json_member<bool>(j, "b"), true);
  EXPECT_EQ(json_member<std::vector<std::string>>(j, "list"), (std::vector<std::string>{"a", "b"}));
  // Wrong types, out of range, absent: nullopt, where get<>() would throw or wrap.
  EXPECT_FALSE(json_member<std::string>(j, "i"));
  EXPECT_FALSE(json_member<int64_t>(j, "s"));
  EXPECT_FALSE(json_member<int64_t>(j, "u")) << "beyond int64";
  EXPECT_FALSE(json_member<uint32_t>(j, "i")) << "negative for an unsigned type";
  EXPECT_FALSE(json_member<int>(j, "f")) << "a float is not an integer";
  EXPECT_FALSE(json_member<bool>(j, "null"));
  EXPECT_FALSE(json_member<std::vector<std::string>>(j, "mixed"));
  EXPECT_FALSE(json_member<std::string>(j, "absent"));
  EXPECT_FALSE(json_member<std::string>(nlohmann::json::array({1}), "s")) << "not an object";
}

}  // namespace
}  // namespace kiln
