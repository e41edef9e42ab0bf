// The one place that picks a sandbox::Executor implementation by name (DESIGN.md section 2:
// only cli/ wires real implementations together).
#pragma once

#include <memory>
#include <string>

#include "kiln/sandbox/spec.hpp"

namespace kiln::cli {

// "builtin" (or ""), "runc", "crun", or a path to an OCI runtime binary.
Result<std::unique_ptr<sandbox::Executor>> make_executor(const std::string& name);

}  // namespace kiln::cli
