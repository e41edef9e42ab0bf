#include "kiln/oci/reference.hpp"

#include <gtest/gtest.h>

#include "kiln/oci/platform.hpp"

namespace kiln::oci {
namespace {

struct Good {
  std::string input, full, familiar;
};
void PrintTo(const Good& v, std::ostream* os) {
  *os << v.input.substr(0, 40);
}

class RefParses : public ::testing::TestWithParam<Good> {};

TEST_P(RefParses, Normalises) {
  auto r = Reference::parse(GetParam().input);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->str(), GetParam().full);
  EXPECT_EQ(r->familiar(), GetParam().familiar);
}

const std::string H = std::string(64, 'c');

INSTANTIATE_TEST_SUITE_P(
    All, RefParses,
    ::testing::Values(
        Good{"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
        Good{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
        Good{"user/app", "docker.io/user/app:latest", "user/app:latest"},
        Good{"index.docker.io/library/x", "docker.io/library/x:latest", "x:latest"},
        Good{"docker.io/library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"},
        Good{"localhost/x", "localhost/x:latest", "localhost/x:latest"},
        Good{"localhost:5000/x/y:t", "localhost:5000/x/y:t", "localhost:5000/x/y:t"},
        Good{"Registry.Example.com:443/a_b/c__d/e-f--g.h:V1.0_x",
             "Registry.Example.com:443/a_b/c__d/e-f--g.h:V1.0_x",
             "Registry.Example.com:443/a_b/c__d/e-f--g.h:V1.0_x"},
        Good{"[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest"},
        Good{"[fe80::1]/x:1", "[fe80::1]/x:1", "[fe80::1]/x:1"},
        Good{"ghcr.io/o/r@sha256:" + H, "ghcr.io/o/r@sha256:" + H, "ghcr.io/o/r@sha256:" + H},
        Good{"x:t@sha256:" + H, "docker.io/library/x:t@sha256:" + H, "x:t@sha256:" + H}));

struct BadRef {
  std::string input, message;
};
void PrintTo(const BadRef& v, std::ostream* os) {
  *os << v.input.substr(0, 40);
}

class RefRejects : public ::testing::TestWithParam<BadRef> {};

TEST_P(RefRejects, WithExactMessage) {
  auto r = Reference::parse(GetParam().input);
  ASSERT_FALSE(r) << r->str();
  EXPECT_EQ(r.error().message(), GetParam().message);
  EXPECT_EQ(r.error().code(), Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(
    All, RefRejects,
    ::testing::Values(
        BadRef{"", "invalid reference: empty"},
        BadRef{"Busybox", "invalid reference \"Busybox\": repository name must be lowercase"},
        BadRef{"docker.io/User/app",
               "invalid reference \"docker.io/User/app\": repository name must be lowercase"},
        BadRef{"x:",
               "invalid reference \"x:\": bad tag \"\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"},
        BadRef{"x:-bad",
               "invalid reference \"x:-bad\": bad tag \"-bad\" (want "
               "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"},
        BadRef{"x:" + std::string(129, 'a'), "invalid reference \"x:" + std::string(129, 'a') +
                                                 "\": bad tag \"" + std::string(129, 'a') +
                                                 "\" (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"},
        BadRef{"a..b",
               "invalid reference \"a..b\": bad path component \"a..b\" (want lowercase letters, "
               "digits and single separators . _ __ -)"},
        BadRef{"a/_b",
               "invalid reference \"a/_b\": bad path component \"_b\" (want lowercase letters, "
               "digits and single separators . _ __ -)"},
        BadRef{"a___b",
               "invalid reference \"a___b\": bad path component \"a___b\" (want lowercase letters, "
               "digits and single separators . _ __ -)"},
        BadRef{"host:port/x", "invalid reference \"host:port/x\": port \"port\" is not a number"},
        BadRef{"-host.com/x", "invalid reference \"-host.com/x\": bad registry host \"-host.com\""},
        BadRef{"[zz::1]/x", "invalid reference \"[zz::1]/x\": bad IPv6 host \"[zz::1]\""},
        BadRef{"x@sha256:abc",
               "invalid reference \"x@sha256:abc\": invalid digest \"sha256:abc\": sha256 needs 64 "
               "hex characters, got 3"},
        BadRef{H, "invalid reference \"" + H + "\": cannot specify 64-byte hexadecimal strings"},
        BadRef{"example.com/", "invalid reference \"example.com/\": empty repository path"},
        BadRef{"example.com/" + std::string(250, 'a'),
               "invalid reference \"example.com/" + std::string(52, 'a') +
                   "\": repository name must not be more than 255 characters"}));

TEST(Reference, IdDetection) {
  EXPECT_TRUE(looks_like_id("abc123"));
  EXPECT_TRUE(looks_like_id("sha256:abc"));
  EXPECT_FALSE(looks_like_id("busybox"));
  EXPECT_FALSE(looks_like_id(std::string(65, 'a')));
}

TEST(Platform, ParsesAndNormalises) {
  auto p = parse_platform("linux/x86_64");
  ASSERT_TRUE(p);
  EXPECT_EQ(platform_string(*p), "linux/amd64");
  EXPECT_EQ(platform_string(*parse_platform("linux/arm64/v8")), "linux/arm64");
  EXPECT_EQ(platform_string(*parse_platform("linux/aarch64")), "linux/arm64");
  EXPECT_EQ(platform_string(*parse_platform("linux/arm")), "linux/arm/v7");
  EXPECT_EQ(platform_string(*parse_platform("linux/armhf")), "linux/arm/v7");
  EXPECT_EQ(platform_string(*parse_platform("linux/arm/6")), "linux/arm/v6");
  EXPECT_EQ(platform_string(*parse_platform("linux/i386")), "linux/386");
  EXPECT_EQ(platform_string(*parse_platform("arm64")), "linux/arm64");
  EXPECT_EQ(parse_platform("linux/amd64/v1/x").error().message(),
            "invalid platform \"linux/amd64/v1/x\": want os/arch[/variant], e.g. linux/amd64");
  EXPECT_EQ(parse_platform("plan10/amd64").error().message(),
            "invalid platform \"plan10/amd64\": unknown operating system \"plan10\"");
  EXPECT_EQ(parse_platform("linux/AMD 64").error().message(),
            "invalid platform \"linux/AMD 64\": want os/arch[/variant], e.g. linux/amd64");
}

TEST(Platform, Matches) {
  EXPECT_TRUE(
      platform_matches(*parse_platform("linux/arm64"), *parse_platform("linux/aarch64/v8")));
  EXPECT_TRUE(platform_matches(*parse_platform("linux/arm"), *parse_platform("linux/arm/v7")));
  EXPECT_FALSE(platform_matches(*parse_platform("linux/arm/v6"), *parse_platform("linux/arm/v7")));
  EXPECT_FALSE(platform_matches(*parse_platform("linux/amd64"), *parse_platform("linux/arm64")));
  EXPECT_FALSE(host_platform().architecture.empty());
}

}  // namespace
}  // namespace kiln::oci
