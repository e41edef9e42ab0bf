#include <gtest/gtest.h>

#include "kiln/container/run.hpp"

namespace kiln::container {
namespace {

using V = std::vector<std::string>;

TEST(RunCommand, CombinesEntrypointAndCmdAsDockerDoes) {
  oci::ContainerConfig c;
  c.entrypoint = V{"/entry", "-x"};
  c.cmd = V{"default"};
  RunOptions o;
  EXPECT_EQ(*effective_command(c, o), (V{"/entry", "-x", "default"}));
  o.args = {"mine"};
  EXPECT_EQ(*effective_command(c, o), (V{"/entry", "-x", "mine"}));
  o.args.clear();
  o.entrypoint = "/other";  // resets the image's Cmd
  EXPECT_EQ(*effective_command(c, o), (V{"/other"}));
  o.entrypoint = "";
  o.args = {"sh"};
  EXPECT_EQ(*effective_command(c, o), (V{"sh"}));
  oci::ContainerConfig empty;
  auto none = effective_command(empty, RunOptions{});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no command specified"), std::string::npos);
}

TEST(RunEnv, ImageEnvThenFlagsLaterWins) {
  oci::ContainerConfig c;
  c.env = {"A=1", "B=2"};
  RunOptions o;
  o.env = {"B=3", "C=4"};
  o.tty = true;
  auto env = effective_env(c, o, "host1");
  ASSERT_TRUE(env);
  auto has = [&](std::string_view kv) {
    return std::find(env->begin(), env->end(), kv) != env->end();
  };
  EXPECT_TRUE(has("A=1"));
  EXPECT_TRUE(has("B=3"));
  EXPECT_FALSE(has("B=2"));
  EXPECT_TRUE(has("C=4"));
  EXPECT_TRUE(has("HOSTNAME=host1"));
  EXPECT_TRUE(has("TERM=xterm"));
  EXPECT_TRUE(env->front().starts_with("PATH="));  // the image had none
  o.env = {"=x"};
  EXPECT_FALSE(effective_env(c, o, "h"));
}

TEST(RunVolume, ParsesAndRejects) {
  auto v = parse_volume("/tmp:/data:ro");
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->source, "/tmp");
  EXPECT_EQ(v->target, "/data");
  EXPECT_TRUE(v->readonly);
  for (const char* bad : {"/tmp", "rel:/data", "/tmp:data", "/tmp:/data:xx", "/tmp:/",
                          "/tmp:/a/../../b", "a:b:c:d"}) {
    auto r = parse_volume(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Errc::invalid_argument) << bad;
    EXPECT_NE(r.error().message().find("invalid volume specification"), std::string::npos);
  }
}

}  // namespace
}  // namespace kiln::container
