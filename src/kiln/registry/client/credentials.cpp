#include "kiln/registry/client/credentials.hpp"

#include <unistd.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/net/http.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/os/subprocess.hpp"
#include "kiln/registry/client/json_fields.hpp"

namespace kiln::registry::client {

using nlohmann::json;

std::string auth_file_path(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) return f;
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return std::string(d) + "/config.json";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + "/.docker/config.json";
}

std::string config_key(const std::string& host) {
  if (host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io")
    return "https://index.docker.io/v1/";
  return host;
}

namespace {

Result<json> read_config(const std::string& file) {
  auto raw = os::read_file(file);
  if (!raw) {
    if (raw.error().code() == Errc::not_found) return json::object();
    return std::unexpected(raw.error());
  }
  json j = parse_json_or_discarded<json>(*raw);
  if (j.is_discarded() || !j.is_object())
    return failf(Errc::corrupt, "{}: not a JSON object", file);
  return j;
}

Status write_config(const std::string& file, const json& j) {
  auto slash = file.rfind('/');
  std::string dir = slash == std::string::npos ? "." : file.substr(0, slash);
  auto d = KILN_TRY(os::Dir::create(dir, 0700));
  return os::write_file_atomic(d, file.substr(slash + 1), j.dump(1, '\t') + "\n", 0600);
}

// Runs docker-credential-<helper> ACTION with `input` on stdin; returns its stdout.
Result<std::string> run_helper(const std::string& helper, const std::string& action,
                               const std::string& input) {
  std::string prog = "docker-credential-" + helper;
  auto child = KILN_TRY(os::Subprocess::spawn({prog, action}));
  auto done = KILN_TRY(child.communicate(input));
  if (done.exit_code != 0)
    return failf(Errc::io, "credential helper {} {} failed: {}", prog, action, done.out);
  return done.out;
}

std::string helper_for(const json& cfg, const std::string& key) {
  if (cfg.contains("credHelpers") && cfg["credHelpers"].is_object() &&
      cfg["credHelpers"].contains(key) && cfg["credHelpers"][key].is_string())
    return cfg["credHelpers"][key].get<std::string>();
  if (cfg.contains("credsStore") && cfg["credsStore"].is_string())
    return cfg["credsStore"].get<std::string>();
  return "";
}

// docker-credential-HELPER store: a user name ("<token>" for an identity token) and secret.
Status helper_store(const std::string& helper, const std::string& key, const std::string& user,
                    const std::string& secret) {
  json in = {{"ServerURL", key}, {"Username", user}, {"Secret", secret}};
  KILN_TRY(run_helper(helper, "store", in.dump()));
  return {};
}

}  // namespace

Result<std::optional<Credentials>> lookup_credentials(const std::string& file,
                                                      const std::string& host) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  if (auto helper = helper_for(cfg, key); !helper.empty()) {
    auto out = run_helper(helper, "get", key);
    if (!out) return std::optional<Credentials>{};  // the helper knows nothing of this registry
    json j = parse_json_or_discarded<json>(*out);
    if (j.is_discarded() || !j.is_object())
      return failf(Errc::corrupt, "credential helper {}: unreadable answer", helper);
    auto doc = fmt::format("credential helper {}: answer", helper);
    auto user = KILN_TRY(detail::opt_string(j, "Username", doc));
    auto secret = KILN_TRY(detail::opt_string(j, "Secret", doc));
    return std::optional<Credentials>(Credentials{std::move(user), std::move(secret)});
  }
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) return std::optional<Credentials>{};
  for (const auto& [k, v] : cfg["auths"].items()) {
    std::string norm = k;
    if (norm.starts_with("https://") || norm.starts_with("http://"))
      norm = norm.substr(norm.find("://") + 3);
    if (auto s = norm.find('/'); s != std::string::npos && k != "https://index.docker.io/v1/")
      norm = norm.substr(0, s);
    if (k != key && norm != key) continue;
    if (!v.is_object()) continue;
    if (v.contains("identitytoken") && v["identitytoken"].is_string())
      return std::optional<Credentials>(
          Credentials{"<token>", v["identitytoken"].get<std::string>()});
    if (!v.contains("auth") || !v["auth"].is_string()) continue;
    auto raw = KILN_TRY_CTX(net::base64_decode(v["auth"].get<std::string>()),
                            fmt::format("{}: auths.{}", file, k));
    auto colon = raw.find(':');
    if (colon == std::string::npos)
      return failf(Errc::corrupt, "{}: auths.{}: auth is not \"user:password\"", file, k);
    return std::optional<Credentials>(Credentials{raw.substr(0, colon), raw.substr(colon + 1)});
  }
  return std::optional<Credentials>{};
}

Status store_credentials(const std::string& file, const std::string& host, const Credentials& c,
                         const std::string& identity_token) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  bool token = !identity_token.empty();
  if (auto helper = helper_for(cfg, key); !helper.empty())
    return helper_store(helper, key, token ? "<token>" : c.username,
                        token ? identity_token : c.password);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = json::object();
  cfg["auths"][key] = {{"auth", net::base64_encode(c.username + ":" + (token ? "" : c.password))}};
  if (token) cfg["auths"][key]["identitytoken"] = identity_token;
  return write_config(file, cfg);
}

Status update_identity_token(const std::string& file, const std::string& host,
                             const std::string& token) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  if (auto helper = helper_for(cfg, key); !helper.empty())
    return helper_store(helper, key, "<token>", token);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = json::object();
  auto& entry = cfg["auths"][key];
  if (!entry.is_object()) entry = json::object();
  entry["identitytoken"] = token;
  return write_config(file, cfg);
}

Result<bool> erase_credentials(const std::string& file, const std::string& host) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  if (auto helper = helper_for(cfg, key); !helper.empty()) {
    KILN_TRY(run_helper(helper, "erase", key));
    return true;
  }
  if (!cfg.contains("auths") || !cfg["auths"].is_object() || !cfg["auths"].contains(key))
    return false;
  cfg["auths"].erase(key);
  KILN_TRY(write_config(file, cfg));
  return true;
}

}  // namespace kiln::registry::client
