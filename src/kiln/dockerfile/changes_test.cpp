#include <gtest/gtest.h>

#include "kiln/dockerfile/changes.hpp"

namespace kiln::dockerfile {
namespace {

TEST(Changes, AppliesDockerInstructions) {
  oci::ContainerConfig c;
  for (const char* ch :
       {R"(CMD ["/bin/sh", "-c", "echo hi"])", "ENTRYPOINT /entry.sh --flag",
        R"(ENV A=1 B="two words")", "ENV LEGACY value with spaces", "ENV A=3",
        R"(LABEL "com.example.x"=y z=1)", "EXPOSE 80 53/udp 80/tcp", R"(VOLUME ["/data", "/logs"])",
        "USER app:app", "WORKDIR /srv", "WORKDIR sub", "STOPSIGNAL SIGINT", "ONBUILD RUN make"})
    ASSERT_TRUE(apply_change(c, ch)) << ch;
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/entry.sh --flag"}));
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=3", "B=two words", "LEGACY=value with spaces"}));
  EXPECT_EQ(c.labels.at("com.example.x"), "y");
  EXPECT_EQ(c.exposed_ports, (std::vector<std::string>{"53/udp", "80/tcp"}));
  EXPECT_EQ(c.volumes, (std::vector<std::string>{"/data", "/logs"}));
  EXPECT_EQ(c.user, "app:app");
  EXPECT_EQ(c.working_dir, "/srv/sub");
  EXPECT_EQ(c.stop_signal, "SIGINT");
  EXPECT_EQ(*c.on_build, std::vector<std::string>{"RUN make"});
}

TEST(Changes, RejectsWithReasons) {
  oci::ContainerConfig c;
  EXPECT_EQ(apply_change(c, "RUN make").error().message(),
            "change \"RUN make\": \"RUN\" cannot be changed here (allowed: CMD, ENTRYPOINT, ENV, "
            "EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)");
  EXPECT_EQ(apply_change(c, "EXPOSE 99999").error().message(),
            "change \"EXPOSE 99999\": invalid port \"99999\"");
  // The Dockerfile parser's and lexer's own messages, as BuildKit words them.
  EXPECT_EQ(apply_change(c, "ENV =x").error().message(),
            "change \"ENV =x\": ENV names can not be blank");
  EXPECT_EQ(apply_change(c, "ENV A=\"x").error().message(),
            "change \"ENV A=\"x\": failed to process \"\\\"x\": unexpected end of statement while "
            "looking for matching double-quote");
  EXPECT_EQ(apply_change(c, "").error().message(), "empty change instruction");
  EXPECT_EQ(apply_change(c, "LABEL").error().message(),
            "change \"LABEL\": LABEL requires at least one argument");
}

TEST(Changes, FollowTheDockerfilesRules) {
  oci::ContainerConfig c;
  c.env = {"APP=/srv/app"};
  ASSERT_TRUE(apply_change(c, "WORKDIR $APP"));
  EXPECT_EQ(c.working_dir, "/srv/app") << "variables expand against the config's Env";
  ASSERT_TRUE(apply_change(c, R"(ENV DIR="${APP}/data" 'Q'='single $APP')"));
  EXPECT_EQ(c.env,
            (std::vector<std::string>{"APP=/srv/app", "DIR=/srv/app/data", "Q=single $APP"}));
  ASSERT_TRUE(apply_change(c, "USER a b"));
  EXPECT_EQ(c.user, "a b") << "USER takes the rest of the line, as in a Dockerfile";
  ASSERT_TRUE(apply_change(c, R"(CMD ["echo", "$APP"])"));
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"echo", "$APP"})) << "exec form is not expanded";
  ASSERT_TRUE(apply_change(c, "ENTRYPOINT []"));
  EXPECT_FALSE(c.entrypoint) << "an empty exec-form ENTRYPOINT clears it";
  ASSERT_TRUE(apply_change(c, R"(CMD [ "not json)"));
  EXPECT_EQ(*c.cmd, (std::vector<std::string>{"/bin/sh", "-c", R"([ "not json)"}))
      << "what is not a JSON array is shell form";
}

}  // namespace
}  // namespace kiln::dockerfile
