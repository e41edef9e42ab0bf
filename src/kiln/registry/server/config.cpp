#include "kiln/registry/server/config.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <set>

#include "kiln/os/dir.hpp"
#include "kiln/registry/server/s3_driver.hpp"

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
Status read_s3(ConfigReader& r, const YAML::Node& n, Config& c) {
  if (!r.known(
          n, "storage.s3",
          {"bucket", "region", "regionendpoint", "forcepathstyle", "accesskey", "secretkey",
           "secure", "skipverify", "v4auth", "rootdirectory", "chunksize", "multipartcopychunksize",
           "multipartcopythresholdsize", "multipartcopymaxconcurrency"}))
    return fail(Errc::invalid_argument, r.error);
  S3Options o;
  r.get(n, "bucket", o.bucket);
  r.get(n, "region", o.creds.region);
  r.get(n, "regionendpoint", o.endpoint);
  o.path_style = !o.endpoint.empty();
  r.get(n, "forcepathstyle", o.path_style);
  r.get(n, "accesskey", o.creds.access_key);
  r.get(n, "secretkey", o.creds.secret_key);
  r.get(n, "secure", o.secure);
  r.get(n, "skipverify", o.skip_verify);
  r.get(n, "rootdirectory", o.root);
  r.get(n, "chunksize", o.chunk_size);
  r.get(n, "multipartcopychunksize", o.copy_chunk_size);
  r.get(n, "multipartcopythresholdsize", o.copy_threshold);
  r.get(n, "multipartcopymaxconcurrency", o.copy_concurrency);
  bool v4 = true;
  r.get(n, "v4auth", v4);
  if (!r.error.empty()) return fail(Errc::invalid_argument, r.error);
  if (!v4)
    return failf(Errc::unsupported, "{}: storage.s3.v4auth: only Signature Version 4 is supported",
                 r.file);
  if (o.bucket.empty())
    return failf(Errc::invalid_argument, "{}: storage.s3.bucket is missing", r.file);
  if (o.creds.access_key.empty())
    if (const char* e = std::getenv("AWS_ACCESS_KEY_ID")) o.creds.access_key = e;
  if (o.creds.secret_key.empty())
    if (const char* e = std::getenv("AWS_SECRET_ACCESS_KEY")) o.creds.secret_key = e;
  if (o.creds.access_key.empty() || o.creds.secret_key.empty())
    return failf(Errc::invalid_argument,
                 "{}: storage.s3 needs accesskey and secretkey (or AWS_ACCESS_KEY_ID and "
                 "AWS_SECRET_ACCESS_KEY)",
                 r.file);
  c.s3 = std::move(o);
  c.service.redirect = true;  // as Distribution: storage.redirect.disable turns it off
  return {};
}

