// The registry server's configuration: a YAML file shaped like CNCF Distribution's (so an
// existing config.yml mostly carries over), overridden by command-line flags.
//
//   storage:  {filesystem: {rootdirectory: DIR} | inmemory: {} |
//              s3: {bucket, region, regionendpoint, forcepathstyle, accesskey, secretkey,
//                   secure, skipverify, v4auth, rootdirectory, chunksize, multipartcopychunksize,
//                   multipartcopythresholdsize, multipartcopymaxconcurrency},
//              redirect: {disable: false}, delete: {enabled: true},
//              maintenance: {readonly: {enabled: false}}}
//             (s3 credentials also from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
//   http:     {addr: HOST:PORT, tls: {certificate: F, key: F, clientcas: [F]}}
//   auth:     {htpasswd: {realm: R, path: F}} | {token: {realm, service, issuer, rootcertbundle}}
//   log:      {level: debug|info|warn|error, accesslog: {disabled: false}}
//   limits:   {manifest_bytes, blob_bytes, header_bytes, connections, threads,
//              header_timeout, idle_timeout, io_timeout}
//   gc:       {interval: SECONDS (0: off), grace: SECONDS, delete_untagged: false}
//   notifications: {endpoints: [{name, url, headers: {NAME: [VALUE]}, timeout: 1s, backoff: 1s,
//              threshold, disabled, ignoredmediatypes: [..], ignore: {mediatypes, actions},
//              queuesize: 1000}], events: {includereferences}}
//   tags:     {history: {keep: 50, max_age: SECONDS}, immutable: {REPO_GLOB: [TAG_GLOB...]},
//              signed: {REPO_GLOB: [PUBLIC_KEY_FILE...]}}
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/auth.hpp"
#include "kiln/registry/server/http_server.hpp"
#include "kiln/registry/server/notify.hpp"
#include "kiln/registry/server/s3_client.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {

struct GcOptions {
  int64_t interval = 0;  // seconds between online collections; 0: never
  int64_t grace = 3600;  // blobs and links younger than this are never collected
  bool delete_untagged = false;
};

// A pull-through cache of another registry (proxy.hpp).
struct ProxyConfig {
  std::string remote_url;  // https://registry-1.docker.io, http://127.0.0.1:5001
  std::string username;
  std::string password;
  int64_t ttl = 0;  // seconds a fetched tag is served before it is looked up again
};

struct Config {
  std::string root = "./registry-data";
  bool in_memory = false;
  std::optional<S3Options> s3;
  HttpOptions http;
  ServiceOptions service;
  enum class Auth { none, htpasswd, token } auth = Auth::none;
  std::string htpasswd_realm = "kiln registry";
  std::string htpasswd_path;
  TokenConfig token;
  std::string log_level = "info";
  bool access_log = true;
  GcOptions gc;
  std::vector<NotifyEndpoint> notify;
  std::optional<ProxyConfig> proxy;
};

// The storage the configuration names: S3, memory or the filesystem at root.
Result<std::unique_ptr<Driver>> open_storage(const Config& c);

// Reads and checks a file; unknown keys are errors (a typo must not silently disable auth).
Result<Config> load_config(const std::string& path);

}  // namespace kiln::registry::server
