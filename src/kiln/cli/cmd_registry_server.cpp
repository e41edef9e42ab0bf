// kiln registry serve | gc: handed to the kiln-registry helper (registry_server_cli.hpp), which
// runs the private registry (registry/server/).
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kiln/cli/context.hpp"
#include "kiln/cli/registry_server_cli.hpp"
#include "kiln/sandbox/runtime_executor.hpp"

namespace kiln::cli {

namespace {

// Replaces this process with kiln-registry, given the same command line (it parses it again,
// with the same definitions). Returns only on failure.
void exec_helper(Context& ctx) {
  std::string helper = sandbox::find_helper("kiln-registry");
  if (helper.empty()) {
    ctx.report(Error(Errc::not_found,
                     "kiln-registry not found next to kiln, in ../libexec/kiln or in PATH (it "
                     "runs `kiln registry`)"));
    return;
  }
  std::vector<char*> args;
  for (auto& a : ctx.argv) args.push_back(a.data());
  args.push_back(nullptr);
  ::execv(helper.c_str(), args.data());
  ctx.report(Error(Errc::io, fmt::format("run {}: {}", helper, std::strerror(errno))));
}

}  // namespace

void add_registry_server(CLI::App& app, Context& ctx) {
  define_registry_server(
      app, [&ctx](const ServeArgs&) { exec_helper(ctx); },
      [&ctx](const GcArgs&) { exec_helper(ctx); });
}

}  // namespace kiln::cli
