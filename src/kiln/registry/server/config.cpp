#include "kiln/registry/server/config.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

#include "kiln/os/dir.hpp"

namespace kiln::registry::server {
namespace {

struct ConfigReader {
  std::string file;
  std::string error;

  bool known(const YAML::Node& n, std::string_view where, std::set<std::string> keys) {
    if (!n.IsDefined() || n.IsNull()) return true;
    if (!n.IsMap()) {
      error = fmt::format("{}: {} must be a mapping", file, where);
      return false;
    }
    for (const auto& kv : n) {
      auto k = kv.first.as<std::string>();
      if (!keys.contains(k)) {
        error = fmt::format("{}: unknown key {}.{}", file, where, k);
        return false;
      }
    }
    return true;
  }
  template <class T>
  void get(const YAML::Node& n, const char* key, T& out) {
    if (!error.empty() || !n.IsDefined() || !n.IsMap() || !n[key]) return;
    try {
      out = n[key].as<T>();
    } catch (const YAML::Exception&) {
      error = fmt::format("{}: {} has the wrong type", file, key);
    }
  }
};

// Each section: its keys checked, its values read (a wrong type is kept in r.error).
Status read_storage(ConfigReader& r, const YAML::Node& st, Config& c) {
  if (!r.known(st, "storage", {"filesystem", "inmemory", "delete", "maintenance", "cache"}))
    return fail(Errc::invalid_argument, r.error);
  if (st && st["filesystem"]) r.get(st["filesystem"], "rootdirectory", c.root);
  if (st && st["inmemory"]) c.in_memory = true;
  if (st && st["delete"]) r.get(st["delete"], "enabled", c.service.delete_enabled);
  if (st && st["maintenance"] && st["maintenance"]["readonly"])
    r.get(st["maintenance"]["readonly"], "enabled", c.service.read_only);
  return {};
}

Status read_http(ConfigReader& r, const YAML::Node& http, Config& c) {
  if (!r.known(http, "http", {"addr", "tls", "host", "secret", "headers"}))
    return fail(Errc::invalid_argument, r.error);
  r.get(http, "addr", c.http.listen);
  if (http && http["tls"]) {
    auto tls = http["tls"];
    r.get(tls, "certificate", c.http.tls_cert);
    r.get(tls, "key", c.http.tls_key);
    if (tls["clientcas"] && tls["clientcas"].IsSequence() && tls["clientcas"].size() > 0)
      c.http.tls_client_ca = tls["clientcas"][0].as<std::string>();
  }
  return {};
}

Status read_auth(ConfigReader& r, const YAML::Node& auth, Config& c) {
  if (!r.known(auth, "auth", {"htpasswd", "token"})) return fail(Errc::invalid_argument, r.error);
  if (auth && auth["htpasswd"]) {
    c.auth = Config::Auth::htpasswd;
    r.get(auth["htpasswd"], "realm", c.htpasswd_realm);
    r.get(auth["htpasswd"], "path", c.htpasswd_path);
  } else if (auth && auth["token"]) {
    c.auth = Config::Auth::token;
    auto t = auth["token"];
    r.get(t, "realm", c.token.realm);
    r.get(t, "service", c.token.service);
    r.get(t, "issuer", c.token.issuer);
    r.get(t, "rootcertbundle", c.token.rootcertbundle);
    c.service.auto_mount = false;
  }
  return {};
}

Status read_log(ConfigReader& r, const YAML::Node& log, Config& c) {
  if (!r.known(log, "log", {"level", "accesslog", "formatter", "fields"}))
    return fail(Errc::invalid_argument, r.error);
  r.get(log, "level", c.log_level);
  if (log && log["accesslog"]) {
    bool disabled = false;
    r.get(log["accesslog"], "disabled", disabled);
    c.access_log = !disabled;
  }
  return {};
}

Status read_limits(ConfigReader& r, const YAML::Node& lim, Config& c) {
  if (!r.known(lim, "limits",
               {"manifest_bytes", "blob_bytes", "header_bytes", "connections", "threads",
                "header_timeout", "idle_timeout", "io_timeout"}))
    return fail(Errc::invalid_argument, r.error);
  r.get(lim, "manifest_bytes", c.service.max_manifest_bytes);
  r.get(lim, "blob_bytes", c.service.max_blob_bytes);
  r.get(lim, "header_bytes", c.http.header_limit);
  r.get(lim, "connections", c.http.max_connections);
  r.get(lim, "threads", c.http.threads);
  auto seconds = [&](const char* key, std::chrono::seconds& out) {
    int64_t secs = -1;
    r.get(lim, key, secs);
    if (secs > 0) out = std::chrono::seconds(secs);
  };
  seconds("header_timeout", c.http.header_timeout);
  seconds("idle_timeout", c.http.idle_timeout);
  seconds("io_timeout", c.http.io_timeout);
  return {};
}

Status read_gc(ConfigReader& r, const YAML::Node& gc, Config& c) {
  if (!r.known(gc, "gc", {"interval", "grace", "delete_untagged"}))
    return fail(Errc::invalid_argument, r.error);
  r.get(gc, "interval", c.gc.interval);
  r.get(gc, "grace", c.gc.grace);
  r.get(gc, "delete_untagged", c.gc.delete_untagged);
  return {};
}

// tags.signed: {REPO_GLOB: [PUBLIC_KEY_FILE, ...]}; relative files are relative to the config's
// directory. Every key is read now: a rule whose key cannot be read must not start.
Status read_signed(ConfigReader& r, const YAML::Node& node, Config& c) {
  if (!node.IsDefined() || node.IsNull()) return {};
  auto bad = [&] {
    return failf(Errc::invalid_argument,
                 "{}: tags.signed must map repository patterns to lists of public key files, "
                 "e.g. {{\"prod/*\": [\"/etc/kiln/cosign.pub\"]}}",
                 r.file);
  };
  if (!node.IsMap()) return bad();
  std::string dir = r.file.find('/') == std::string::npos ? std::string(".")
                                                          : r.file.substr(0, r.file.rfind('/'));
  try {
    for (const auto& kv : node) {
      SignedRule rule;
      rule.repository = kv.first.as<std::string>();
      if (!kv.second.IsSequence() || rule.repository.empty() || kv.second.size() == 0) return bad();
      for (const auto& f : kv.second) {
        std::string path = f.as<std::string>();
        if (!path.starts_with("/")) path = dir + "/" + path;
        auto pem = os::read_file(path);
        if (!pem)
          return failf(Errc::invalid_argument, "{}: tags.signed \"{}\": {}", r.file,
                       rule.repository, pem.error().message());
        rule.keys.push_back(KILN_TRY_CTX(sign::Key::load_public(*pem, path),
                                         fmt::format("{}: tags.signed", r.file)));
        rule.key_files.push_back(path);
      }
      c.service.signed_tags.push_back(std::move(rule));
    }
  } catch (const YAML::Exception&) {
    return bad();
  }
  return {};
}

// tags: {history: {keep: N, max_age: SECONDS}, immutable: {REPO_GLOB: [TAG_GLOB, ...]},
//        signed: {REPO_GLOB: [PUBLIC_KEY_FILE, ...]}}
Status read_tags(ConfigReader& r, const YAML::Node& tags, Config& c) {
  if (!r.known(tags, "tags", {"history", "immutable", "signed"}))
    return fail(Errc::invalid_argument, r.error);
  if (!tags.IsDefined() || tags.IsNull()) return {};
  const YAML::Node& h = tags["history"];
  if (!r.known(h, "tags.history", {"keep", "max_age"}))
    return fail(Errc::invalid_argument, r.error);
  r.get(h, "keep", c.service.history.keep);
  r.get(h, "max_age", c.service.history.max_age);
  if (c.service.history.keep < 1 || c.service.history.max_age < 0)
    return failf(Errc::invalid_argument,
                 "{}: tags.history.keep must be at least 1 and max_age (seconds) not negative",
                 r.file);
  KILN_TRY(read_signed(r, tags["signed"], c));
  const YAML::Node& imm = tags["immutable"];
  if (!imm.IsDefined() || imm.IsNull()) return {};
  auto bad = [&] {
    return failf(Errc::invalid_argument,
                 "{}: tags.immutable must map repository patterns to lists of tag patterns, "
                 "e.g. {{\"prod/*\": [\"v*\", \"[0-9]*\"]}}",
                 r.file);
  };
  if (!imm.IsMap()) return bad();
  try {
    for (const auto& kv : imm) {
      ImmutableRule rule{kv.first.as<std::string>(), {}};
      if (!kv.second.IsSequence()) return bad();
      for (const auto& p : kv.second) rule.patterns.push_back(p.as<std::string>());
      if (rule.repository.empty() || rule.patterns.empty()) return bad();
      c.service.immutable.push_back(std::move(rule));
    }
  } catch (const YAML::Exception&) {
    return bad();
  }
  return {};
}

}  // namespace

Result<Config> load_config(const std::string& path) {
  auto text = os::read_file(path);
  if (!text) return std::unexpected(text.error().context("registry config"));
  YAML::Node y;
  try {
    y = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return failf(Errc::invalid_argument, "{}: {}", path, e.what());
  }
  Config c;
  ConfigReader r{path, {}};
  if (!y.IsDefined() || y.IsNull()) return c;
  if (!r.known(y, "top level",
               {"version", "storage", "http", "auth", "log", "limits", "gc", "tags"}))
    return fail(Errc::invalid_argument, r.error);
  KILN_TRY(read_storage(r, y["storage"], c));
  KILN_TRY(read_http(r, y["http"], c));
  KILN_TRY(read_auth(r, y["auth"], c));
  KILN_TRY(read_log(r, y["log"], c));
  KILN_TRY(read_limits(r, y["limits"], c));
  KILN_TRY(read_gc(r, y["gc"], c));
  KILN_TRY(read_tags(r, y["tags"], c));
  if (!r.error.empty()) return fail(Errc::invalid_argument, r.error);
  return c;
}

}  // namespace kiln::registry::server
