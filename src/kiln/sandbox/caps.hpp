// Linux capabilities by name, Docker's default set, and --cap-add / --cap-drop arithmetic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::sandbox {

// "CAP_CHOWN" or "chown" -> number; Errc::invalid_argument for an unknown name.
Result<int> capability_number(std::string_view name);
std::string capability_name(int number);  // "CAP_CHOWN"
int last_capability();                    // the highest number kiln knows and the kernel has

// The 14 capabilities Docker gives a container by default.
std::vector<std::string> default_capabilities();

// Docker's rules: start from the default set (or nothing when drop has "ALL"), add `add` (or
// everything when add has "ALL"), remove `drop`. Names are normalised to "CAP_X".
Result<std::vector<std::string>> adjust_capabilities(const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop);

// The set as a bit mask (bit N = capability N).
Result<uint64_t> capability_mask(const std::vector<std::string>& names);

}  // namespace kiln::sandbox
