// kiln key | sign | verify | attach | tree: handed to the kiln-sign helper (signing_cli.hpp).
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kiln/cli/signing_cli.hpp"
#include "kiln/sandbox/runtime_executor.hpp"

namespace kiln::cli {

void add_signing(CLI::App& app, Context& ctx) {
  auto exec = [](Context& ctx, const auto&) -> Status {
    std::string helper = sandbox::find_helper("kiln-sign");
    if (helper.empty())
      return fail(Errc::not_found,
                  "kiln-sign not found next to kiln, in ../libexec/kiln or in PATH (it runs "
                  "`kiln sign`, `verify`, `attach`, `tree` and `key`)");
    std::vector<char*> args;
    for (auto& a : ctx.argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(helper.c_str(), args.data());
    return failf(Errc::io, "run {}: {}", helper, std::strerror(errno));
  };
  define_signing(app, ctx, SigningHandlers{exec, exec, exec, exec, exec});
}

}  // namespace kiln::cli
