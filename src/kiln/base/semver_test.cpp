#include "kiln/base/semver.hpp"

#include <gtest/gtest.h>

namespace kiln::semver {
namespace {

Version v(std::string_view s) {
  auto r = parse(s);
  EXPECT_TRUE(r) << s;
  return r.value_or(Version{});
}

TEST(Semver, ParsesStrictly) {
  EXPECT_TRUE(parse("1.2.3"));
  EXPECT_TRUE(parse("v1.2.3-rc.1+build.5"));
  EXPECT_FALSE(parse("v1.2.3", false));
  for (auto bad : {"1.2", "1", "01.2.3", "1.02.3", "1.2.3-01", "1.2.3-", "1.2.3+", "1.2.3-a..b",
                   "latest", "", "1.2.3.4", "1.2.x", "99999999999999999999.0.0"})
    EXPECT_FALSE(parse(bad)) << bad;
}

TEST(Semver, PrecedenceFollowsTheSpec) {
  // semver.org section 11's example chain.
  const char* chain[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                         "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0"};
  for (size_t i = 0; i + 1 < std::size(chain); ++i) {
    EXPECT_LT(compare(v(chain[i]), v(chain[i + 1])), 0) << chain[i] << " < " << chain[i + 1];
    EXPECT_GT(compare(v(chain[i + 1]), v(chain[i])), 0);
  }
  EXPECT_EQ(compare(v("1.0.0+a"), v("1.0.0+b")), 0);
  EXPECT_EQ(compare(v("v1.0.0"), v("1.0.0")), 0);
}

TEST(Semver, ExpandsTags) {
  EXPECT_EQ(*expand_tags("1.2.3", false), (std::vector<std::string>{"1.2.3", "1.2", "1"}));
  EXPECT_EQ(*expand_tags("v4.0.10", true),
            (std::vector<std::string>{"4.0.10", "4.0", "4", "latest"}));
  EXPECT_EQ(*expand_tags("1.3.0-rc.1", true), (std::vector<std::string>{"1.3.0-rc.1"}));
  EXPECT_FALSE(expand_tags("1.2", false));
  auto build = expand_tags("1.2.3+git.abc", false);
  ASSERT_FALSE(build);
  EXPECT_NE(build.error().message().find("build metadata"), std::string::npos);
}

TEST(Semver, SortsTagsByVersionThenFloatingThenNames) {
  std::vector<std::string> tags = {"latest",     "1.10.0", "1",      "1.2",        "v1.2.3",
                                   "1.2.3",      "edge",   "1.2.10", "2.0.0-rc.1", "2.0.0",
                                   "1.2.3-beta", "0.9",    "2"};
  sort_tags(tags);
  EXPECT_EQ(tags, (std::vector<std::string>{"0.9", "1.2.3-beta", "1.2.3", "v1.2.3", "1.2.10", "1.2",
                                            "1.10.0", "1", "2.0.0-rc.1", "2.0.0", "2", "edge",
                                            "latest"}));
}

struct Case {
  const char* range;
  const char* version;
  bool match;
};

// From node-semver's range tests (test/fixtures/range-include.js and range-exclude.js).
TEST(SemverRange, MatchesAsNpmDoes) {
  const Case cases[] = {
      {"1.0.0 - 2.0.0", "1.2.3", true},
      {"1.0.0 - 2.0.0", "2.2.3", false},
      {"1.2.3 - 2.3", "2.3.9", true},
      {"1.2.3 - 2.3", "2.4.0", false},
      {"1.2 - 2", "2.9.9", true},
      {"1.2 - 2", "1.1.9", false},
      {"^1.2.3", "1.8.1", true},
      {"^1.2.3", "2.0.0", false},
      {"^1.2.3", "1.2.2", false},
      {"^0.1.2", "0.1.9", true},
      {"^0.1.2", "0.2.0", false},
      {"^0.0.3", "0.0.3", true},
      {"^0.0.3", "0.0.4", false},
      {"^0.0", "0.0.9", true},
      {"^0.0", "0.1.0", false},
      {"^0.x", "0.9.0", true},
      {"^1.x", "1.99.0", true},
      {"~1.2.3", "1.2.9", true},
      {"~1.2.3", "1.3.0", false},
      {"~1.2", "1.2.0", true},
      {"~1", "1.9.9", true},
      {"~1", "2.0.0", false},
      {"~>1.2", "1.2.5", true},
      {">=1.2 <2", "1.5.0", true},
      {">=1.2 <2", "2.0.0", false},
      {">= 1.2 < 2", "1.2.0", true},
      {">1.2", "1.2.9", false},
      {">1.2", "1.3.0", true},
      {"<1.2", "1.1.9", true},
      {"<1.2", "1.2.0", false},
      {"<=1.2", "1.2.9", true},
      {"<=1.2", "1.3.0", false},
      {"1.2.x", "1.2.7", true},
      {"1.x", "2.0.0", false},
      {"*", "9.9.9", true},
      {"", "1.0.0", true},
      {"=1.2.3", "1.2.3", true},
      {"1.2.3", "1.2.4", false},
      {"<1 || >=3", "3.1.0", true},
      {"<1 || >=3", "2.0.0", false},
      {"*", "1.0.0-rc.1", false},
      {"^1.2.3", "1.3.0-beta", false},
      {"^1.2.3-beta.2", "1.2.3-beta.4", true},
      {"^1.2.3-beta.2", "1.2.4-beta.2", false},
      {">=1.0.0-rc.1 <2", "1.0.0-rc.2", true},
      {"<2", "2.0.0-0", false},
      {"~1.2.3-beta.2", "1.2.3-beta.10", true},
  };
  for (const auto& c : cases) {
    auto r = Range::parse(c.range);
    ASSERT_TRUE(r) << c.range << ": " << r.error().message();
    EXPECT_EQ(r->matches(v(c.version)), c.match) << c.range << " vs " << c.version;
  }
}

TEST(SemverRange, RefusesWhatIsNotARange) {
  for (auto bad : {"1.2.3.4", ">>1", "=>1", "abc", "1.x.3", "^latest", "1.2.3 - "}) {
    auto r = Range::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code(), Errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace kiln::semver
