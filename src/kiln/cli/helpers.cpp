#include "kiln/cli/helpers.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kiln/os/subprocess.hpp"
#include "kiln/sandbox/runtime_executor.hpp"

namespace kiln::cli {

Error exec_helper(const Context& ctx, const std::string& name, std::string_view runs) {
  std::string helper = sandbox::find_helper(name);
  if (helper.empty())
    return Error(
        Errc::not_found,
        fmt::format("{} not found next to kiln, in ../libexec/kiln or in PATH (it runs {})", name,
                    runs));
  std::vector<std::string> argv = ctx.argv;
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  ::execv(helper.c_str(), args.data());
  return Error(Errc::io, fmt::format("run {}: {}", helper, std::strerror(errno)));
}

Result<int> run_kiln_sign(std::vector<std::string> args, const RegistryFlags& reg,
                          const std::string& target) {
  std::string helper = sandbox::find_helper("kiln-sign");
  if (helper.empty())
    return fail(Errc::not_found,
                "kiln-sign (which makes and checks signatures) not found next to kiln, in "
                "../libexec/kiln or in PATH");
  args.insert(args.begin(), helper);
  if (!reg.tls_verify.empty()) args.push_back("--tls-verify=" + reg.tls_verify);
  if (!reg.creds.empty()) args.insert(args.end(), {"--creds", reg.creds});
  if (!reg.authfile.empty()) args.insert(args.end(), {"--authfile", reg.authfile});
  args.push_back(target);
  auto child = KILN_TRY(os::Subprocess::spawn(args));
  return KILN_TRY(child.communicate("")).exit_code;
}

}  // namespace kiln::cli
