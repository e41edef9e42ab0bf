// kiln-registry: runs `kiln registry serve | gc` (kiln hands those commands over with exec).
// A separate program so that the server's OpenSSL (TLS, token signatures) is not loaded and
// relocated at the start of every other kiln command.
#include <fcntl.h>
#include <sys/file.h>

#include <CLI/CLI.hpp>

#include <csignal>

#include "kiln/base/log.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/cli/registry_server_cli.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/registry/server/app.hpp"
#include "kiln/registry/server/gc.hpp"
#include "kiln/registry/server/json_codec.hpp"
#include "registry/upstream.hpp"

namespace kiln::cli {
namespace {

namespace rs = registry::server;

Result<rs::Config> base_config(const std::string& file) {
  if (file.empty()) return rs::Config{};
  return rs::load_config(file);
}

// A running server holds an exclusive lock on ROOT/.lock; offline gc must not run beside it.
Result<Fd> lock_root(const std::string& root, std::string_view who) {
  auto dir = os::Dir::create(root);
  if (!dir) return std::unexpected(dir.error());
  auto fd = dir->open_file(".lock", O_RDWR | O_CREAT, 0644);
  if (!fd) return std::unexpected(fd.error());
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0)
    return failf(Errc::conflict,
                 "{}: the registry storage {} is in use by a running `kiln registry serve`{}", who,
                 root,
                 who == "gc" ? " (stop it first, or let it collect online: gc.interval)" : "");
  return fd;
}

Status serve(const ServeArgs& a) {
  auto cfg = base_config(a.config);
  if (!cfg) return std::unexpected(cfg.error());
  if (!a.addr.empty()) cfg->http.listen = a.addr;
  if (!a.root.empty()) {
    cfg->root = a.root;
    cfg->in_memory = false;
    cfg->s3.reset();
  }
  if (!a.htpasswd.empty()) {
    cfg->auth = rs::Config::Auth::htpasswd;
    cfg->htpasswd_path = a.htpasswd;
  }
  if (!a.realm.empty()) cfg->htpasswd_realm = a.realm;
  if (a.read_only) cfg->service.read_only = true;
  if (a.no_delete) cfg->service.delete_enabled = false;
  if (!a.tls_cert.empty()) cfg->http.tls_cert = a.tls_cert;
  if (!a.tls_key.empty()) cfg->http.tls_key = a.tls_key;
  if (!a.tls_client_ca.empty()) cfg->http.tls_client_ca = a.tls_client_ca;
  if (a.gc_interval >= 0) cfg->gc.interval = a.gc_interval;
  if (a.gc_grace >= 0) cfg->gc.grace = a.gc_grace;
  if (!a.log_level.empty()) cfg->log_level = a.log_level;
  if (a.no_access_log) cfg->access_log = false;
  if (a.threads > 0) cfg->http.threads = a.threads;
  if (cfg->log_level == "debug")
    log::set_level(log::Level::debug);
  else if (cfg->log_level == "warn" || cfg->log_level == "error")
    cfg->access_log = false;
  else if (cfg->log_level != "info")
    return failf(Errc::invalid_argument, "log level '{}': want debug, info, warn or error",
                 cfg->log_level);
  Fd lock;
  if (!cfg->in_memory && !cfg->s3) {
    auto l = lock_root(cfg->root, "serve");
    if (!l) return std::unexpected(l.error());
    lock = std::move(*l);
  }
  std::string where = cfg->in_memory ? "memory"
                      : cfg->s3      ? "s3 bucket " + cfg->s3->bucket
                                     : cfg->root;
  bool tls = !cfg->http.tls_cert.empty();
  std::unique_ptr<rs::Upstream> upstream;
  if (cfg->proxy) {
    auto up = open_upstream(*cfg->proxy);
    if (!up) return std::unexpected(up.error());
    upstream = std::move(*up);
    where += ", a pull-through cache of " + cfg->proxy->remote_url + ",";
  }
  auto app = rs::App::open(std::move(*cfg), std::move(upstream));
  if (!app) return std::unexpected(app.error());
  fmt::print(stderr, "kiln registry: serving {} on {}://{}\n", where, tls ? "https" : "http",
             (*app)->address());
  return (*app)->run();
}

Status gc(const GcArgs& a) {
  auto cfg = base_config(a.config);
  if (!cfg) return std::unexpected(cfg.error());
  if (!a.root.empty()) {
    cfg->root = a.root;
    cfg->s3.reset();
  }
  if (cfg->in_memory)
    return fail(Errc::invalid_argument, "an in-memory registry has nothing to collect");
  Fd lock;
  // On S3 replicas may be serving the bucket: the sweep takes a lease in it (gc_fence.hpp).
  if (!cfg->s3) {
    if (!os::Dir::open(cfg->root))
      return failf(Errc::not_found, "gc: no registry storage at {}", cfg->root);
    auto l = lock_root(cfg->root, "gc");
    if (!l) return std::unexpected(l.error());
    lock = std::move(*l);
  }
  auto driver = rs::open_storage(*cfg);
  if (!driver) return std::unexpected(driver.error());
  rs::GcRequest req{a.dry_run, a.delete_untagged, a.grace, nullptr};
  auto rep = rs::collect_garbage(**driver, req);
  if (!rep) return std::unexpected(rep.error().context("gc"));
  if (a.format == "json") {
    fmt::print("{}\n", rs::gc_report_json(*rep, a.dry_run));
    return {};
  }
  if (!a.format.empty()) return failf(Errc::invalid_argument, "--format {}: want json", a.format);
  for (const auto& act : rep->actions) fmt::print("{}{}\n", a.dry_run ? "would " : "", act);
  fmt::print("{} {} blobs ({} bytes), {} manifests, {} uploads; kept {} blobs, {} manifests\n",
             a.dry_run ? "would delete" : "deleted", rep->blobs_deleted, rep->bytes_freed,
             rep->manifests_deleted, rep->uploads_deleted, rep->blobs_kept, rep->manifests_kept);
  return {};
}

}  // namespace
}  // namespace kiln::cli

int main(int argc, char** argv) {
  using namespace kiln;
  std::signal(SIGPIPE, SIG_IGN);
  cli::Context ctx;
  CLI::App app{"kiln registry: a private OCI distribution registry", "kiln"};
  app.require_subcommand(1);
  app.fallthrough();
  cli::add_global_options(app, ctx);
  cli::define_registry_server(
      app,
      [&ctx](const cli::ServeArgs& a) {
        if (auto st = cli::serve(a); !st) ctx.report(st.error());
      },
      [&ctx](const cli::GcArgs& a) {
        if (auto st = cli::gc(a); !st) ctx.report(st.error());
      });
  return cli::run(app, ctx, argc, argv);
}
