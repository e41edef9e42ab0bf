// `kiln registry serve | gc`: the command line, shared by kiln (which hands the command to the
// kiln-registry helper) and kiln-registry (which runs it). The server links OpenSSL for TLS and
// token signatures; keeping it out of the kiln binary keeps OpenSSL's start-up cost out of every
// other command.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace kiln::cli {

struct ServeArgs {
  std::string config;
  std::string addr;
  std::string root;
  std::string htpasswd;
  std::string realm;
  bool read_only = false;
  bool no_delete = false;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  int64_t gc_interval = -1;
  int64_t gc_grace = -1;
  std::string log_level;
  bool no_access_log = false;
  int threads = 0;
};

struct GcArgs {
  std::string config;
  std::string root;
  bool dry_run = false;
  bool delete_untagged = false;
  int64_t grace = 3600;  // as online: an upload another server finishes now is not garbage
  std::string format;
};

// Adds `registry` with `serve` and `gc` to app; the callbacks run the parsed commands.
void define_registry_server(CLI::App& app, std::function<void(const ServeArgs&)> on_serve,
                            std::function<void(const GcArgs&)> on_gc);

}  // namespace kiln::cli
