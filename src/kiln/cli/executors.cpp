#include "kiln/cli/executors.hpp"

#include "kiln/sandbox/linux_executor.hpp"
#include "kiln/sandbox/runtime_executor.hpp"

namespace kiln::cli {

Result<std::unique_ptr<sandbox::Executor>> make_executor(const std::string& name) {
  if (name.empty() || name == "builtin")
    return std::unique_ptr<sandbox::Executor>(std::make_unique<sandbox::LinuxExecutor>());
  if (sandbox::find_program(name).empty())
    return failf(Errc::not_found,
                 "runtime {:?}: not found in PATH (want builtin, runc, crun or a path)", name);
  return std::unique_ptr<sandbox::Executor>(std::make_unique<sandbox::RuntimeExecutor>(name));
}

}  // namespace kiln::cli
