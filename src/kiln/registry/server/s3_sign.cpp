#include "kiln/registry/server/s3_sign.hpp"

#include <openssl/hmac.h>

#include <algorithm>

#include "kiln/base/percent.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::registry::server {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hex(std::string_view raw) {
  static constexpr char k[] = "0123456789abcdef";
  std::string s;
  s.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    s += k[c >> 4];
    s += k[c & 15];
  }
  return s;
}

std::string amz_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string trim_value(std::string_view v) {
  // Leading and trailing blanks go; runs of blanks inside become one.
  std::string out;
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

struct Scope {
  std::string date;   // 20130524T000000Z
  std::string day;    // 20130524
  std::string scope;  // 20130524/us-east-1/s3/aws4_request
  std::string key;    // the derived signing key
};

Scope scope_of(const S3Credentials& c, std::time_t now) {
  Scope s;
  s.date = amz_date(now);
  s.day = s.date.substr(0, 8);
  s.scope = s.day + "/" + c.region + "/s3/aws4_request";
  s.key = hmac(hmac(hmac(hmac("AWS4" + c.secret_key, s.day), c.region), "s3"), "aws4_request");
  return s;
}

// The signature over a canonical request.
std::string signature(const Scope& s, std::string_view canonical_request) {
  std::string to_sign =
      "AWS4-HMAC-SHA256\n" + s.date + "\n" + s.scope + "\n" + Digest::of(canonical_request).hex();
  return hex(hmac(s.key, to_sign));
}

}  // namespace

std::string s3_uri_encode(std::string_view s, bool keep_slash) {
  if (!keep_slash) return percent_encode(s);
  std::string out;
  for (size_t at = 0;;) {
    size_t slash = s.find('/', at);
    out += percent_encode(s.substr(at, slash - at));
    if (slash == std::string_view::npos) return out;
    out += '/';
    at = slash + 1;
  }
}

std::string s3_canonical_query(const QueryParams& q) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(q.size());
  for (const auto& [k, v] : q) enc.emplace_back(s3_uri_encode(k, false), s3_uri_encode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> s3_sign(const S3Credentials& c,
                                                         const S3SignInput& in) {
  Scope s = scope_of(c, in.now);
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("host", std::string(in.host));
  for (const auto& [k, v] : in.headers) h.emplace_back(to_lower(k), trim_value(v));
  h.emplace_back("x-amz-content-sha256", in.payload_hash);
  h.emplace_back("x-amz-date", s.date);
  std::sort(h.begin(), h.end());
  std::string canon_headers, signed_headers;
  for (const auto& [k, v] : h) {
    canon_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }
  std::string creq = std::string(in.method) + "\n" + std::string(in.path) + "\n" +
                     (in.query ? s3_canonical_query(*in.query) : std::string()) + "\n" +
                     canon_headers + "\n" + signed_headers + "\n" + in.payload_hash;
  std::string auth = "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + s.scope +
                     ",SignedHeaders=" + signed_headers + ",Signature=" + signature(s, creq);
  return {{"x-amz-date", s.date},
          {"x-amz-content-sha256", in.payload_hash},
          {"Authorization", std::move(auth)}};
}

std::string s3_presign(const S3Credentials& c, const S3SignInput& in, int expires_s) {
  Scope s = scope_of(c, in.now);
  QueryParams q = in.query ? *in.query : QueryParams{};
  q.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  q.emplace_back("X-Amz-Credential", c.access_key + "/" + s.scope);
  q.emplace_back("X-Amz-Date", s.date);
  q.emplace_back("X-Amz-Expires", std::to_string(expires_s));
  q.emplace_back("X-Amz-SignedHeaders", "host");
  std::string query = s3_canonical_query(q);
  std::string creq = std::string(in.method) + "\n" + std::string(in.path) + "\n" + query +
                     "\nhost:" + std::string(in.host) + "\n\nhost\nUNSIGNED-PAYLOAD";
  return query + "&X-Amz-Signature=" + signature(s, creq);
}

}  // namespace kiln::registry::server
