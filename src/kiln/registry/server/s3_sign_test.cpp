// SigV4 against the worked examples in AWS's S3 documentation ("Examples: Signature
// Calculations in AWS Signature Version 4", header-based and query-string authentication).
#include <gtest/gtest.h>

#include "kiln/registry/server/s3_sign.hpp"

namespace kiln::registry::server {
namespace {

const S3Credentials kCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                           "us-east-1"};
constexpr std::time_t kNow = 1369353600;  // 2013-05-24T00:00:00Z
const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string signature_of(const std::vector<std::pair<std::string, std::string>>& h) {
  for (const auto& [k, v] : h)
    if (k == "Authorization") return v.substr(v.find("Signature=") + 10);
  return {};
}

TEST(S3Sign, GetObjectWithRange) {
  S3SignInput in{"GET",   "examplebucket.s3.amazonaws.com", "/test.txt",
                 nullptr, {{"Range", "bytes=0-9"}},         kEmpty,
                 kNow};
  auto h = s3_sign(kCreds, in);
  EXPECT_EQ(signature_of(h), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_NE(h[2].second.find("Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
                             "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"),
            std::string::npos)
      << h[2].second;
  EXPECT_EQ(h[0].second, "20130524T000000Z");
}

TEST(S3Sign, ListObjectsSortsTheQuery) {
  QueryParams q{{"prefix", "J"}, {"max-keys", "2"}};
  S3SignInput in{"GET", "examplebucket.s3.amazonaws.com", "/", &q, {}, kEmpty, kNow};
  EXPECT_EQ(signature_of(s3_sign(kCreds, in)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(S3Sign, SubresourceWithAnEmptyValue) {
  QueryParams q{{"lifecycle", ""}};
  S3SignInput in{"GET", "examplebucket.s3.amazonaws.com", "/", &q, {}, kEmpty, kNow};
  EXPECT_EQ(signature_of(s3_sign(kCreds, in)),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(S3Sign, PresignedGet) {
  S3SignInput in{"GET", "examplebucket.s3.amazonaws.com", "/test.txt", nullptr, {}, "", kNow};
  std::string q = s3_presign(kCreds, in, 86400);
  EXPECT_EQ(q.substr(q.find("X-Amz-Signature=") + 16),
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_NE(
      q.find("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"),
      std::string::npos);
}

TEST(S3Sign, UriEncoding) {
  EXPECT_EQ(s3_uri_encode("a b/c~d", true), "a%20b/c~d");
  EXPECT_EQ(s3_uri_encode("a b/c~d", false), "a%20b%2Fc~d");
  EXPECT_EQ(s3_uri_encode("\xe1\x88\xb4", true), "%E1%88%B4");
}

}  // namespace
}  // namespace kiln::registry::server
