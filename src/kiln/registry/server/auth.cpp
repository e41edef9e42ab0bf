#include "kiln/registry/server/auth.hpp"

#include <crypt.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {

std::vector<Access> required_access(const Route& rt, const Request& req) {
  const std::string& m = req.method;
  switch (rt.kind) {
    case RouteKind::base:
      return {};
    case RouteKind::catalog:
      return {{"registry", "catalog", {"*"}}};
    case RouteKind::manifest:
    case RouteKind::blob:
      if (m == "DELETE") return {{"repository", rt.name, {"delete"}}};
      if (m == "PUT") return {{"repository", rt.name, {"push"}}};
      return {{"repository", rt.name, {"pull"}}};
    case RouteKind::upload_start: {
      std::vector<Access> need{{"repository", rt.name, {"push"}}};
      if (std::string from = req.param("from"); !from.empty() && req.has_param("mount"))
        need.push_back({"repository", from, {"pull"}});
      return need;
    }
    case RouteKind::upload:
      return {{"repository", rt.name, {"push"}}};
    case RouteKind::tags:
    case RouteKind::referrers:
    case RouteKind::tag_history:
      return {{"repository", rt.name, {"pull"}}};
    default:
      return {};
  }
}

namespace {

Response unauthorized(const std::string& challenge, Code code, std::string_view detail) {
  Response r = error_response(code, detail);
  if (!challenge.empty()) r.set("WWW-Authenticate", challenge);
  return r;
}

class NoAuth final : public Authenticator {
 public:
  AuthOutcome check(const Request&, const std::vector<Access>&) override { return {true, {}, {}}; }
};

std::optional<std::pair<std::string, std::string>> basic_credentials(std::string_view h) {
  if (h.size() < 6 || to_lower(h.substr(0, 6)) != "basic ") return std::nullopt;
  auto decoded = base64_decode(trim(h.substr(6)), false);
  if (!decoded) return std::nullopt;
  const std::string& out = *decoded;
  size_t colon = out.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(out.substr(0, colon), out.substr(colon + 1));
}

class Htpasswd final : public Authenticator {
 public:
  Htpasswd(std::string realm, std::map<std::string, std::string> users)
      : m_challenge("Basic realm=\"" + realm + "\""), m_users(std::move(users)) {}

  AuthOutcome check(const Request& req, const std::vector<Access>&) override {
    auto creds = basic_credentials(req.header("Authorization"));
    if (!creds) return {false, {}, unauthorized(m_challenge, Code::unauthorized, "")};
    auto it = m_users.find(creds->first);
    if (it == m_users.end() || !password_ok(it->second, creds->first, creds->second))
      return {false, creds->first,
              unauthorized(m_challenge, Code::unauthorized, "wrong user name or password")};
    return {true, creds->first, {}};
  }

 private:
  // bcrypt costs tens of milliseconds by design; a pair that verified once is remembered (by
  // its SHA-256, for a minute) so a push does not pay it per request.
  bool password_ok(const std::string& hash, const std::string& user, const std::string& pass) {
    std::string key = Digest::of(user + '\0' + pass + '\0' + hash).hex();
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(m_mu);
      if (auto it = m_ok.find(key); it != m_ok.end() && it->second > now) return true;
    }
    struct crypt_data data {};
    const char* out = crypt_r(pass.c_str(), hash.c_str(), &data);
    if (!out || out[0] == '*' || hash != out) return false;
    std::lock_guard lock(m_mu);
    if (m_ok.size() > 10000) m_ok.clear();
    m_ok[key] = now + std::chrono::minutes(1);
    return true;
  }

  std::string m_challenge;
  std::map<std::string, std::string> m_users;
  std::mutex m_mu;
  std::map<std::string, std::chrono::steady_clock::time_point> m_ok;
};

std::string scope_string(const std::vector<Access>& need) {
  std::string out;
  for (const auto& a : need) {
    if (!out.empty()) out += ' ';
    std::string actions = join(a.actions, ",");
    if (a.type == "repository" && actions == "push") actions = "pull,push";
    out += a.type + ":" + a.name + ":" + actions;
  }
  return out;
}

class TokenAuth final : public Authenticator {
 public:
  TokenAuth(TokenConfig cfg, std::unique_ptr<TokenVerifier> v)
      : m_cfg(std::move(cfg)), m_verifier(std::move(v)) {}

