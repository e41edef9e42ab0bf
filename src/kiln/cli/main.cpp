// kiln: one daemonless binary for the life of a container image.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <csignal>
#include <string_view>

#include "kiln/cli/context.hpp"

namespace {

using namespace kiln;

struct CommandGroup {
  std::array<std::string_view, 6> names;  // the top-level commands `add` registers
  void (*add)(CLI::App&, cli::Context&);
};

// In the order `kiln --help` lists them.
constexpr CommandGroup k_groups[] = {
    {{"import"}, cli::add_import},
    {{"images"}, cli::add_images},
    {{"tag"}, cli::add_tag},
    {{"tags", "rollback"}, cli::add_tags},
    {{"outdated"}, cli::add_outdated},
    {{"rmi"}, cli::add_rmi},
    {{"inspect"}, cli::add_inspect},
    {{"history"}, cli::add_history},
    {{"system"}, cli::add_system},
    {{"dockerfile"}, cli::add_dockerfile},
    {{"export"}, cli::add_export},
    {{"save"}, cli::add_save},
    {{"load"}, cli::add_load},
    {{"copy"}, cli::add_copy},
    {{"sbom"}, cli::add_sbom},
    {{"scan"}, cli::add_scan},
    {{"db"}, cli::add_db},
    {{"lint"}, cli::add_lint},
    {{"analyze"}, cli::add_analyze},
    {{"push", "pull", "login", "logout", "manifest", "delete"}, cli::add_registry_commands},
    {{"registry"}, cli::add_registry_server},
    {{"build"}, cli::add_build},
    {{"__layer-job"}, cli::add_layer_job},
    {{"run"}, cli::add_run},
    {{"key", "sign", "verify", "attach", "tree"}, cli::add_signing},
    {{"ps", "rm", "commit"}, cli::add_containers},
    {{"version"}, cli::add_version},
};

// The command word of the command line: the first argument that is neither an option nor the
// value of a global option. Empty when there is none, or when --help comes before it (the
// overview lists every command).
std::string_view command_word(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") return {};
    if (a == "-h" || a == "--help" || a == "--help-all") return {};
    if (!a.starts_with("-")) return a;
    if (a.find('=') != std::string_view::npos || !a.starts_with("--")) continue;
    const CLI::Option* o = app.get_option_no_throw(std::string(a));
    if (o && o->get_type_size() != 0) ++i;  // its value
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  cli::Context ctx;
  ctx.argv.assign(argv, argv + argc);
  CLI::App app{"kiln: build, keep, move, serve and secure container images", "kiln"};
  app.require_subcommand(1);
  app.fallthrough();
  cli::add_global_options(app, ctx, cli::default_store_root());

  // Only the named command is set up: registering all of them (their options, validators and
  // help texts) cost every start about 2 ms of its 8. Help, a mistyped command or none at all
  // get every command, as before.
  std::string_view word = command_word(app, argc, argv);
  const auto named = [&](const CommandGroup& g) {
    return std::ranges::find(g.names, word) != g.names.end();
  };
  bool one = !word.empty() && std::ranges::any_of(k_groups, named);
  for (const auto& g : k_groups)
    if (!one || named(g)) g.add(app, ctx);

  return cli::run(app, ctx, argc, argv);
}
