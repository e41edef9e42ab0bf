#include "kiln/registry/client/client.hpp"

#include "kiln/base/log.hpp"
#include "kiln/registry/client/settings.hpp"

#include <unistd.h>

#include <thread>

#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/registry/client/json_codec.hpp"

namespace kiln::registry::client {

std::string repo_scope(const std::string& repo, bool push) {
  return fmt::format("repository:{}:{}", repo, push ? "pull,push" : "pull");
}

namespace {

bool is_loopback(const std::string& host) {
  std::string h = host;
  if (h.starts_with("["))
    h = h.substr(1, h.find(']') - 1);
  else
    h = h.substr(0, h.rfind(':') == std::string::npos ? h.size() : h.rfind(':'));
  return h == "localhost" || h == "::1" || h.starts_with("127.");
}

const char* k_accept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// The error a registry's JSON error body describes, e.g. "MANIFEST_UNKNOWN: manifest unknown".
std::string describe_error(const net::Response& r) {
  auto e = codec::parse_error_body(r.body);
  if (!e) return fmt::format("HTTP {} (unreadable error body: {})", r.status, e.error().message());
  if (!*e) return fmt::format("HTTP {}", r.status);
  return fmt::format("HTTP {}: {}: {}", r.status, (*e)->code.empty() ? "?" : (*e)->code,
                     (*e)->message);
}

Errc errc_for(long status) {
  if (status == 401 || status == 403) return Errc::unauthorized;
  if (status == 404) return Errc::not_found;
  if (status == 400 || status == 413) return Errc::invalid_argument;
  return Errc::io;
}

std::string host_of(const std::string& url) {
  auto s = url.find("://") + 3;
  return url.substr(s, url.find('/', s) - s);
}

}  // namespace

// TLS as docker reads it: /etc/docker/certs.d/HOST/{ca.crt,client.cert,client.key}.
net::ClientOptions http_options(const std::string& host, const Options& o) {
  net::ClientOptions c;
  c.tls_verify = o.tls_verify.value_or(true);
  c.stall_timeout_s = o.stall_timeout_s;
  std::string dir = "/etc/docker/certs.d/" + host + "/";
  if (::access((dir + "ca.crt").c_str(), R_OK) == 0) c.ca_file = dir + "ca.crt";
  if (::access((dir + "client.cert").c_str(), R_OK) == 0 &&
      ::access((dir + "client.key").c_str(), R_OK) == 0) {
    c.client_cert = dir + "client.cert";
    c.client_key = dir + "client.key";
  }
  return c;
}

Registry::Registry(std::string host, std::string base, Options opts)
    : m_host(std::move(host)),
      m_base(std::move(base)),
      m_opts(std::move(opts)),
      m_http(m_opts.transport ? m_opts.transport
                              : net::curl_transport(http_options(m_host, m_opts))),
      m_clock(m_opts.clock ? *m_opts.clock : os::real_clock()) {}

Result<net::Response> Registry::perform(const net::Request& req) {
  return m_http->perform(req);
}

Result<std::unique_ptr<Registry>> Registry::open(const std::string& host, const Options& opts) {
  std::string api = host == "docker.io" ? "registry-1.docker.io" : host;
  std::string base = (is_loopback(host) ? "http://" : "https://") + api;
  Options o = opts;
  if (const char* t = std::getenv("KILN_REGISTRY_STALL_TIMEOUT"); t && std::atoi(t) > 0)
    o.stall_timeout_s = std::atoi(t);
  bool probe = false;
  if (!is_loopback(host)) {
    auto settings = load_settings();
    if (!settings) return std::unexpected(settings.error());
    if (is_insecure(*settings, host)) {
      // An insecure registry (settings.hpp): HTTPS without verification, or plain HTTP when
      // it does not speak TLS, as docker treats its insecure-registries.
      if (!o.tls_verify) o.tls_verify = false;
      probe = true;
    }
    // --tls-verify=false allows plain HTTP too, as skopeo's does.
    if (o.tls_verify == false) probe = true;
  }
  auto r = std::unique_ptr<Registry>(new Registry(host, base, std::move(o)));
  if (probe) {
    net::Request req;
    req.url = r->m_base + "/v2/";
    if (!r->perform(req)) {
      r->m_base = "http://" + api;
      log::debug("registry {}: no TLS here; plain HTTP (an insecure registry)", host);
    }
  }
  return r;
}

Status Registry::authorize(const std::string& scope, const net::Response& challenge,
                           const std::string& used) {
  std::lock_guard auth(m_auth_mu);
  {
    std::lock_guard lk(m_mu);  // another thread may have renewed it meanwhile
    auto t = m_tokens.find(scope);
    if (t != m_tokens.end() && t->second.header != used && t->second.expires > m_clock.now())
      return {};
    if (t != m_tokens.end()) m_tokens.erase(t);
  }
  auto header = challenge.headers.get("WWW-Authenticate");
  if (!header) return failf(Errc::unauthorized, "registry {}: 401 without a challenge", m_host);
  if (!m_creds_loaded) {
    m_creds_loaded = true;
    m_creds = m_opts.creds;
    if (!m_creds) m_creds = KILN_TRY(lookup_credentials(auth_file_path(m_opts.authfile), m_host));
  }
  for (const auto& c : net::parse_challenges(*header)) {
    if (c.scheme == "basic") {
      if (!m_creds)
        return failf(Errc::unauthorized, "registry {} wants credentials (kiln login {})", m_host,
                     m_host);
      std::lock_guard lk(m_mu);
      m_basic = "Basic " + net::base64_encode(m_creds->username + ":" + m_creds->password);
      return {};
    }
    if (c.scheme == "bearer") return fetch_token(scope, c);
  }
  return failf(Errc::unsupported, "registry {}: no supported authentication in \"{}\"", m_host,
               *header);
}

namespace {

// The scopes a token is asked for: the request's and the challenge's (each may hold several,
// joined by spaces).
std::vector<std::string> token_scopes(const std::string& scope, const net::Challenge& c) {
  std::vector<std::string> scopes;
  if (!scope.empty()) scopes.push_back(scope);
  if (auto s = c.param("scope"); !s.empty() && s != scope) scopes.push_back(s);
  std::vector<std::string> each;
  for (const auto& s : scopes) {
    size_t i = 0;
    while (i <= s.size()) {
      size_t j = s.find(' ', i);
      if (j == std::string::npos) j = s.size();
      if (j > i) each.push_back(s.substr(i, j - i));
      i = j + 1;
    }
  }
  return each;
}

}  // namespace

// The request to the token server: an OAuth2 refresh (POST) with an identity token, else
// Docker's GET with Basic credentials (or none: anonymous).
net::Request Registry::token_request(const std::string& realm, const std::string& service,
                                     const std::vector<std::string>& scopes) {
  net::Request req;
  if (!m_refresh_token.empty()) {
    // An identity token (docker login's "identitytoken") is an OAuth2 refresh token: POST
    // it to the realm for an access token (Docker's token spec, "OAuth2 Token Authentication").
    std::string form =
        "grant_type=refresh_token&client_id=kiln&refresh_token=" + net::url_escape(m_refresh_token);
    if (!service.empty()) form += "&service=" + net::url_escape(service);
    std::string joined;
    for (const auto& s : scopes) joined += (joined.empty() ? "" : " ") + s;
    if (!joined.empty()) form += "&scope=" + net::url_escape(joined);
    req.method = "POST";
    req.url = realm;
    req.headers.add("Content-Type", "application/x-www-form-urlencoded");
    req.body_data = std::move(form);
    return req;
  }
  std::string q = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (!service.empty()) q += "service=" + net::url_escape(service) + "&";
  for (const auto& s : scopes) q += "scope=" + net::url_escape(s) + "&";
  if (m_opts.offline_token && m_creds) q += "offline_token=true&client_id=kiln&";
  q.pop_back();
  req.url = q;
  if (m_creds)
    req.headers.add("Authorization",
                    "Basic " + net::base64_encode(m_creds->username + ":" + m_creds->password));
  return req;
}

Status Registry::fetch_token(const std::string& scope, const net::Challenge& c) {
  std::string realm = c.param("realm");
  if (realm.empty())
    return failf(Errc::unauthorized, "registry {}: Bearer challenge without realm", m_host);
  if (m_refresh_token.empty() && m_creds && m_creds->username == "<token>")
    m_refresh_token = m_creds->password;
  auto req = token_request(realm, c.param("service"), token_scopes(scope, c));
  auto resp = KILN_TRY_CTX(perform(req), fmt::format("registry {}: token", m_host));
  if (resp.status == 401 || resp.status == 403)
    return failf(Errc::unauthorized, "registry {}: the token server refused {} ({})", m_host,
                 !m_refresh_token.empty() ? "the identity token"
                 : m_creds                ? "the credentials"
                                          : "anonymous access",
                 describe_error(resp));
  if (resp.status != 200)
    return failf(Errc::io, "registry {}: token server: {}", m_host, describe_error(resp));
  return take_token(scope, resp);
}

// The token server's answer: the access token (kept for `scope` until shortly before it
// expires), and a refresh token when one was asked for or the server rotated ours.
Status Registry::take_token(const std::string& scope, const net::Response& resp) {
  std::string token, offline;
  const auto doc = fmt::format("registry {}: token server answer", m_host);
  int64_t expires = 60;
  if (auto a = KILN_TRY(codec::parse_token_answer(resp.body, doc))) {
    token = a->token;
    const std::string& refresh = a->refresh_token;
    expires = a->expires_in;
    // A server may rotate the refresh token: the next renewal uses the new one.
    if (!m_refresh_token.empty() && !refresh.empty() && refresh != m_refresh_token) {
      m_refresh_token = refresh;
      // The old one may be spent: an identity token from the auth file is replaced there,
      // or the next command would present a token the server has retired.
      if (!m_opts.creds)
        KILN_TRY_CTX(
            update_identity_token(auth_file_path(m_opts.authfile), m_host, m_refresh_token),
            fmt::format("registry {}: store the renewed identity token", m_host));
    } else if (m_opts.offline_token) {
      offline = refresh;
    }
  }
  if (token.empty())
    return failf(Errc::corrupt, "registry {}: the token server sent no token", m_host);
  std::lock_guard lk(m_mu);
  if (!offline.empty()) m_offline_token = std::move(offline);
  m_tokens[scope] = Token{"Bearer " + token,
                          m_clock.now() + std::chrono::seconds(std::max<int64_t>(expires - 5, 1))};
  return {};
}

Result<net::Response> Registry::send(net::Request req, const std::string& scope, bool repeatable) {
  bool authorized_now = false;
  for (int attempt = 0;; ++attempt) {
    net::Request r = req;
    {
      std::lock_guard lk(m_mu);
      auto tok = m_tokens.find(scope);
      if (tok != m_tokens.end() && tok->second.expires <= m_clock.now()) {
        m_tokens.erase(tok);
        tok = m_tokens.end();
      }
      if (tok != m_tokens.end())
        r.headers.add("Authorization", tok->second.header);
      else if (!m_basic.empty())
        r.headers.add("Authorization", m_basic);
    }
    auto resp = perform(r);
    bool retry = false;
    int wait_ms = 200 << std::min(attempt, 6);
    if (!resp) {
      retry = repeatable && resp.error().code() == Errc::io;
      if (!retry || attempt >= m_opts.max_retries) return std::unexpected(resp.error());
    } else if (resp->status == 401 && !authorized_now) {
      KILN_TRY(authorize(scope, *resp, r.headers.get("Authorization").value_or("")));
      authorized_now = true;
      if (req.body && !req.body_data)  // a streamed body cannot be sent again
        return failf(Errc::unauthorized, "registry {}: authorize first", m_host);
      continue;
    } else if (resp->status == 401) {
      return failf(Errc::unauthorized,
                   "registry {}: {} refused: {} (wrong credentials? kiln login {})", m_host,
                   req.url, describe_error(*resp), m_host);
    } else if ((resp->status >= 500 || resp->status == 429) && repeatable &&
               attempt < m_opts.max_retries) {
      retry = true;
      if (auto ra = resp->headers.get("Retry-After"); ra) {
        int s = std::atoi(ra->c_str());
        if (s > 0) wait_ms = std::min(s, 30) * 1000;
      }
    } else {
      return resp;
    }
    if (!retry) return resp;
    m_clock.sleep_for(std::chrono::milliseconds(wait_ms));
  }
}

Status Registry::ping() {
  net::Request req;
  req.url = url("/v2/");
  auto resp = KILN_TRY(send(req, ""));
  if (resp.status != 200)
    return failf(errc_for(resp.status), "registry {}: /v2/: {}", m_host, describe_error(resp));
  return {};
}

std::string Registry::identity_token() const {
  std::lock_guard lk(m_mu);
  return m_offline_token;
}

Result<image::Document> Registry::get_manifest(const std::string& repo, const std::string& ref) {
  net::Request req;
  req.url = url(fmt::format("/v2/{}/manifests/{}", repo, ref));
  req.headers.add("Accept", k_accept);
  req.max_body = 4 << 20;
  auto resp = send(req, repo_scope(repo, false));
  if (!resp && resp.error().message().find("larger than") != std::string::npos)
    return failf(Errc::invalid_argument, "{}/{}:{}: manifest larger than 4 MiB, refused", m_host,
                 repo, ref);
  if (!resp) return std::unexpected(resp.error());
  if (resp->status != 200)
    return failf(errc_for(resp->status), "{}/{}:{}: {}", m_host, repo, ref, describe_error(*resp));
  image::Document doc;
  doc.raw = std::move(resp->body);
  doc.media_type = resp->headers.get("Content-Type").value_or("");
  if (auto semi = doc.media_type.find(';'); semi != std::string::npos) doc.media_type.resize(semi);
  if (doc.media_type.empty() || doc.media_type == "application/json")
    doc.media_type = oci::sniff_media_type(doc.raw);
  if (doc.media_type == oci::mt::docker_schema1 || doc.media_type == oci::mt::docker_schema1_signed)
    return failf(Errc::unsupported,
                 "{}/{}:{}: Docker schema 1 manifests are not supported (push the image again with "
                 "a current docker)",
                 m_host, repo, ref);
  doc.digest = Digest::of(doc.raw);
  if (ref.starts_with("sha256:") && doc.digest.str() != ref)
    return failf(Errc::corrupt, "{}/{}@{}: the registry sent a manifest with digest {}", m_host,
                 repo, ref, doc.digest);
  return doc;
}

Result<std::optional<int64_t>> Registry::head_blob(const std::string& repo, const Digest& d) {
  net::Request req;
  req.method = "HEAD";
  req.url = url(fmt::format("/v2/{}/blobs/{}", repo, d));
  auto resp = KILN_TRY(send(req, repo_scope(repo, false)));
  if (resp.status == 404) return std::nullopt;
  if (resp.status != 200 && resp.status != 307)
    return failf(errc_for(resp.status), "{}/{}: blob {}: {}", m_host, repo, d,
                 describe_error(resp));
  auto len = resp.headers.get("Content-Length");
  return std::optional<int64_t>(len ? std::atoll(len->c_str()) : -1);
}

namespace {
// Counts what reaches the writer, for Range resumption.
class Counted final : public io::Writer {
 public:
  explicit Counted(io::Writer& out) : m_out(out) {}
  Status write(const void* b, size_t n) override {
    KILN_TRY(m_out.write(b, n));
    m_n += static_cast<int64_t>(n);
    return {};
  }
  int64_t n() const { return m_n; }

