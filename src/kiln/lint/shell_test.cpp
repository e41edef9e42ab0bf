#include "kiln/lint/shell.hpp"

#include <gtest/gtest.h>

namespace kiln::lint {
namespace {

std::vector<std::string> texts(const SimpleCommand& c) {
  std::vector<std::string> out;
  for (const auto& w : c.words) out.push_back(w.text);
  return out;
}

TEST(LintShell, SplitsOnOperatorsAndKeepsOffsets) {
  auto cmds = split_commands("apt-get update && apt-get install -y 'a b' c\\ d | tee log; echo x");
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(texts(cmds[0]), (std::vector<std::string>{"apt-get", "update"}));
  EXPECT_EQ(cmds[1].joined_by, "&&");
  EXPECT_EQ(texts(cmds[1]), (std::vector<std::string>{"apt-get", "install", "-y", "a b", "c d"}));
  EXPECT_EQ(cmds[1].words[3].offset, 37u);  // the opening quote
  EXPECT_EQ(cmds[2].joined_by, "|");
  EXPECT_EQ(cmds[3].joined_by, ";");
  EXPECT_EQ(cmds[3].name(), "echo");
}

TEST(LintShell, SkipsAssignmentsWrappersRedirectionsAndComments) {
  auto cmds = split_commands(
      "DEBIAN_FRONTEND=noninteractive sudo -u app env A=1 apt-get install x >/dev/null 2>&1 "
      "# trailing\nif true; then npm ci; fi");
  ASSERT_EQ(cmds.size(), 4u);
  EXPECT_EQ(cmds[0].name(), "apt-get");
  EXPECT_EQ(cmds[0].words[0].text, "sudo");
  ASSERT_EQ(cmds[0].args().size(), 2u);
  EXPECT_EQ(cmds[0].args()[1].text, "x");
  EXPECT_EQ(cmds[1].name(), "true");
  EXPECT_EQ(cmds[1].joined_by, "\n");
  EXPECT_EQ(cmds[2].name(), "npm");
  EXPECT_TRUE(cmds[3].words.empty() || cmds[3].name().empty());
}

TEST(LintShell, SubstitutionsStayInOneWord) {
  auto cmds = split_commands("echo \"$(ls | wc -l)\" ${A:-x y} `date`|| true");
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(texts(cmds[0]),
            (std::vector<std::string>{"echo", "$(ls | wc -l)", "${A:-x y}", "`date`"}));
  EXPECT_EQ(cmds[1].joined_by, "||");
}

TEST(LintShell, UnterminatedQuotesDoNotCrash) {
  for (std::string_view s : {"echo 'abc", "echo \"abc", "echo $(abc", "echo `x", "a \\", "|", ">"})
    (void)split_commands(s);
  EXPECT_EQ(base_name("/usr/bin/apt-get"), "apt-get");
}

}  // namespace
}  // namespace kiln::lint
