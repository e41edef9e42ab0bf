// kiln key | sign | verify | attach | tree: handed to the kiln-sign helper (signing_cli.hpp).
#include "kiln/cli/helpers.hpp"
#include "kiln/cli/signing_cli.hpp"

namespace kiln::cli {

void add_signing(CLI::App& app, Context& ctx) {
  auto exec = [](Context& ctx, const auto&) -> Status {
    return std::unexpected(
        exec_helper(ctx, "kiln-sign", "`kiln sign`, `verify`, `attach`, `tree` and `key`"));
  };
  define_signing(app, ctx, SigningHandlers{exec, exec, exec, exec, exec});
}

}  // namespace kiln::cli
