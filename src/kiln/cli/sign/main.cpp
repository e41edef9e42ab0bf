// kiln-sign: runs `kiln key | sign | verify | attach | tree` (kiln hands those commands over
// with exec; signing_cli.hpp says why they live in their own program).
#include <CLI/CLI.hpp>

#include <csignal>

#include "kiln/cli/sign/commands.hpp"

int main(int argc, char** argv) {
  using namespace kiln;
  std::signal(SIGPIPE, SIG_IGN);
  cli::Context ctx;
  CLI::App app{"kiln signing: cosign-compatible signatures and attestations", "kiln"};
  app.require_subcommand(1);
  app.fallthrough();
  cli::add_global_options(app, ctx, cli::default_store_root());
  cli::define_signing(app, ctx,
                      cli::SigningHandlers{cli::generate_key, cli::sign_image, cli::verify,
                                           cli::attach, cli::tree});
  return cli::run(app, ctx, argc, argv);
}
