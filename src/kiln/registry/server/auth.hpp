// Access control for the registry server: none, htpasswd (bcrypt) Basic auth, or Docker
// token auth (https://distribution.github.io/distribution/spec/auth/token/): RS256/ES256
// JWTs whose certificate chain (x5c) ends in the configured bundle, or that one of the
// bundle's keys signed, with per-repository pull/push/delete access and registry:catalog:*.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/http_types.hpp"
#include "kiln/registry/server/routes.hpp"

namespace kiln::registry::server {

// One entry of a token's "access" claim, or what a request needs.
struct Access {
  std::string type;  // "repository" or "registry"
  std::string name;
  std::vector<std::string> actions;
};

// What a request needs: nothing beyond a valid identity when empty.
std::vector<Access> required_access(const Route& rt, const Request& req);

struct AuthOutcome {
  bool allowed = false;
  std::string user;    // for the access log
  Response challenge;  // 401 or 403 when not allowed
  bool admin = true;   // holds "*" on every repository the request names (Request::admin)
};

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual AuthOutcome check(const Request& req, const std::vector<Access>& need) = 0;
};

std::unique_ptr<Authenticator> no_auth();
// Reads the file now; lines "user:$2y$..." (bcrypt). Other hash kinds are refused.
Result<std::unique_ptr<Authenticator>> htpasswd_auth(const std::string& realm,
                                                     const std::string& path);
struct TokenConfig {
  std::string realm;           // the token server's URL, for the challenge
  std::string service;         // expected in "aud"
  std::string issuer;          // expected in "iss"
  std::string rootcertbundle;  // PEM certificates
};
Result<std::unique_ptr<Authenticator>> token_auth(const TokenConfig& cfg);

// Base64 (url: the URL-safe alphabet, padding optional), as JWTs and Basic credentials use it.
Result<std::string> base64_decode(std::string_view in, bool url);

// The JWT verification under token_auth, exposed for tests. Returns the claims as JSON text.
class TokenVerifier {
 public:
  static Result<std::unique_ptr<TokenVerifier>> load(const std::string& bundle_pem);
  virtual ~TokenVerifier() = default;
  virtual Result<std::string> verify(std::string_view jwt) const = 0;
};

}  // namespace kiln::registry::server