  AuthOutcome check(const Request& req, const std::vector<Access>& need) override {
    std::string challenge =
        fmt::format("Bearer realm=\"{}\",service=\"{}\"", m_cfg.realm, m_cfg.service);
    if (!need.empty()) challenge += ",scope=\"" + scope_string(need) + "\"";
    std::string_view h = req.header("Authorization");
    if (h.size() < 7 || to_lower(h.substr(0, 7)) != "bearer ")
      return {false, {}, unauthorized(challenge, Code::unauthorized, "")};
    auto claims_text = m_verifier->verify(trim(h.substr(7)));
    if (!claims_text)
      return {false,
              {},
              unauthorized(challenge + ",error=\"invalid_token\"", Code::unauthorized,
                           claims_text.error().message())};
    auto c = parse_claims(*claims_text);
    if (!c) return {false, {}, unauthorized(challenge, Code::unauthorized, "malformed claims")};
    std::string user = c->sub;
    int64_t now = ::time(nullptr);
    constexpr int64_t leeway = 60;
    std::string problem;
    if (c->iss != m_cfg.issuer) problem = "wrong issuer";
    bool aud_ok = std::find(c->aud.begin(), c->aud.end(), m_cfg.service) != c->aud.end();
    if (problem.empty() && !aud_ok) problem = "wrong audience";
    if (problem.empty() && (!c->exp || *c->exp + leeway < now)) problem = "token expired";
    if (problem.empty() && c->nbf && *c->nbf - leeway > now) problem = "token not yet valid";
    if (!problem.empty())
      return {false, user,
              unauthorized(challenge + ",error=\"invalid_token\"", Code::unauthorized, problem)};
    for (const auto& a : need) {
      for (const auto& action : a.actions) {
        if (!granted(*c, a, action))
          return {false, user,
                  unauthorized(challenge + ",error=\"insufficient_scope\"", Code::denied,
                               fmt::format("{}:{}:{} not granted", a.type, a.name, action))};
      }
    }
    bool admin = true;
    for (const auto& a : need)
      if (a.type == "repository") admin = admin && granted(*c, a, "*", true);
    return {true, user, {}, admin};
  }

 private:
  // `only_star`: the grant must be "*" itself (all actions), not the action by name.
  static bool granted(const Claims& claims, const Access& a, const std::string& action,
                      bool only_star = false) {
    for (const auto& g : claims.access) {
      if (g.type != a.type || g.name != a.name) continue;
      for (const auto& x : g.actions)
        if ((x == action && !only_star) || x == "*") return true;
    }
    return false;
  }

  TokenConfig m_cfg;
  std::unique_ptr<TokenVerifier> m_verifier;
};

}  // namespace

std::unique_ptr<Authenticator> no_auth() {
  return std::make_unique<NoAuth>();
}

Result<std::unique_ptr<Authenticator>> htpasswd_auth(const std::string& realm,
                                                     const std::string& path) {
  auto text = os::read_file(path);
  if (!text) return std::unexpected(text.error().context("htpasswd file"));
  std::map<std::string, std::string> users;
  int line_no = 0;
  for (const auto& raw : split(*text, '\n')) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return failf(Errc::invalid_argument, "{}:{}: expected user:hash", path, line_no);
    std::string_view hash = line.substr(colon + 1);
    if (!hash.starts_with("$2y$") && !hash.starts_with("$2b$") && !hash.starts_with("$2a$"))
      return failf(Errc::invalid_argument, "{}:{}: only bcrypt hashes are accepted (htpasswd -B)",
                   path, line_no);
    users.emplace(std::string(line.substr(0, colon)), std::string(hash));
  }
  return std::unique_ptr<Authenticator>(std::make_unique<Htpasswd>(realm, std::move(users)));
}

Result<std::unique_ptr<Authenticator>> token_auth(const TokenConfig& cfg) {
  if (cfg.realm.empty() || cfg.service.empty() || cfg.issuer.empty() || cfg.rootcertbundle.empty())
    return fail(Errc::invalid_argument,
                "token auth needs realm, service, issuer and rootcertbundle");
  auto pem = os::read_file(cfg.rootcertbundle);
  if (!pem) return std::unexpected(pem.error().context("token rootcertbundle"));
  auto v = TokenVerifier::load(*pem);
  if (!v) return std::unexpected(v.error().context(cfg.rootcertbundle));
  return std::unique_ptr<Authenticator>(std::make_unique<TokenAuth>(cfg, std::move(*v)));
}

}  // namespace kiln::registry::server
