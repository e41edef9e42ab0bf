// S3's REST API, the part the S3 storage driver uses: objects (HEAD, ranged GET, PUT, DELETE,
// server-side copy), ListObjectsV2 and multipart uploads (with part copies). Requests are signed
// with SigV4 (s3_sign.hpp) and go through a net::HttpTransport, so tests can put faults between
// the client and a real S3 engine. A 500, 503 (SlowDown) or a failed connection is retried with
// exponential backoff when the request can be sent again.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/net/http.hpp"
#include "kiln/registry/server/s3_sign.hpp"

namespace kiln::registry::server {

struct S3Options {
  std::string bucket;
  S3Credentials creds;
  std::string endpoint;    // "http://127.0.0.1:7480"; empty: https://s3.<region>.amazonaws.com
  bool path_style = true;  // /bucket/key; false: bucket.host/key
  bool secure = true;      // https when the endpoint names no scheme
  bool skip_verify = false;
  std::string root;                    // key prefix, no leading or trailing '/'
  int64_t chunk_size = 10 << 20;       // multipart upload part size
  int64_t copy_chunk_size = 32 << 20;  // part size of multipart copies
  int64_t copy_threshold = 32 << 20;   // larger objects are copied in parts
  int copy_concurrency = 8;            // part copies in flight at once
  int retries = 7;                     // attempts after the first (6.4 s)
  int backoff_ms = 50;                 // first backoff, doubled each time
};

struct S3Object {
  std::string key;  // without the root prefix
  int64_t size = 0;
  int64_t mtime = 0;
  std::string etag;
};

struct S3Listing {
  std::vector<S3Object> objects;
  std::vector<std::string> prefixes;  // common prefixes (with the delimiter), without root
};

struct S3Upload {
  std::string key;
  std::string id;
  int64_t initiated = 0;  // seconds since the epoch
};

class S3Client {
 public:
  S3Client(S3Options opts, std::shared_ptr<net::HttpTransport> http);
  const S3Options& options() const { return m_opts; }

  // not_found when absent.
  Result<S3Object> head(std::string_view key);
  // The bytes [offset, offset+len) (len < 0: to the end); if_match: fail with Errc::conflict if
  // the object's ETag differs. total, when given, receives the object's whole size.
  Result<std::string> get(std::string_view key, int64_t offset = 0, int64_t len = -1,
                          std::string_view if_match = {}, S3Object* info = nullptr);
  // The bytes [offset, offset+len) into out as they arrive, for reads too big to hold. Retried
  // (as every call) only until a byte has gone to out.
  Status get_to(std::string_view key, int64_t offset, int64_t len, std::string_view if_match,
                io::Writer& out);
  Status put(std::string_view key, std::string_view data);
  Status remove(std::string_view key);  // a missing key is fine
  Status copy(std::string_view from, std::string_view to);
  // Every object under prefix (delimiter empty) or the level below it (delimiter "/"); with
  // max_keys > 0, at most about that many (one request).
  Result<S3Listing> list(std::string_view prefix, std::string_view delimiter, int max_keys = 0);

  Result<std::string> create_upload(std::string_view key);
  Result<std::string> upload_part(std::string_view key, std::string_view id, int part,
                                  std::string_view data);  // the part's ETag
  Result<std::string> copy_part(std::string_view key, std::string_view id, int part,
                                std::string_view from, int64_t offset, int64_t len);
  Status complete_upload(std::string_view key, std::string_view id,
                         const std::vector<std::string>& etags);
  Status abort_upload(std::string_view key, std::string_view id);
  Result<std::vector<S3Upload>> list_uploads(std::string_view prefix);

  // A URL for GET of key, valid for expires_s seconds.
  std::string presigned_get(std::string_view key, int expires_s);

 private:
  struct Call;
  Result<net::Response> send(Call& call);
  std::string object_path(std::string_view key) const;  // encoded, with bucket when path-style
  std::string full_key(std::string_view key) const;
  std::string strip_root(std::string_view key) const;

  S3Options m_opts;
  std::shared_ptr<net::HttpTransport> m_http;
  std::string m_base;  // scheme://host[:port]
  std::string m_host;  // the Host header
};

// The text of the first <tag>...</tag> in xml, entities decoded; empty when missing.
std::string xml_text(std::string_view xml, std::string_view tag);
// Each <tag>...</tag> element's inner text, in order.
std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag);
// "2026-12-05T10:00:00.000Z" and "Sat, 05 Dec 2026 10:00:00 GMT" to seconds since the epoch.
int64_t parse_s3_time(std::string_view s);

}  // namespace kiln::registry::server
