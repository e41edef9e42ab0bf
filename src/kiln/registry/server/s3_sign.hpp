// AWS Signature Version 4 for S3 (the S3 storage driver, s3_driver.cpp), written against AWS's
// specification ("Signature Version 4 signing process", "Authenticating Requests: Using Query
// Parameters") with OpenSSL's HMAC-SHA256. sign() adds the headers of a signed request;
// presign() makes the query string of a URL anyone may use until it expires.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::registry::server {

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // not yet encoded

// RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper case);
// '/' is kept when keep_slash (paths), encoded otherwise (query values).
std::string s3_uri_encode(std::string_view s, bool keep_slash);

// "k=v&k2=v2", sorted by encoded name then value, each part encoded.
std::string s3_canonical_query(const QueryParams& q);

struct S3Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
};

// What to sign. path is the encoded path ("/bucket/key"); headers are the request's own
// (name, value), besides host and the x-amz-* ones sign() adds; payload_hash is the body's
// hex SHA-256 or "UNSIGNED-PAYLOAD".
struct S3SignInput {
  std::string_view method;
  std::string_view host;  // as the Host header carries it: "h" or "h:port"
  std::string_view path;
  const QueryParams* query = nullptr;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_hash;
  std::time_t now = 0;
};

// The headers to send: x-amz-date, x-amz-content-sha256 and Authorization.
std::vector<std::pair<std::string, std::string>> s3_sign(const S3Credentials& c,
                                                         const S3SignInput& in);

// The query string of a presigned URL valid for expires_s seconds from in.now (the X-Amz-*
// parameters after in.query's own); in.headers and in.payload_hash are not used.
std::string s3_presign(const S3Credentials& c, const S3SignInput& in, int expires_s);

}  // namespace kiln::registry::server
