#include "kiln/digest/digest.hpp"

#include <gtest/gtest.h>

namespace kiln {
namespace {

const std::string k_empty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, ParsesAndPrints) {
  auto d = Digest::parse(k_empty);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->str(), k_empty);
  EXPECT_EQ(d->short_hex(), "e3b0c44298fc");
  EXPECT_EQ(fmt::format("{}", *d), k_empty);
}

TEST(Digest, HashesKnownVectors) {
  EXPECT_EQ(Digest::of("").str(), k_empty);
  EXPECT_EQ(Digest::of("abc").str(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.finish(), Digest::of("abc"));
  EXPECT_EQ(h.finish().str(), k_empty) << "finish() resets the hasher";
}

struct BadDigest {
  std::string input, message;
  Errc code;
};
void PrintTo(const BadDigest& v, std::ostream* os) {
  *os << v.input.substr(0, 40);
}

class DigestRejects : public ::testing::TestWithParam<BadDigest> {};

TEST_P(DigestRejects, WithExactMessage) {
  auto d = Digest::parse(GetParam().input);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), GetParam().message);
  EXPECT_EQ(d.error().code(), GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(
    All, DigestRejects,
    ::testing::Values(
        BadDigest{"e3b0", "invalid digest \"e3b0\": missing algorithm prefix",
                  Errc::invalid_argument},
        BadDigest{"sha256:", "invalid digest \"sha256:\": empty encoded part",
                  Errc::invalid_argument},
        BadDigest{"SHA256:abc", "invalid digest \"SHA256:abc\": malformed algorithm",
                  Errc::invalid_argument},
        BadDigest{"sha256:abc",
                  "invalid digest \"sha256:abc\": sha256 needs 64 hex characters, got 3",
                  Errc::invalid_argument},
        BadDigest{"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                  "invalid digest "
                  "\"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\": "
                  "sha256 hex must be lowercase [0-9a-f]",
                  Errc::invalid_argument},
        BadDigest{
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "unsupported digest algorithm \"md5\" in \"md5:d41d8cd98f00b204e9800998ecf8427e\"",
            Errc::unsupported},
        BadDigest{"sha256:e3b0/", "invalid digest \"sha256:e3b0/\": bad character in encoded part",
                  Errc::invalid_argument},
        BadDigest{"sha256+-x:abc", "invalid digest \"sha256+-x:abc\": malformed algorithm",
                  Errc::invalid_argument}));

}  // namespace
}  // namespace kiln
