#include "kiln/scan/cvss.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

namespace kiln::scan {
namespace {

double score(std::string_view v) {
  auto s = cvss3_base(v);
  return s ? s->score : -1;
}

// Scores as FIRST's calculator gives them.
TEST(Cvss, V31BaseScores) {
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"), 10.0);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"), 5.3);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"), 5.5);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), 6.1);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N"), 3.1);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N"), 3.8);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), 7.5);
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N"), 0.0);
  EXPECT_EQ(cvss3_base("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")->rating, "CRITICAL");
  EXPECT_EQ(cvss3_base("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L")->rating, "MEDIUM");
  EXPECT_EQ(cvss3_base("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N")->rating, "NONE");
}

TEST(Cvss, V30RoundsUpPlainly) {
  EXPECT_DOUBLE_EQ(score("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N"), 6.4);
  EXPECT_DOUBLE_EQ(score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), 9.8);
}

TEST(Cvss, TemporalMetricsDoNotChangeTheBaseScore) {
  EXPECT_DOUBLE_EQ(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C"), 9.8);
}

TEST(Cvss, InvalidVectors) {
  EXPECT_FALSE(cvss3_base(""));
  EXPECT_FALSE(cvss3_base("AV:N/AC:L/Au:N/C:P/I:P/A:P"));                         // v2
  EXPECT_FALSE(cvss3_base("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H"));   // v4
  EXPECT_FALSE(cvss3_base("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"));           // no A
  EXPECT_FALSE(cvss3_base("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));       // bad value
  EXPECT_FALSE(cvss3_base("CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));  // twice
  EXPECT_FALSE(cvss3_base("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:Q/C:H/I:H/A:H"));       // scope
}

}  // namespace
}  // namespace kiln::scan

namespace kiln::scan {
namespace {

TEST(Cvss4, KnownScores) {
  auto s = cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->score, 9.3);
  EXPECT_EQ(s->rating, "CRITICAL");
  s = cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->score, 0);
  EXPECT_EQ(s->rating, "NONE");
  // Supplemental metrics do not change the score.
  s = cvss4_score(
      "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/U:Amber");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->score, 9.3);
}

TEST(Cvss4, InvalidVectors) {
  for (const char* v :
       {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",                          // not 4.0
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",            // no SA
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:S",       // S only in MSA
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AV:L",  // AV twice
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:X",  // unknown
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Pink",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/", "CVSS:4.0/AVN",
        "CVSS:4.0/"})
    EXPECT_FALSE(cvss4_score(v)) << v;
}

// tests/data/cvss4/golden.txt: 5,000 vectors (base only, and with threat and environmental
// metrics) scored by an independent calculator, the npm package ae-cvss-calculator
// (tests/tools/cvss4_golden.cjs made it; tests/test_cvss4_oracle.sh checks it still does).
TEST(Cvss4, AgreesWithAnIndependentCalculator) {
  std::ifstream in(KILN_SOURCE_DIR "/tests/data/cvss4/golden.txt");
  ASSERT_TRUE(in) << "tests/data/cvss4/golden.txt";
  std::string line;
  int n = 0, wrong = 0;
  while (std::getline(in, line)) {
    auto sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    std::string vector = line.substr(0, sp);
    double want = std::stod(line.substr(sp + 1));
    auto got = cvss4_score(vector);
    ++n;
    if (!got || std::abs(got->score - want) > 1e-9) {
      if (++wrong <= 10)
        ADD_FAILURE() << vector << ": want " << want << ", got " << (got ? got->score : -1);
    }
  }
  EXPECT_EQ(n, 5001);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace kiln::scan
