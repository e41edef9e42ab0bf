// kiln's helper programs (kiln-registry, kiln-sign), found beside kiln, in ../libexec/kiln or in
// PATH (sandbox::find_helper): handing a command over, and running kiln-sign for a check.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/cli/context.hpp"
#include "kiln/cli/transfer.hpp"

namespace kiln::cli {

// Replaces this process with the helper `name`, given kiln's own command line (it parses it
// again, with the same definitions). Returns only on failure; `runs` names the commands it runs.
Error exec_helper(const Context& ctx, const std::string& name, std::string_view runs);

// Runs `kiln-sign ARGS... [registry flags] TARGET`; its stderr is the user's. Its exit code.
Result<int> run_kiln_sign(std::vector<std::string> args, const RegistryFlags& reg,
                          const std::string& target);

}  // namespace kiln::cli
