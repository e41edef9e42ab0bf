#include "kiln/cli/registry_server_cli.hpp"

#include <memory>

namespace kiln::cli {

void define_registry_server(CLI::App& app, std::function<void(const ServeArgs&)> on_serve,
                            std::function<void(const GcArgs&)> on_gc) {
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
  c->callback([on_serve, sa] { on_serve(*sa); });

  auto ga = std::make_shared<GcArgs>();
  c = reg->add_subcommand("gc", "Delete blobs and manifests nothing references (offline)");
  c->add_option("--config,-c", ga->config, "The server's YAML configuration file");
  c->add_option("--root", ga->root, "Storage directory (default ./registry-data)");
  c->add_flag("--dry-run,-n", ga->dry_run, "Print what would be deleted, delete nothing");
  c->add_flag("--delete-untagged,-m", ga->delete_untagged,
              "Also delete manifests no tag reaches (and their referrers)");
  c->add_option("--grace", ga->grace, "Keep what is younger than N seconds")->capture_default_str();
  c->add_option("--format", ga->format, "json: a machine-readable report");
  c->callback([on_gc, ga] { on_gc(*ga); });
}

}  // namespace kiln::cli
