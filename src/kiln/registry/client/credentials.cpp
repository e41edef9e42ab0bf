#include "kiln/registry/client/credentials.hpp"

#include <unistd.h>

#include <cstdlib>

#include "kiln/net/http.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/os/subprocess.hpp"
#include "kiln/registry/client/json_codec.hpp"

namespace kiln::registry::client {

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

// config.json's text; "{}" when there is none yet.
Result<std::string> read_config(const std::string& file) {
  auto raw = os::read_file(file);
  if (!raw) {
    if (raw.error().code() == Errc::not_found) return std::string("{}");
    return std::unexpected(raw.error());
  }
  KILN_TRY(codec::check_docker_config(*raw, file));
  return std::move(*raw);
}

Status write_config(const std::string& file, const std::string& text) {
  auto slash = file.rfind('/');
  std::string dir = slash == std::string::npos ? "." : file.substr(0, slash);
  auto d = KILN_TRY(os::Dir::create(dir, 0700));
  return os::write_file_atomic(d, file.substr(slash + 1), text, 0600);
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

// docker-credential-HELPER store: a user name ("<token>" for an identity token) and secret.
Status helper_store(const std::string& helper, const std::string& key, const std::string& user,
                    const std::string& secret) {
  KILN_TRY(run_helper(helper, "store", codec::helper_store_input(key, user, secret)));
  return {};
}

}  // namespace

Result<std::optional<Credentials>> lookup_credentials(const std::string& file,
                                                      const std::string& host) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  if (auto helper = codec::helper_for(cfg, key); !helper.empty()) {
    auto out = run_helper(helper, "get", key);
    if (!out) return std::optional<Credentials>{};  // the helper knows nothing of this registry
    return std::optional<Credentials>(KILN_TRY(codec::parse_helper_answer(*out, helper)));
  }
  return codec::auth_entry(cfg, file, key);
}

Status store_credentials(const std::string& file, const std::string& host, const Credentials& c,
                         const std::string& identity_token) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  bool token = !identity_token.empty();
  if (auto helper = codec::helper_for(cfg, key); !helper.empty())
    return helper_store(helper, key, token ? "<token>" : c.username,
                        token ? identity_token : c.password);
  std::string auth = net::base64_encode(c.username + ":" + (token ? "" : c.password));
  return write_config(file, codec::with_auth(cfg, key, auth, identity_token));
}

Status update_identity_token(const std::string& file, const std::string& host,
                             const std::string& token) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  if (auto helper = codec::helper_for(cfg, key); !helper.empty())
    return helper_store(helper, key, "<token>", token);
  return write_config(file, codec::with_identity_token(cfg, key, token));
}

Result<bool> erase_credentials(const std::string& file, const std::string& host) {
  auto cfg = KILN_TRY(read_config(file));
  std::string key = config_key(host);
  if (auto helper = codec::helper_for(cfg, key); !helper.empty()) {
    KILN_TRY(run_helper(helper, "erase", key));
    return true;
  }
  auto edited = codec::without_auth(cfg, key);
  if (!edited) return false;
  KILN_TRY(write_config(file, *edited));
  return true;
}

}  // namespace kiln::registry::client
