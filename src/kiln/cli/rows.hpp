// Printing lists of rows (images, history) in the formats --format selects.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kiln/cli/context.hpp"

namespace kiln::cli {

// Prints rows given as JSON objects (one per row). For "table TEMPLATE" the header comes from
// the template's field names; cells separated by "\t" are aligned.
Status print_rows(const RowFormat& fmt, const std::vector<std::string>& json_rows);

}  // namespace kiln::cli
