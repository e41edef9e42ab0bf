#include "kiln/scan/cvss.hpp"

#include <gtest/gtest.h>

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
