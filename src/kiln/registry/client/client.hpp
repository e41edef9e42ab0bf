// Registry client: the OCI distribution API (v1.1) and Docker Registry HTTP API v2 over
// net::HttpTransport. Authentication follows the registry's WWW-Authenticate challenge: Basic, or
// Bearer tokens from the realm per Docker's token spec (anonymous or with credentials; several
// scopes at once; reused until they expire). Requests that can be repeated are retried on
// connection errors, 5xx and 429 (Retry-After honoured) with backoff. Blob downloads stream,
// follow redirects to other hosts without our Authorization header, and resume with Range after
// a dropped connection. Thread-safe: concurrent requests use a pool of connections and share
// tokens.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kiln/image/image.hpp"
#include "kiln/net/http.hpp"
#include "kiln/os/clock.hpp"
#include "kiln/registry/client/credentials.hpp"
#include "kiln/registry/client/json_codec.hpp"

namespace kiln::registry::client {

struct Options {
  std::optional<bool> tls_verify;    // default: verify, except plain HTTP for loopback hosts
  std::optional<Credentials> creds;  // --creds; else the auth file
  std::string authfile;              // --authfile
  int max_retries = 4;
  int stall_timeout_s = 60;
  // Ask a token server for a refresh token along with the first token (offline_token=true,
  // as docker login does); identity_token() then returns it.
  bool offline_token = false;
  // Seams for tests: the HTTP transport (default: net::curl_transport with docker's TLS
  // settings for the host) and the clock that backoff sleeps and token expiry read (default:
  // os::real_clock()). The clock must outlive the Registry.
  std::shared_ptr<net::HttpTransport> transport;
  os::Clock* clock = nullptr;
};

class Registry {
 public:
  // host as in a reference ("docker.io", "localhost:5000").
  static Result<std::unique_ptr<Registry>> open(const std::string& host, const Options& opts);

  const std::string& host() const { return m_host; }
  // GET /v2/ and authenticate: verifies the credentials (kiln login).
  Status ping();
  // The refresh token a token server gave for offline_token=true ("" when none).
  std::string identity_token() const;
  Result<image::Document> get_manifest(const std::string& repo, const std::string& ref);
  // The size when the registry has the blob.
  Result<std::optional<int64_t>> head_blob(const std::string& repo, const Digest& d);
  // Streams a blob into out (unverified: callers verify), resuming after a dropped connection.
  Status get_blob(const std::string& repo, const oci::Descriptor& d, io::Writer& out);
  // Mounts a blob from another repository of this registry; false when the registry declined.
  Result<bool> mount_blob(const std::string& repo, const Digest& d, const std::string& from);
  // Uploads a blob (size -1: unknown, streamed).
  Status put_blob(const std::string& repo, const oci::Descriptor& d, io::Reader& data);
  Status put_manifest(const std::string& repo, const std::string& ref, const image::Document& m);
  Result<std::vector<std::string>> tags(const std::string& repo);
  // kiln registry's extension: what the tag pointed at over time, newest first.
  Result<std::vector<codec::TagHistoryEntry>> tag_history(const std::string& repo,
                                                          const std::string& tag);
  Status delete_manifest(const std::string& repo, const Digest& d);
  // The referrers API (OCI distribution 1.1): the image index listing the manifests whose
  // subject is d, filtered by artifactType when given ("" for all), or nullopt when the
  // registry has no referrers API (then the `sha256-<hex>` tag schema applies).
  Result<std::optional<std::string>> referrers(const std::string& repo, const Digest& d,
                                               const std::string& artifact_type);

 private:
  Registry(std::string host, std::string base, Options opts);
  Result<net::Response> send(net::Request req, const std::string& scope, bool repeatable = true);
  // `used`: the Authorization the refused request carried ("" for none).
  Status authorize(const std::string& scope, const net::Response& challenge,
                   const std::string& used);
  // Bearer: asks the challenge's realm for a token (m_auth_mu held).
  Status fetch_token(const std::string& scope, const net::Challenge& c);
  net::Request token_request(const std::string& realm, const std::string& service,
                             const std::vector<std::string>& scopes);
  Status take_token(const std::string& scope, const net::Response& resp);
  std::string url(const std::string& path) const { return m_base + path; }

  std::string m_host, m_base;
  Options m_opts;
  Result<net::Response> perform(const net::Request& req);
  std::shared_ptr<net::HttpTransport> m_http;
  os::Clock& m_clock;
  mutable std::mutex m_mu;  // m_tokens, m_basic, m_offline_token
  std::mutex m_auth_mu;     // one authorization at a time
  struct Token {
    std::string header;  // the Authorization value
    os::Clock::time_point expires;
  };
  std::map<std::string, Token> m_tokens;  // by scope
  std::string m_basic;                    // Authorization for Basic registries
  std::string m_refresh_token;            // OAuth2: the identity token, renewed by the server
  std::string m_offline_token;            // the refresh token asked for by offline_token
  bool m_creds_loaded = false;
  std::optional<Credentials> m_creds;
};

// Blobs up to this size are uploaded with one PUT (POST, then PUT ?digest= with the body).
inline constexpr int64_t k_monolithic_max = 1 << 20;

// "repository:NAME:pull,push"
std::string repo_scope(const std::string& repo, bool push);

}  // namespace kiln::registry::client
