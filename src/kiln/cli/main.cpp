// kiln: one daemonless binary for the life of a container image.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>

#include "kiln/base/log.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/store/paths.hpp"

int main(int argc, char** argv) {
  using namespace kiln;
  std::signal(SIGPIPE, SIG_IGN);
  cli::Context ctx;
  ctx.argv.assign(argv, argv + argc);
  CLI::App app{"kiln: build, keep, move, serve and secure container images", "kiln"};
  app.require_subcommand(1);
  app.fallthrough();
  const char* env_root = std::getenv("KILN_ROOT");
  ctx.root = env_root && *env_root ? env_root : store::paths::default_root();
  app.add_option("--root", ctx.root, "Store directory (default: $KILN_ROOT, /var/lib/kiln as root)")
      ->capture_default_str();
  bool debug = std::getenv("KILN_DEBUG") != nullptr;
  app.add_flag("--debug", debug, "Print debug messages");
  app.parse_complete_callback([&] {
    if (debug) log::set_level(log::Level::debug);
  });

  cli::add_import(app, ctx);
  cli::add_images(app, ctx);
  cli::add_tag(app, ctx);
  cli::add_rmi(app, ctx);
  cli::add_inspect(app, ctx);
  cli::add_history(app, ctx);
  cli::add_system(app, ctx);
  cli::add_dockerfile(app, ctx);
  cli::add_export(app, ctx);
  cli::add_save(app, ctx);
  cli::add_load(app, ctx);
  cli::add_copy(app, ctx);
  cli::add_registry_commands(app, ctx);
  cli::add_registry_server(app, ctx);
  cli::add_build(app, ctx);
  cli::add_run(app, ctx);
  cli::add_containers(app, ctx);
  cli::add_version(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "kiln: {}\nRun 'kiln --help' or 'kiln COMMAND --help' for usage.\n",
               e.what());
    return 2;
  }
  return ctx.exit_code;
}
