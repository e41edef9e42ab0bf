#include "kiln/oci/env.hpp"

#include <gtest/gtest.h>

namespace kiln::oci {
namespace {

TEST(Env, MapReadsEntriesWithAndWithoutValues) {
  auto m = env_map({"PATH=/bin:/usr/bin", "EMPTY=", "BARE", "A=b=c", "PATH=/sbin"});
  EXPECT_EQ(m.at("PATH"), "/sbin");  // the later entry wins
  EXPECT_EQ(m.at("EMPTY"), "");
  EXPECT_EQ(m.at("BARE"), "");
  EXPECT_EQ(m.at("A"), "b=c");
  EXPECT_EQ(m.size(), 4u);
}

TEST(Env, SetReplacesInPlaceOrAppends) {
  ContainerConfig c;
  c.env = {"A=1", "B", "C=3"};
  set_env(c, "B", "2");  // a bare name is the same variable
  set_env(c, "A", "x=y");
  set_env(c, "D", "");
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=x=y", "B=2", "C=3", "D="}));
  set_env(c, "AB", "no");  // a prefix of another name is a different variable
  EXPECT_EQ(c.env.back(), "AB=no");
  EXPECT_EQ(c.env.front(), "A=x=y");
}

}  // namespace
}  // namespace kiln::oci
