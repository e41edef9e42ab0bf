// `kiln build --policy FILE`: lint, scan and analyze a built image against the policy; each
// violation is one line with the Dockerfile line it comes from.
#pragma once

#include <string>
#include <vector>

#include "kiln/cli/lint_common.hpp"
#include "kiln/lint/policy.hpp"

namespace kiln::cli {

// `image` is the built image's ID in the store; `req` the Dockerfile it was built from.
Result<std::vector<std::string>> policy_violations(Context& ctx, const lint::Policy& policy,
                                                   const std::string& image,
                                                   const LintRequest& req);

}  // namespace kiln::cli
