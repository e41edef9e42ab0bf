// kiln registry serve | gc: handed to the kiln-registry helper (registry_server_cli.hpp), which
// runs the private registry (registry/server/).
#include "kiln/cli/helpers.hpp"
#include "kiln/cli/registry_server_cli.hpp"

namespace kiln::cli {

void add_registry_server(CLI::App& app, Context& ctx) {
  static constexpr std::string_view k_runs = "`kiln registry`";
  define_registry_server(
      app, [&ctx](const ServeArgs&) { ctx.report(exec_helper(ctx, "kiln-registry", k_runs)); },
      [&ctx](const GcArgs&) { ctx.report(exec_helper(ctx, "kiln-registry", k_runs)); });
}

}  // namespace kiln::cli
