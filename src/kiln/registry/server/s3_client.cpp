#include "kiln/registry/server/s3_client.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::registry::server {

struct S3Client::Call {
  Call(std::string m, std::string k) : method(std::move(m)), key(std::move(k)) {}
  std::string method;
  std::string key;  // full key (root included); empty: the bucket
  QueryParams query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  int64_t max_body = 4 << 20;
  io::Writer* sink = nullptr;           // a 2xx response's body goes here as it arrives
  const int64_t* sink_bytes = nullptr;  // how many went there: none, and a failure is retried
};

namespace {

const std::string kEmptyHash = Digest::of("").hex();
constexpr size_t kSignedBodyMax = 64 << 10;

std::string decode_entities(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s.substr(i);
      break;
    }
    std::string_view e = s.substr(i + 1, semi - i - 1);
    if (e == "amp")
      out += '&';
    else if (e == "lt")
      out += '<';
    else if (e == "gt")
      out += '>';
    else if (e == "quot")
      out += '"';
    else if (e == "apos")
      out += '\'';
    else if (e.starts_with("#x") || e.starts_with("#")) {
      std::string num(e.substr(e.starts_with("#x") ? 2 : 1));
      long v = std::strtol(num.c_str(), nullptr, e.starts_with("#x") ? 16 : 10);
      if (v > 0 && v < 0x80)
        out += static_cast<char>(v);
      else
        out += "&" + std::string(e) + ";";
    } else {
      out += "&" + std::string(e) + ";";
    }
    i = semi;
  }
  return out;
}

// A failed request as an Error: S3's <Code> and <Message> when the body has them.
Error s3_error(const net::Response& r, std::string_view what) {
  std::string code = xml_text(r.body, "Code");
  std::string msg = xml_text(r.body, "Message");
  Errc e = r.status == 404   ? Errc::not_found
           : r.status == 403 ? Errc::permission_denied
           : r.status == 412 ? Errc::conflict
           : r.status == 507 ? Errc::no_space
                             : Errc::io;
  std::string text = fmt::format("S3 {}: HTTP {}", what, r.status);
  if (!code.empty()) text += " " + code;
  if (!msg.empty()) text += ": " + msg;
  return Error(e, text);
}

bool retryable(long status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

std::string xml_text(std::string_view xml, std::string_view tag) {
  auto els = xml_elements(xml, tag);
  return els.empty() ? std::string() : decode_entities(els.front());
}

std::vector<std::string_view> xml_elements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while (true) {
    size_t a = xml.find(open, pos);
    if (a == std::string_view::npos) break;
    a += open.size();
    size_t b = xml.find(close, a);
    if (b == std::string_view::npos) break;
    out.push_back(xml.substr(a, b - a));
    pos = b + close.size();
  }
  return out;
}