Status read_storage(ConfigReader& r, const YAML::Node& st, Config& c) {
  if (!r.known(st, "storage",
               {"filesystem", "inmemory", "s3", "redirect", "delete", "maintenance", "cache"}))
    return fail(Errc::invalid_argument, r.error);
  int kinds =
      (st && st["filesystem"] ? 1 : 0) + (st && st["inmemory"] ? 1 : 0) + (st && st["s3"] ? 1 : 0);
  if (kinds > 1)
    return failf(Errc::invalid_argument,
                 "{}: storage names more than one of filesystem, "
                 "inmemory and s3",
                 r.file);
  if (st && st["filesystem"]) r.get(st["filesystem"], "rootdirectory", c.root);
  if (st && st["inmemory"]) c.in_memory = true;
  if (st && st["s3"]) KILN_TRY(read_s3(r, st["s3"], c));
  if (st && st["redirect"]) {
    bool disable = false;
    r.get(st["redirect"], "disable", disable);
    if (disable) c.service.redirect = false;
  }
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

Status read_endpoint(ConfigReader& r, const YAML::Node& n, Config& c) {
  if (!r.known(n, "notifications.endpoints[]",
               {"name", "url", "headers", "timeout", "backoff", "threshold", "disabled",
                "ignoredmediatypes", "ignore", "queuesize"}))
    return fail(Errc::invalid_argument, r.error);
  NotifyEndpoint ep;
  r.get(n, "name", ep.name);
  r.get(n, "url", ep.url);
  r.get(n, "threshold", ep.threshold);
  r.get(n, "disabled", ep.disabled);
  r.get(n, "queuesize", ep.queue);
  for (const char* key : {"timeout", "backoff"}) {
    std::string text;
    r.get(n, key, text);
    if (text.empty()) continue;
    auto secs = parse_duration_seconds(text);
    if (!secs || *secs <= 0)
      return failf(Errc::invalid_argument,
                   "{}: notifications endpoint {}: {} '{}' is not a "
                   "duration (500ms, 1s, 2m)",
                   r.file, ep.name, key, text);
    (std::string_view(key) == "timeout" ? ep.timeout_s : ep.backoff_s) = *secs;
  }
  std::vector<std::string> list;
  r.get(n, "ignoredmediatypes", list);
  ep.ignored_media_types.insert(list.begin(), list.end());
  if (n["ignore"]) {
    if (!r.known(n["ignore"], "notifications.endpoints[].ignore", {"mediatypes", "actions"}))
      return fail(Errc::invalid_argument, r.error);
    list.clear();
    r.get(n["ignore"], "mediatypes", list);
    ep.ignored_media_types.insert(list.begin(), list.end());
    list.clear();
    r.get(n["ignore"], "actions", list);
    ep.ignored_actions.insert(list.begin(), list.end());
  }
  if (n["headers"]) {
    if (!n["headers"].IsMap())
      return failf(Errc::invalid_argument,
                   "{}: notifications endpoint {}: headers must map "
                   "names to lists of values",
                   r.file, ep.name);
    for (const auto& kv : n["headers"]) {
      std::vector<std::string> values;
      r.get(n["headers"], kv.first.as<std::string>().c_str(), values);
      for (auto& v : values) ep.headers.emplace_back(kv.first.as<std::string>(), std::move(v));
    }
  }
  if (!r.error.empty()) return fail(Errc::invalid_argument, r.error);
  if (ep.name.empty() || !(ep.url.starts_with("http://") || ep.url.starts_with("https://")))
    return failf(Errc::invalid_argument,
                 "{}: a notifications endpoint needs a name and an http(s) url", r.file);
  c.notify.push_back(std::move(ep));
  return {};
}

Status read_notifications(ConfigReader& r, const YAML::Node& n, Config& c) {
  if (!r.known(n, "notifications", {"endpoints", "events"}))
    return fail(Errc::invalid_argument, r.error);
  if (!n || !n["endpoints"]) return {};
  if (!n["endpoints"].IsSequence())
    return failf(Errc::invalid_argument, "{}: notifications.endpoints must be a list", r.file);
  for (const auto& ep : n["endpoints"]) KILN_TRY(read_endpoint(r, ep, c));
  return {};
}

Status read_proxy(ConfigReader& r, const YAML::Node& n, Config& c) {
  if (!n) return {};
  if (!r.known(n, "proxy", {"remoteurl", "username", "password", "ttl"}))
    return fail(Errc::invalid_argument, r.error);
  ProxyConfig p;
  r.get(n, "remoteurl", p.remote_url);
  r.get(n, "username", p.username);
  r.get(n, "password", p.password);
  if (!p.remote_url.starts_with("http://") && !p.remote_url.starts_with("https://"))
    return failf(Errc::invalid_argument, "{}: proxy.remoteurl '{}' is not an http(s) URL", r.file,
                 p.remote_url);
  while (p.remote_url.ends_with("/")) p.remote_url.pop_back();
  std::string ttl;
  r.get(n, "ttl", ttl);
  if (!ttl.empty()) {
    auto secs = parse_duration_seconds(ttl);
    if (!secs || *secs < 0)
      return failf(Errc::invalid_argument, "{}: proxy.ttl '{}' is not a duration (30s, 10m, 168h)",
                   r.file, ttl);
    p.ttl = static_cast<int64_t>(*secs);
  }
  c.proxy = std::move(p);
  return {};
}

}  // namespace

Result<std::unique_ptr<Driver>> open_storage(const Config& c) {
  if (c.s3) return s3_driver(*c.s3);
  if (c.in_memory) return memory_driver();
  return filesystem_driver(c.root);
}

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
               {"version", "storage", "http", "auth", "log", "limits", "gc", "tags",
                "notifications", "proxy"}))
    return fail(Errc::invalid_argument, r.error);
  KILN_TRY(read_storage(r, y["storage"], c));
  KILN_TRY(read_http(r, y["http"], c));
  KILN_TRY(read_auth(r, y["auth"], c));
  KILN_TRY(read_log(r, y["log"], c));
  KILN_TRY(read_limits(r, y["limits"], c));
  KILN_TRY(read_gc(r, y["gc"], c));
  KILN_TRY(read_tags(r, y["tags"], c));
  KILN_TRY(read_notifications(r, y["notifications"], c));
  KILN_TRY(read_proxy(r, y["proxy"], c));
  if (!r.error.empty()) return fail(Errc::invalid_argument, r.error);
  return c;
}

}  // namespace kiln::registry::server
