// os-release(5): KEY=VALUE lines, values optionally quoted with shell-style escapes.
#pragma once

#include <string_view>

#include "kiln/scan/package.hpp"

namespace kiln::scan {

// nullopt when the text names no ID.
std::optional<Distro> parse_os_release(std::string_view text);

}  // namespace kiln::scan