 private:
  io::Writer& m_out;
  int64_t m_n = 0;
};
}  // namespace

Status Registry::get_blob(const std::string& repo, const oci::Descriptor& d, io::Writer& out) {
  auto ctx = fmt::format("{}/{}: blob {}", m_host, repo, d.digest);
  Counted counted(out);
  int failures = 0;
  std::string where = url(fmt::format("/v2/{}/blobs/{}", repo, d.digest));
  auto backoff = [&](const net::Response* r) {
    int ms = 200 << std::min(failures, 6);
    if (r)
      if (auto ra = r->headers.get("Retry-After"); ra && std::atoi(ra->c_str()) > 0)
        ms = std::min(std::atoi(ra->c_str()), 30) * 1000;
    m_clock.sleep_for(std::chrono::milliseconds(ms));
  };
  while (true) {
    net::Request req;
    req.url = where;
    req.sink = &counted;
    if (counted.n() > 0) req.headers.add("Range", fmt::format("bytes={}-", counted.n()));
    Result<net::Response> resp;
    if (host_of(where) == host_of(m_base)) {
      resp = send(req, repo_scope(repo, false), false);  // this loop resumes and retries
    } else {
      resp = perform(req);  // another host (object storage): no credentials of ours
    }
    if (!resp) {
      if (resp.error().code() == Errc::io && ++failures <= m_opts.max_retries) {
        backoff(nullptr);
        continue;  // resume from what arrived
      }
      return failf(resp.error().code(), "{}: {}", ctx, resp.error().message());
    }
    if (resp->status == 307 || resp->status == 302 || resp->status == 301 || resp->status == 303) {
      auto loc = resp->headers.get("Location");
      if (!loc) return failf(Errc::corrupt, "{}: redirect without Location", ctx);
      where = net::resolve_url(where, *loc);
      continue;
    }
    if (resp->status == 200 && counted.n() > resp->body_bytes) {
      return failf(Errc::io, "{}: the registry ignored Range on resume", ctx);
    }
    if ((resp->status >= 500 || resp->status == 429) && ++failures <= m_opts.max_retries) {
      backoff(&*resp);
      continue;
    }
    if (resp->status != 200 && resp->status != 206)
      return failf(errc_for(resp->status), "{}: {}", ctx, describe_error(*resp));
    if (d.size >= 0 && counted.n() < d.size && ++failures <= m_opts.max_retries) continue;
    return {};
  }
}

Result<bool> Registry::mount_blob(const std::string& repo, const Digest& d,
                                  const std::string& from) {
  net::Request req;
  req.method = "POST";
  req.url = url(fmt::format("/v2/{}/blobs/uploads/?mount={}&from={}", repo, d, from));
  auto resp = KILN_TRY(send(req, repo_scope(repo, true) + " " + repo_scope(from, false)));
  if (resp.status == 201) return true;
  if (resp.status == 202) {  // declined: an upload session was opened instead; cancel it
    if (auto loc = resp.headers.get("Location")) {
      net::Request del;
      del.method = "DELETE";
      del.url = net::resolve_url(m_base + "/", *loc);
      (void)send(del, repo_scope(repo, true));
    }
    return false;
  }
  return failf(errc_for(resp.status), "{}/{}: mount {} from {}: {}", m_host, repo, d, from,
               describe_error(resp));
}

Status Registry::put_blob(const std::string& repo, const oci::Descriptor& d, io::Reader& data) {
  auto ctx = fmt::format("{}/{}: upload {}", m_host, repo, d.digest);
  std::string scope = repo_scope(repo, true);
  net::Request start;
  start.method = "POST";
  start.url = url(fmt::format("/v2/{}/blobs/uploads/", repo));
  auto resp = KILN_TRY_CTX(send(start, scope), ctx);
  if (resp.status != 202) return failf(errc_for(resp.status), "{}: {}", ctx, describe_error(resp));
  auto loc = resp.headers.get("Location");
  if (!loc) return failf(Errc::corrupt, "{}: the registry sent no upload Location", ctx);
  std::string where = net::resolve_url(m_base + "/", *loc);
  auto close_url = [&] {
    return where + (where.find('?') == std::string::npos ? "?" : "&") +
           "digest=" + net::url_escape(d.digest.str());
  };
  if (d.size >= 0 && d.size <= k_monolithic_max) {
    // Small blobs (configs, small layers): the body goes with the closing PUT, which can be
    // sent again after a 401 or a 5xx because it is held in memory.
    net::Request put;
    put.method = "PUT";
    put.url = close_url();
    put.headers.add("Content-Type", "application/octet-stream");
    put.body_data = KILN_TRY_CTX(io::read_all(data, k_monolithic_max), ctx);
    resp = KILN_TRY_CTX(send(put, scope), ctx);
    if (resp.status != 201)
      return failf(errc_for(resp.status), "{}: PUT: {}", ctx, describe_error(resp));
    return {};
  }
  // Larger blobs: one streamed PUT ?digest= with the whole blob (the OCI spec's "POST then
  // PUT" monolithic upload, which every registry must take). Knowing the digest before the
  // bytes, a registry can store them at the blob's place at once: kiln's on S3 then writes
  // them once instead of twice (parts, then a copy at commit).
  net::Request put;
  put.method = "PUT";
  put.url = close_url();
  put.body = &data;
  put.body_size = d.size;
  put.headers.add("Content-Type", "application/octet-stream");
  resp = KILN_TRY_CTX(send(put, scope, false), ctx);
  if (resp.status != 201)
    return failf(errc_for(resp.status), "{}: PUT: {}", ctx, describe_error(resp));
  return {};
}

Status Registry::put_manifest(const std::string& repo, const std::string& ref,
                              const image::Document& m) {
  net::Request req;
  req.method = "PUT";
  req.url = url(fmt::format("/v2/{}/manifests/{}", repo, ref));
  req.headers.add("Content-Type", m.media_type);
  req.body_data = m.raw;
  auto resp = KILN_TRY(send(req, repo_scope(repo, true)));
  if (resp.status == 201 || resp.status == 200) return {};
  return failf(errc_for(resp.status), "{}/{}:{}: manifest: {}", m_host, repo, ref,
               describe_error(resp));
}

Result<std::optional<std::string>> Registry::referrers(const std::string& repo, const Digest& d,
                                                       const std::string& artifact_type) {
  net::Request req;
  req.url = url(fmt::format("/v2/{}/referrers/{}", repo, d.str()));
  if (!artifact_type.empty()) req.url += "?artifactType=" + net::url_escape(artifact_type);
  req.headers.add("Accept", "application/vnd.oci.image.index.v1+json");
  req.max_body = 4 << 20;
  auto resp = KILN_TRY(send(req, repo_scope(repo, false)));
  // A registry without the API answers 404 (Distribution 2.8: an unknown route) or 405.
  if (resp.status == 404 || resp.status == 405) return std::optional<std::string>();
  if (resp.status != 200)
    return failf(errc_for(resp.status), "{}/{}: referrers of {}: {}", m_host, repo, d,
                 describe_error(resp));
  return std::optional<std::string>(std::move(resp.body));
}

Result<std::vector<std::string>> Registry::tags(const std::string& repo) {
  std::vector<std::string> out;
  std::string next = url(fmt::format("/v2/{}/tags/list?n=1000", repo));
  for (int pages = 0; !next.empty() && pages < 10000; ++pages) {
    net::Request req;
    req.url = next;
    auto resp = KILN_TRY(send(req, repo_scope(repo, false)));
    if (resp.status != 200)
      return failf(errc_for(resp.status), "{}/{}: tags: {}", m_host, repo, describe_error(resp));
    auto page =
        KILN_TRY(codec::parse_tag_list(resp.body, fmt::format("{}/{}: tags", m_host, repo)));
    out.insert(out.end(), page.begin(), page.end());
    next.clear();
    if (auto link = resp.headers.get("Link")) {  // <url>; rel="next"
      auto a = link->find('<'), b = link->find('>');
      if (a != std::string::npos && b != std::string::npos && b > a)
        next = net::resolve_url(m_base + "/", link->substr(a + 1, b - a - 1));
    }
  }
  return out;
}

Result<std::vector<codec::TagHistoryEntry>> Registry::tag_history(const std::string& repo,
                                                                  const std::string& tag) {
  net::Request req;
  req.url = url(fmt::format("/v2/{}/_kiln/tags/{}/history", repo, tag));
  auto resp = KILN_TRY(send(req, repo_scope(repo, false)));
  std::string doc = fmt::format("{}/{}:{}: tag history", m_host, repo, tag);
  if (resp.status == 404 && resp.body.find("MANIFEST_UNKNOWN") != std::string::npos)
    return failf(Errc::not_found, "{}: {}", doc, describe_error(resp));
  if (resp.status == 404 || resp.status == 405)
    return failf(Errc::unsupported,
                 "{}: the registry keeps no tag history (an extension of kiln registry serve)",
                 doc);
  if (resp.status != 200) return failf(errc_for(resp.status), "{}: {}", doc, describe_error(resp));
  return codec::parse_tag_history(resp.body, doc);
}

Status Registry::delete_manifest(const std::string& repo, const Digest& d) {
  net::Request req;
  req.method = "DELETE";
  req.url = url(fmt::format("/v2/{}/manifests/{}", repo, d));
  auto resp = KILN_TRY(send(req, fmt::format("repository:{}:delete", repo)));
  if (resp.status != 202 && resp.status != 200)
    return failf(errc_for(resp.status), "{}/{}@{}: delete: {}", m_host, repo, d,
                 describe_error(resp));
  return {};
}

}  // namespace kiln::registry::client
