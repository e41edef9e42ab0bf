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

}  // namespace
}  // namespace kiln::scan
