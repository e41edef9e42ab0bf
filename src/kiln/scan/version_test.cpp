#include "kiln/scan/version.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kiln::scan {
namespace {

struct Case {
  std::string a, op, b;
};

void check(int (*cmp)(std::string_view, std::string_view), const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    int want = c.op == "<" ? -1 : c.op == ">" ? 1 : 0;
    int got = cmp(c.a, c.b);
    got = got < 0 ? -1 : got > 0 ? 1 : 0;
    EXPECT_EQ(got, want) << c.a << " " << c.op << " " << c.b;
    int back = cmp(c.b, c.a);
    back = back < 0 ? -1 : back > 0 ? 1 : 0;
    EXPECT_EQ(back, -want) << "reversed: " << c.b << " vs " << c.a;
  }
}

TEST(DebVersion, EpochsTildesRevisionsAndNumbers) {
  check(compare_deb, {
                         {"1.0", "=", "1.0"},
                         {"1.0", "=", "1.0-0"},  // no revision is revision 0
                         {"0:1.0", "=", "1.0"},  // no epoch is epoch 0
                         {"1:0.1", ">", "9.9"},  // the epoch decides first
                         {"2:1.0", ">", "1:9.0"},
                         {"1.0~rc1", "<", "1.0"},  // '~' sorts before the end
                         {"1.0~rc1", "<", "1.0~rc2"},
                         {"1.0~~", "<", "1.0~"},
                         {"1.0~", "<", "1.0"},
                         {"1.0", "<", "1.0a"},   // more text is newer...
                         {"1.0a", "<", "1.0+"},  // ...letters before other characters
                         {"1.0+deb12u1", "<", "1.0+deb12u2"},
                         {"3.0.11-1~deb12u2", "<", "3.0.11-1"},
                         {"3.0.11-1~deb12u2", "<", "3.0.13-1~deb12u1"},
                         {"2.36-9+deb12u4", "<", "2.36-9+deb12u10"},  // numbers, not strings
                         {"1.010", "=", "1.10"},                      // leading zeros do not count
                         {"1.2.3", "<", "1.10"},
                         {"7.88.1-10+deb12u5", ">", "7.88.1-10"},
                         {"1.0-1", "<", "1.0-1.1"},
                         {"1.0-1", "<", "1.0-1a"},
                         {"1.0-1-2", ">", "1.0-1"},  // the revision starts at the last '-'
                         {"1.0.0", ">", "1.0"},
                         {"a", "<", "b"},
                         {"9", "<", "10"},
                         {"1.0-a", "<", "1.0-b"},
                     });
}

TEST(ApkVersion, SuffixesRevisionsAndFractions) {
  check(compare_apk, {
                         {"1.2.3", "=", "1.2.3"},
                         {"1.2.3-r0", "<", "1.2.3-r1"},
                         {"1.2.3", "<", "1.2.3-r1"},
                         {"1.2.3-r10", ">", "1.2.3-r9"},
                         {"1.2.10", ">", "1.2.9"},
                         {"1.2", "<", "1.2.1"},
                         {"1.2_alpha", "<", "1.2"},  // pre-release suffixes come before
                         {"1.2_alpha", "<", "1.2_beta"},
                         {"1.2_beta", "<", "1.2_pre"},
                         {"1.2_pre", "<", "1.2_rc"},
                         {"1.2_rc3", "<", "1.2"},
                         {"1.2_rc3", "<", "1.2_rc10"},
                         {"1.2_p1", ">", "1.2"},  // post-release ones after
                         {"1.2_p10", ">", "1.2_p9"},
                         {"1.2_git20240101", ">", "1.2"},
                         {"1.2_cvs", "<", "1.2_svn"},
                         {"1.2_hg", "<", "1.2_p"},
                         {"1.2_alpha_pre2", "<", "1.2_alpha"},
                         {"1.2a", ">", "1.2"},  // a letter after the digits
                         {"1.2a", "<", "1.2b"},
                         {"1.2b", "<", "1.3"},
                         {"1.02", "<", "1.1"},    // leading zero: a fraction
                         {"1.02", ">", "1.002"},  // more zeros, smaller
                         {"1.002", ">", "1.0002"},
                         {"1.0", ">", "1.002"},
                         {"2.4.58-r0", ">", "2.4.57-r2"},
                         {"1.2.4_git20230717-r4", ">", "1.2.4-r4"},
                         {"3.1.4-r5", "<", "3.3.0-r0"},
                         {"20230101", ">", "1.0"},
                         {"1.0_pre20191002222144", "<", "1.0_pre20210530193627"},  // wide numbers
                     });
}

