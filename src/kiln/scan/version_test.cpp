#include "kiln/scan/version.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
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

// rpm's own rpmvercmp test table (tests/rpmvercmp.at), then epochs and releases.
TEST(RpmVersion, RpmvercmpTableEpochsAndReleases) {
  check(compare_rpm, {
                         {"1.0", "=", "1.0"},
                         {"1.0", "<", "2.0"},
                         {"2.0", "<", "2.0.1"},
                         {"2.0.1a", ">", "2.0.1"},
                         {"5.5p1", "<", "5.5p2"},
                         {"5.5p10", ">", "5.5p1"},
                         {"10xyz", "<", "10.1xyz"},
                         {"xyz10", "<", "xyz10.1"},
                         {"xyz.4", "<", "8"},
                         {"xyz.4", "<", "2"},
                         {"5.5p2", "<", "5.6p1"},
                         {"5.6p1", "<", "6.5p1"},
                         {"6.0.rc1", ">", "6.0"},
                         {"10b2", ">", "10a1"},
                         {"10a2", "<", "10b2"},
                         {"1.0aa", "=", "1.0aa"},
                         {"1.0a", "<", "1.0aa"},
                         {"10.0001", "=", "10.1"},
                         {"10.0001", "<", "10.0039"},
                         {"4.999.9", "<", "5.0"},
                         {"20101121", "<", "20101122"},
                         {"2_0", "=", "2.0"},
                         {"a+", "=", "a_"},
                         {"+a", "=", "_a"},
                         {"+_", "=", "_+"},
                         {"+", "=", "_"},
                         {"1.0~rc1", "<", "1.0"},
                         {"1.0~rc1", "<", "1.0~rc2"},
                         {"1.0~rc1~git123", "<", "1.0~rc1"},
                         {"1.0^", ">", "1.0"},
                         {"1.0^git1", ">", "1.0"},
                         {"1.0^git1", "<", "1.01"},
                         {"1.0^20160101", "<", "1.0.1"},
                         {"1.0^20160101^git1", ">", "1.0^20160101"},
                         {"1.0~rc1^git1", ">", "1.0~rc1"},
                         {"1.0^git1~pre", "<", "1.0^git1"},
                         // epoch:version-release
                         {"0:1.0-1", "=", "1.0-1"},
                         {"1:1.0-1", ">", "2.0-1"},
                         {"1.0-1", "<", "1.0-2"},
                         {"1.0-1.el8", "<", "1.0-1.el9"},
                         {"3.0.7-24.el9", "<", "3.0.7-25.el9_3"},
                         {"2.0-1", ">", "1.9-99"},
                         {"1.0", "<", "1.0-1"},                // no release sorts first
                         {"1.2.3-4.5-6", ">", "1.2.3-4.5-5"},  // the release starts at the last '-'
                     });
}

// Maven's ComparableVersionTest: each list in increasing order, then its equalities.
TEST(MavenVersion, ComparableVersionOrder) {
  const std::vector<std::vector<std::string>> orders = {
      {"1-alpha2snapshot",
       "1-alpha2",
       "1-alpha-123",
       "1-beta-2",
       "1-beta123",
       "1-m2",
       "1-m11",
       "1-rc",
       "1-cr2",
       "1-rc123",
       "1-SNAPSHOT",
       "1",
       "1-sp",
       "1-sp2",
       "1-sp123",
       "1-abc",
       "1-def",
       "1-pom-1",
       "1-1-snapshot",
       "1-1",
       "1-2",
       "1-123"},
      {"2.0",   "2-1",    "2.0.a",   "2.0.0.a", "2.0.2", "2.0.123", "2.1.0",  "2.1-a", "2.1b",
       "2.1-c", "2.1-1",  "2.1.0.1", "2.2",     "2.123", "11.a2",   "11.a11", "11.b2", "11.b11",
       "11.m2", "11.m11", "11",      "11.a",    "11b",   "11c",     "11m"},
  };
  std::vector<Case> cases;
  for (const auto& order : orders)
    for (size_t i = 0; i + 1 < order.size(); ++i) cases.push_back({order[i], "<", order[i + 1]});
  for (const auto& [a, b] :
       std::vector<std::pair<std::string, std::string>>{{"1", "1.0.0"},
                                                        {"1", "1-0"},
                                                        {"1", "1.0-0"},
                                                        {"1a", "1-a"},
                                                        {"1a", "1.0.0-a"},
                                                        {"1.0a", "1-a"},
                                                        {"1x", "1.0-x"},
                                                        {"1ga", "1"},
                                                        {"1release", "1"},
                                                        {"1final", "1"},
                                                        {"1.0-GA", "1"},
                                                        {"1cr", "1rc"},
                                                        {"1a1", "1-alpha-1"},
                                                        {"1b2", "1-beta-2"},
                                                        {"1m3", "1-milestone-3"},
                                                        {"1X", "1x"},
                                                        {"1A", "1a"},
                                                        {"1-0001", "1-1"},
                                                        {"2.0.0.RELEASE", "2"}})
    cases.push_back({a, "=", b});
  cases.push_back({"2.17.0", "<", "2.17.1"});  // log4j-core, as the advisories write it
  cases.push_back({"2.15.0", ">", "2.15.0-rc2"});
  cases.push_back({"5.3.18", "<", "5.3.20"});
  cases.push_back({std::string(300, '1'), "?", "1"});
  check_optional(compare_maven, cases);
}

// RubyGems' test_gem_version cases.
TEST(GemVersion, GemVersionOrder) {
  check_optional(compare_gem, {
                                  {"1.0", "=", "1.0.0"},
                                  {"1.0", "=", "1"},
                                  {"", "=", "0"},
                                  {" 1.2 ", "=", "1.2"},
                                  {"1.8.2", ">", "0.0.0"},
                                  {"1.8.2", ">", "1.8.2.a"},
                                  {"1.8.2.b", ">", "1.8.2.a"},
                                  {"1.8.2.a10", ">", "1.8.2.a9"},
                                  {"0.beta.1", "<", "0.0.beta.2"},
                                  {"0.0.beta", "<", "0.0.beta.1"},
                                  {"0.beta", "=", "0.0.beta"},
                                  {"5.a", "<", "5.0.0.rc2"},
                                  {"1.0.0-rc1", "<", "1.0.0"},
                                  {"1.0.0-rc1", "=", "1.0.0.pre.rc1"},
                                  {"1.0.0.rc1", "<", "1.0.0.rc10"},
                                  {"6.1.7.3", ">", "6.1.7.2"},
                                  {"6.1.7.3", "<", "6.1.7.10"},
                                  {"2.5.2", "<", "10.0"},
                                  {"junk", "?", "1"},
                                  {"1.0\n2.0", "?", "1"},
                                  {"1..2", "?", "1"},
                                  {"1.2 3.4", "?", "1"},
                                  {"1.", "?", "1"},
                                  {"1-", "?", "1"},
                              });
}

}  // namespace
}  // namespace kiln::scan
