#include "kiln/base/strings.hpp"

#include <gtest/gtest.h>

#include "kiln/base/error.hpp"

namespace kiln {
namespace {

TEST(Strings, HumanSizeMatchesDocker) {
  EXPECT_EQ(human_size(0), "0B");
  EXPECT_EQ(human_size(999), "999B");
  EXPECT_EQ(human_size(1000), "1kB");
  EXPECT_EQ(human_size(2126336), "2.13MB");
  EXPECT_EQ(human_size(1500000000), "1.5GB");
}

TEST(Strings, HumanAgo) {
  EXPECT_EQ(human_ago(100, 100), "Less than a second ago");
  EXPECT_EQ(human_ago(0, 1), "1 second ago");
  EXPECT_EQ(human_ago(0, 45), "45 seconds ago");
  EXPECT_EQ(human_ago(0, 90), "About a minute ago");
  EXPECT_EQ(human_ago(0, 600), "10 minutes ago");
  EXPECT_EQ(human_ago(0, 3600), "About an hour ago");
  EXPECT_EQ(human_ago(0, 5 * 3600), "5 hours ago");
  EXPECT_EQ(human_ago(0, 3 * 86400), "3 days ago");
  EXPECT_EQ(human_ago(0, 21 * 86400), "3 weeks ago");
  EXPECT_EQ(human_ago(0, 90 * 86400), "3 months ago");
  EXPECT_EQ(human_ago(0, 800 * 86400), "2 years ago");
}

TEST(Strings, Rfc3339RoundTrip) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(1700000000, 120000000), "2023-11-14T22:13:20.12Z");
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.12Z"), 1700000000);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20+01:00"), 1700000000);
  EXPECT_FALSE(parse_rfc3339("2023-11-14"));
  EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20"));
}

TEST(Strings, SplitJoinTrim) {
  EXPECT_EQ(split("a/b//c", '/'), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(join({"a", "b"}, ", "), "a, b");
  EXPECT_EQ(trim("  x y \t\n"), "x y");
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_FALSE(parse_int("4x"));
  EXPECT_EQ(parse_byte_size("512"), 512);
  EXPECT_EQ(parse_byte_size("64k"), 64 << 10);
  EXPECT_EQ(parse_byte_size("10MB"), 10 << 20);
  EXPECT_EQ(parse_byte_size("64G"), int64_t{64} << 30);
  EXPECT_EQ(parse_byte_size("1t"), int64_t{1} << 40);
  EXPECT_EQ(parse_byte_size("0"), 0);
  EXPECT_FALSE(parse_byte_size("lots"));
  EXPECT_FALSE(parse_byte_size("-1G"));
  EXPECT_FALSE(parse_byte_size("99999999999T"));
  EXPECT_EQ(short_id("sha256:0123456789abcdef"), "0123456789ab");
}

TEST(Error, ContextAndErrno) {
  Error e(Errc::corrupt, "sha256 mismatch");
  e.context("layer 3").context("load x.tar");
  EXPECT_EQ(e.message(), "load x.tar: layer 3: sha256 mismatch");
  EXPECT_EQ(errno_error("write f", ENOSPC).code(), Errc::no_space);
  EXPECT_EQ(errno_error("open f", ENOENT).message(), "open f: No such file or directory");
}

Result<int> half(int x) {
  if (x % 2) return failf(Errc::invalid_argument, "{} is odd", x);
  return x / 2;
}

Result<int> quarter(int x) {
  int h = KILN_TRY_CTX(half(x), "first half");
  return KILN_TRY(half(h));
}

TEST(Error, TryPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).error().message(), "3 is odd");
  EXPECT_EQ(quarter(5).error().message(), "first half: 5 is odd");
}

}  // namespace
}  // namespace kiln
