// kiln registry serve | gc: the private registry (registry/server/).
#include <fcntl.h>
#include <sys/file.h>

#include <nlohmann/json.hpp>

#include "kiln/base/log.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/registry/server/app.hpp"
#include "kiln/registry/server/gc.hpp"

namespace kiln::cli {
namespace {

namespace rs = registry::server;

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
  int64_t grace = 0;
  std::string format;
};

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
  if (!cfg->in_memory) {
    auto l = lock_root(cfg->root, "serve");
    if (!l) return std::unexpected(l.error());
    lock = std::move(*l);
  }
  std::string where = cfg->in_memory ? "memory" : cfg->root;
  bool tls = !cfg->http.tls_cert.empty();
  auto app = rs::App::open(std::move(*cfg));
  if (!app) return std::unexpected(app.error());
  fmt::print(stderr, "kiln registry: serving {} on {}://{}\n", where, tls ? "https" : "http",
             (*app)->address());
  return (*app)->run();
}

Status gc(const GcArgs& a) {
  auto cfg = base_config(a.config);
  if (!cfg) return std::unexpected(cfg.error());
  if (!a.root.empty()) cfg->root = a.root;
  if (cfg->in_memory)
    return fail(Errc::invalid_argument, "an in-memory registry has nothing to collect");
  if (!os::Dir::open(cfg->root))
    return failf(Errc::not_found, "gc: no registry storage at {}", cfg->root);
  auto lock = lock_root(cfg->root, "gc");
  if (!lock) return std::unexpected(lock.error());
  auto driver = rs::filesystem_driver(cfg->root);
  if (!driver) return std::unexpected(driver.error());
  rs::GcRequest req{a.dry_run, a.delete_untagged, a.grace, nullptr};
  auto rep = rs::collect_garbage(**driver, req);
  if (!rep) return std::unexpected(rep.error().context("gc"));
  if (a.format == "json") {
    nlohmann::json j{{"dry_run", a.dry_run},
                     {"manifests_kept", rep->manifests_kept},
                     {"blobs_kept", rep->blobs_kept},
                     {"manifests_deleted", rep->manifests_deleted},
                     {"blobs_deleted", rep->blobs_deleted},
                     {"bytes_freed", rep->bytes_freed},
                     {"links_deleted", rep->links_deleted},
                     {"uploads_deleted", rep->uploads_deleted},
                     {"actions", rep->actions}};
    fmt::print("{}\n", j.dump(2));
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

void add_registry_server(CLI::App& app, Context& ctx) {
  auto* reg = app.add_subcommand("registry", "Run a private OCI registry (serve, gc)");
  reg->require_subcommand(1);

  auto sa = std::make_shared<ServeArgs>();
  auto* c = reg->add_subcommand(
      "serve", "Serve an OCI distribution registry (default: ./registry-data on 127.0.0.1:5000)");
  c->add_option("--config,-c", sa->config, "YAML configuration file (Distribution's layout)");
  c->add_option("--addr,-l", sa->addr, "Listen address HOST:PORT (default 127.0.0.1:5000)");
  c->add_option("--root", sa->root, "Storage directory (default ./registry-data)");
  c->add_option("--htpasswd", sa->htpasswd, "Require Basic auth from this bcrypt htpasswd file");
  c->add_option("--realm", sa->realm, "Realm for Basic auth");
  c->add_flag("--read-only", sa->read_only, "Refuse pushes and deletes");
  c->add_flag("--no-delete", sa->no_delete, "Refuse DELETE of manifests and blobs");
  c->add_option("--tls-cert", sa->tls_cert, "Serve HTTPS with this PEM certificate chain");
  c->add_option("--tls-key", sa->tls_key, "PEM private key for --tls-cert");
  c->add_option("--tls-client-ca", sa->tls_client_ca,
                "Require client certificates signed by this PEM bundle");
  c->add_option("--gc-interval", sa->gc_interval, "Collect garbage online every N seconds");
  c->add_option("--gc-grace", sa->gc_grace, "Never collect what is younger than N seconds");
  c->add_option("--log-level", sa->log_level, "debug, info (access log), warn or error");
  c->add_flag("--no-access-log", sa->no_access_log, "No per-request JSON log lines");
  c->add_option("--threads", sa->threads, "Worker threads (default: one per core)");
  c->callback([&ctx, sa] {
    if (auto st = serve(*sa); !st) ctx.report(st.error());
  });

  auto ga = std::make_shared<GcArgs>();
  c = reg->add_subcommand("gc", "Delete blobs and manifests nothing references (offline)");
  c->add_option("--config,-c", ga->config, "The server's YAML configuration file");
  c->add_option("--root", ga->root, "Storage directory (default ./registry-data)");
  c->add_flag("--dry-run,-n", ga->dry_run, "Print what would be deleted, delete nothing");
  c->add_flag("--delete-untagged,-m", ga->delete_untagged,
              "Also delete manifests no tag reaches (and their referrers)");
  c->add_option("--grace", ga->grace, "Keep what is younger than N seconds (default 0)")
      ->capture_default_str();
  c->add_option("--format", ga->format, "json: a machine-readable report");
  c->callback([&ctx, ga] {
    if (auto st = gc(*ga); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
