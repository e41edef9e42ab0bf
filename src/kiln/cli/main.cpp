// kiln: one daemonless binary for the life of a container image.
#include <CLI/CLI.hpp>

#include <csignal>

#include "kiln/cli/context.hpp"

int main(int argc, char** argv) {
  using namespace kiln;
  std::signal(SIGPIPE, SIG_IGN);
  cli::Context ctx;
  ctx.argv.assign(argv, argv + argc);
  CLI::App app{"kiln: build, keep, move, serve and secure container images", "kiln"};
  app.require_subcommand(1);
  app.fallthrough();
  cli::add_global_options(app, ctx, cli::default_store_root());

  cli::add_import(app, ctx);
  cli::add_images(app, ctx);
  cli::add_tag(app, ctx);
  cli::add_tags(app, ctx);
  cli::add_outdated(app, ctx);
  cli::add_rmi(app, ctx);
  cli::add_inspect(app, ctx);
  cli::add_history(app, ctx);
  cli::add_system(app, ctx);
  cli::add_dockerfile(app, ctx);
  cli::add_export(app, ctx);
  cli::add_save(app, ctx);
  cli::add_load(app, ctx);
  cli::add_copy(app, ctx);
  cli::add_sbom(app, ctx);
  cli::add_scan(app, ctx);
  cli::add_db(app, ctx);
  cli::add_lint(app, ctx);
  cli::add_analyze(app, ctx);
  cli::add_registry_commands(app, ctx);
  cli::add_registry_server(app, ctx);
  cli::add_build(app, ctx);
  cli::add_layer_job(app, ctx);
  cli::add_run(app, ctx);
  cli::add_signing(app, ctx);
  cli::add_containers(app, ctx);
  cli::add_version(app, ctx);

  return cli::run(app, ctx, argc, argv);
}