void check_optional(std::optional<int> (*cmp)(std::string_view, std::string_view),
                    const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    auto got = cmp(c.a, c.b), back = cmp(c.b, c.a);
    if (c.op == "?") {  // not a version of the scheme: no order
      EXPECT_FALSE(got) << c.a << " vs " << c.b;
      EXPECT_FALSE(back) << c.b << " vs " << c.a;
      continue;
    }
    ASSERT_TRUE(got && back) << c.a << " vs " << c.b;
    int want = c.op == "<" ? -1 : c.op == ">" ? 1 : 0;
    EXPECT_EQ(*got < 0 ? -1 : *got > 0 ? 1 : 0, want) << c.a << " " << c.op << " " << c.b;
    EXPECT_EQ(*back < 0 ? -1 : *back > 0 ? 1 : 0, -want) << "reversed: " << c.b << " vs " << c.a;
  }
}

// PEP 440's own examples of the order, and its normalisations.
TEST(Pep440Version, OrderAndNormalisation) {
  check_optional(compare_pep440,
                 {
                     {"1.0", "=", "1.0.0"},
                     {"1.0", "=", "v1.0"},
                     {"1.0.dev456", "<", "1.0a1"},
                     {"1.0a1", "<", "1.0a2.dev456"},
                     {"1.0a2.dev456", "<", "1.0a12.dev456"},
                     {"1.0a12.dev456", "<", "1.0a12"},
                     {"1.0a12", "<", "1.0b1.dev456"},
                     {"1.0b1.dev456", "<", "1.0b2"},
                     {"1.0b2", "<", "1.0b2.post345.dev456"},
                     {"1.0b2.post345.dev456", "<", "1.0b2.post345"},
                     {"1.0b2.post345", "<", "1.0rc1.dev456"},
                     {"1.0rc1.dev456", "<", "1.0rc1"},
                     {"1.0rc1", "<", "1.0"},
                     {"1.0", "<", "1.0+abc.5"},
                     {"1.0+abc.5", "<", "1.0+abc.7"},
                     {"1.0+abc.7", "<", "1.0+5"},  // numeric local after alpha
                     {"1.0+5", "<", "1.0.post456.dev34"},
                     {"1.0.post456.dev34", "<", "1.0.post456"},
                     {"1.0.post456", "<", "1.1.dev1"},
                     {"1!0.1", ">", "2.0"},  // epochs first
                     {"1.0alpha1", "=", "1.0a1"},
                     {"1.0-beta.2", "=", "1.0b2"},
                     {"1.0c1", "=", "1.0rc1"},
                     {"1.0pre1", "=", "1.0rc1"},
                     {"1.0-1", "=", "1.0.post1"},
                     {"1.0rev1", "=", "1.0.post1"},
                     {"1.0.DEV1", "=", "1.0.dev1"},
                     {"1.0a", "=", "1.0a0"},
                     {"2.10", ">", "2.9"},
                     {"2.0.0.0.1", ">", "2"},
                     {"99999999999999999999999.1", ">", "99999999999999999999998.9"},
                     {"1.0-foo", "?", "1.0"},  // legacy, not PEP 440
                     {"", "?", "1.0"},
                 });
}

TEST(SemverVersion, PrecedenceAsSemver2Says) {
  check_optional(compare_semver, {
                                     {"1.0.0", "<", "2.0.0"},
                                     {"2.0.0", "<", "2.1.0"},
                                     {"2.1.0", "<", "2.1.1"},
                                     {"1.0.0-alpha", "<", "1.0.0-alpha.1"},
                                     {"1.0.0-alpha.1", "<", "1.0.0-alpha.beta"},
                                     {"1.0.0-alpha.beta", "<", "1.0.0-beta"},
                                     {"1.0.0-beta", "<", "1.0.0-beta.2"},
                                     {"1.0.0-beta.2", "<", "1.0.0-beta.11"},
                                     {"1.0.0-beta.11", "<", "1.0.0-rc.1"},
                                     {"1.0.0-rc.1", "<", "1.0.0"},
                                     {"1.0.0+build.1", "=", "1.0.0+build.2"},  // build ignored
                                     {"v1.2.3", "=", "1.2.3"},
                                     {"=1.2.3", "=", "1.2.3"},
                                     {"1.0", "=", "1.0.0"},  // OSV records' short forms
                                     {"4.17.21", ">", "4.17.4"},
                                     {"5.0.0-alpha.1", "<", "5.0.0-beta.3"},
                                     {"10.0.0", ">", "9.99.99"},
                                     {"1.0.0-x..y", "?", "1.0.0"},  // empty identifier
                                     {"1.2.3.4", "?", "1.2.3"},
                                     {"latest", "?", "1.0.0"},
                                 });
}

}  // namespace
}  // namespace kiln::scan