int64_t parse_s3_time(std::string_view s) {
  std::tm tm{};
  std::string str(s);
  const char* end = strptime(str.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (!end) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

S3Client::S3Client(S3Options opts, std::shared_ptr<net::HttpTransport> http)
    : m_opts(std::move(opts)), m_http(std::move(http)) {
  std::string ep = m_opts.endpoint;
  if (ep.empty()) ep = "s3." + m_opts.creds.region + ".amazonaws.com";
  std::string scheme = m_opts.secure ? "https" : "http";
  if (auto p = ep.find("://"); p != std::string::npos) {
    scheme = ep.substr(0, p);
    ep = ep.substr(p + 3);
  }
  while (!ep.empty() && ep.back() == '/') ep.pop_back();
  if ((scheme == "http" && ep.ends_with(":80")) || (scheme == "https" && ep.ends_with(":443")))
    ep = ep.substr(0, ep.rfind(':'));
  m_host = m_opts.path_style ? ep : m_opts.bucket + "." + ep;
  m_base = scheme + "://" + m_host;
}

std::string S3Client::full_key(std::string_view key) const {
  if (m_opts.root.empty()) return std::string(key);
  return m_opts.root + "/" + std::string(key);
}

std::string S3Client::strip_root(std::string_view key) const {
  if (!m_opts.root.empty() && key.starts_with(m_opts.root + "/"))
    key.remove_prefix(m_opts.root.size() + 1);
  return std::string(key);
}

std::string S3Client::object_path(std::string_view key) const {
  std::string path = m_opts.path_style ? "/" + s3_uri_encode(m_opts.bucket, false) : "";
  if (!key.empty() || !m_opts.path_style) path += "/" + s3_uri_encode(key, true);
  return path;
}

Result<net::Response> S3Client::send(Call& c) {
  std::string path = object_path(c.key);
  std::string query = s3_canonical_query(c.query);
  // Large bodies (parts of a blob, whose digest the registry checks itself) go unsigned, as
  // SigV4 allows: hashing each byte a second time cost more CPU than the rest of a push.
  std::string hash = !c.body                           ? kEmptyHash
                     : c.body->size() > kSignedBodyMax ? std::string("UNSIGNED-PAYLOAD")
                                                       : Digest::of(*c.body).hex();
  net::Request req;
  req.method = c.method;
  req.url = m_base + path + (query.empty() ? "" : "?" + query);
  req.max_body = c.max_body;
  req.sink = c.sink;
  if (c.body) {
    req.body_data = std::move(c.body);  // libcurl sends its Content-Length; resent as is
  } else if (c.method == "PUT" || c.method == "POST") {
    req.body_data = std::string();
  }
  int backoff = m_opts.backoff_ms;
  for (int attempt = 0;; ++attempt) {
    S3SignInput in{c.method, m_host, path, &c.query, c.headers, hash, ::time(nullptr)};
    req.headers.list.clear();
    for (const auto& [k, v] : c.headers) req.headers.add(k, v);
    for (auto& [k, v] : s3_sign(m_opts.creds, in)) req.headers.add(k, v);
    auto r = m_http->perform(req);
    bool again = r ? retryable(r->status) : r.error().code() == Errc::io;
    if (c.sink_bytes && *c.sink_bytes > 0) again = false;  // the sink cannot take them twice
    if (!again || attempt >= m_opts.retries) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff *= 2;
  }
}

Result<S3Object> S3Client::head(std::string_view key) {
  Call c{"HEAD", full_key(key)};
  auto r = KILN_TRY(send(c));
  if (r.status != 200) return std::unexpected(s3_error(r, "HEAD " + std::string(key)));
  S3Object o;
  o.key = std::string(key);
  o.size = parse_int(r.headers.get("Content-Length").value_or("0")).value_or(0);
  o.mtime = parse_s3_time(r.headers.get("Last-Modified").value_or(""));
  o.etag = unquote(r.headers.get("ETag").value_or(""));
  return o;
}

Result<std::string> S3Client::get(std::string_view key, int64_t offset, int64_t len,
                                  std::string_view if_match, S3Object* info) {
  if (len == 0 && !info) return std::string();
  Call c{"GET", full_key(key)};
  if (offset > 0 || len >= 0)
    c.headers.emplace_back("Range", len >= 0 ? fmt::format("bytes={}-{}", offset, offset + len - 1)
                                             : fmt::format("bytes={}-", offset));
  if (!if_match.empty()) c.headers.emplace_back("If-Match", "\"" + std::string(if_match) + "\"");
  c.max_body = len >= 0 ? len + 1 : int64_t{1} << 40;
  auto r = KILN_TRY(send(c));
  if (r.status == 416) {
    // A range at or past the end: nothing to read, and the size is in Content-Range.
    if (info) {
      auto cr = r.headers.get("Content-Range").value_or("");
      info->size = parse_int(cr.substr(cr.find('/') + 1)).value_or(0);
    }
    return std::string();
  }
  if (r.status != 200 && r.status != 206)
    return std::unexpected(s3_error(r, "GET " + std::string(key)));
  if (info) {
    info->key = std::string(key);
    info->etag = unquote(r.headers.get("ETag").value_or(""));
    info->mtime = parse_s3_time(r.headers.get("Last-Modified").value_or(""));
    auto cr = r.headers.get("Content-Range");
    info->size = cr ? parse_int(cr->substr(cr->find('/') + 1)).value_or(0)
                    : static_cast<int64_t>(r.body.size());
  }
  return std::move(r.body);
}

namespace {

class CountingWriter final : public io::Writer {
 public:
  explicit CountingWriter(io::Writer& out) : m_out(out) {}
  Status write(const void* buf, size_t size) override {
    bytes += static_cast<int64_t>(size);
    return m_out.write(buf, size);
  }
  int64_t bytes = 0;

 private:
  io::Writer& m_out;
};

}  // namespace

Status S3Client::get_to(std::string_view key, int64_t offset, int64_t len,
                        std::string_view if_match, io::Writer& out) {
  if (len <= 0) return {};
  Call c{"GET", full_key(key)};
  c.headers.emplace_back("Range", fmt::format("bytes={}-{}", offset, offset + len - 1));
  if (!if_match.empty()) c.headers.emplace_back("If-Match", "\"" + std::string(if_match) + "\"");
  CountingWriter counted(out);
  c.sink = &counted;
  c.sink_bytes = &counted.bytes;
  auto r = KILN_TRY(send(c));
  if (r.status != 206 && r.status != 200)
    return std::unexpected(s3_error(r, "GET " + std::string(key)));
  if (counted.bytes != len)
    return failf(Errc::io, "S3 GET {}: {} bytes instead of {}", key, counted.bytes, len);
  return {};
}

Status S3Client::put(std::string_view key, std::string_view data) {
  Call c{"PUT", full_key(key)};
  c.body = std::string(data);
  auto r = KILN_TRY(send(c));
  if (r.status != 200) return std::unexpected(s3_error(r, "PUT " + std::string(key)));
  return {};
}

Status S3Client::remove(std::string_view key) {
  Call c{"DELETE", full_key(key)};
  auto r = KILN_TRY(send(c));
  if (r.status != 204 && r.status != 200 && r.status != 404)
    return std::unexpected(s3_error(r, "DELETE " + std::string(key)));
  return {};
}

Status S3Client::copy(std::string_view from, std::string_view to) {
  Call c{"PUT", full_key(to)};
  c.headers.emplace_back("x-amz-copy-source",
                         "/" + m_opts.bucket + "/" + s3_uri_encode(full_key(from), true));
  auto r = KILN_TRY(send(c));
  // A copy can fail after its 200 status line: the error is then in the body.
  if (r.status != 200 || r.body.find("<Error>") != std::string::npos)
    return std::unexpected(s3_error(r, fmt::format("copy {} to {}", from, to)));
  return {};
}

Result<S3Listing> S3Client::list(std::string_view prefix, std::string_view delimiter,
                                 int max_keys) {
  S3Listing out;
  std::string token;
  std::string full = full_key(prefix);
  do {
    Call c{"GET", ""};
    c.query = {{"list-type", "2"},
               {"prefix", full},
               {"max-keys", std::to_string(max_keys > 0 ? max_keys : 1000)}};
    if (!delimiter.empty()) c.query.emplace_back("delimiter", std::string(delimiter));
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    auto r = KILN_TRY(send(c));
    if (r.status != 200) return std::unexpected(s3_error(r, "list " + std::string(prefix)));
    for (auto el : xml_elements(r.body, "Contents")) {
      S3Object o;
      o.key = strip_root(xml_text(el, "Key"));
      o.size = parse_int(xml_text(el, "Size")).value_or(0);
      o.mtime = parse_s3_time(xml_text(el, "LastModified"));
      o.etag = unquote(xml_text(el, "ETag"));
      out.objects.push_back(std::move(o));
    }
    for (auto el : xml_elements(r.body, "CommonPrefixes"))
      out.prefixes.push_back(strip_root(xml_text(el, "Prefix")));
    token = xml_text(r.body, "IsTruncated") == "true" && max_keys <= 0
                ? xml_text(r.body, "NextContinuationToken")
                : std::string();
  } while (!token.empty());
  return out;
}

Result<std::string> S3Client::create_upload(std::string_view key) {
  Call c{"POST", full_key(key)};
  c.query = {{"uploads", ""}};
  auto r = KILN_TRY(send(c));
  std::string id = xml_text(r.body, "UploadId");
  if (r.status != 200 || id.empty())
    return std::unexpected(s3_error(r, "create multipart upload " + std::string(key)));
  return id;
}

Result<std::string> S3Client::upload_part(std::string_view key, std::string_view id, int part,
                                          std::string_view data) {
  Call c{"PUT", full_key(key)};
  c.query = {{"partNumber", std::to_string(part)}, {"uploadId", std::string(id)}};
  c.body = std::string(data);
  auto r = KILN_TRY(send(c));
  auto etag = r.headers.get("ETag");
  if (r.status != 200 || !etag)
    return std::unexpected(s3_error(r, fmt::format("upload part {} of {}", part, key)));
  return *etag;
}

Result<std::string> S3Client::copy_part(std::string_view key, std::string_view id, int part,
                                        std::string_view from, int64_t offset, int64_t len) {
  Call c{"PUT", full_key(key)};
  c.query = {{"partNumber", std::to_string(part)}, {"uploadId", std::string(id)}};
  c.headers.emplace_back("x-amz-copy-source",
                         "/" + m_opts.bucket + "/" + s3_uri_encode(full_key(from), true));
  c.headers.emplace_back("x-amz-copy-source-range",
                         fmt::format("bytes={}-{}", offset, offset + len - 1));
  auto r = KILN_TRY(send(c));
  std::string etag = xml_text(r.body, "ETag");
  if (r.status != 200 || etag.empty())
    return std::unexpected(s3_error(r, fmt::format("copy part {} of {} from {}", part, key, from)));
  return etag;
}

Status S3Client::complete_upload(std::string_view key, std::string_view id,
                                 const std::vector<std::string>& etags) {
  Call c{"POST", full_key(key)};
  c.query = {{"uploadId", std::string(id)}};
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i)
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, etags[i]);
  body += "</CompleteMultipartUpload>";
  c.body = std::move(body);
  auto r = KILN_TRY(send(c));
  if (r.status != 200 || r.body.find("<Error>") != std::string::npos)
    return std::unexpected(s3_error(r, "complete multipart upload " + std::string(key)));
  return {};
}

Status S3Client::abort_upload(std::string_view key, std::string_view id) {
  Call c{"DELETE", full_key(key)};
  c.query = {{"uploadId", std::string(id)}};
  auto r = KILN_TRY(send(c));
  if (r.status != 204 && r.status != 200 && r.status != 404)
    return std::unexpected(s3_error(r, "abort multipart upload " + std::string(key)));
  return {};
}

Result<std::vector<S3Upload>> S3Client::list_uploads(std::string_view prefix) {
  std::vector<S3Upload> out;
  std::string key_marker, id_marker;
  while (true) {
    Call c{"GET", ""};
    c.query = {{"uploads", ""}, {"prefix", full_key(prefix)}};
    if (!key_marker.empty()) {
      c.query.emplace_back("key-marker", key_marker);
      c.query.emplace_back("upload-id-marker", id_marker);
    }
    auto r = KILN_TRY(send(c));
    if (r.status != 200) return std::unexpected(s3_error(r, "list multipart uploads"));
    for (auto el : xml_elements(r.body, "Upload"))
      out.push_back({strip_root(xml_text(el, "Key")), xml_text(el, "UploadId"),
                     parse_s3_time(xml_text(el, "Initiated"))});
    if (xml_text(r.body, "IsTruncated") != "true") break;
    key_marker = xml_text(r.body, "NextKeyMarker");
    id_marker = xml_text(r.body, "NextUploadIdMarker");
    if (key_marker.empty()) break;
  }
  return out;
}

std::string S3Client::presigned_get(std::string_view key, int expires_s) {
  std::string path = object_path(full_key(key));
  S3SignInput in{"GET", m_host, path, nullptr, {}, "", ::time(nullptr)};
  return m_base + path + "?" + s3_presign(m_opts.creds, in, expires_s);
}

}  // namespace kiln::registry::server
