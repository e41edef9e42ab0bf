// Printing lists of rows (images, history) in the formats --format selects.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kiln/cli/context.hpp"

namespace kiln::cli {

// Prints rows given as JSON objects (one per row). For "table TEMPLATE" the header comes from
// the template's field names; cells separated by "\t" are aligned.
Status print_rows(const RowFormat& fmt, const std::vector<std::string>& json_rows);

// For a --format other than the default table: prints the rows (each turned into JSON by
// to_json) and returns the status; returns nullopt when the caller should print its table.
template <class Rows, class ToJson>
std::optional<Status> print_formatted(const std::string& format, const Rows& rows, ToJson to_json) {
  RowFormat f = parse_row_format(format);
  if (f.kind == RowFormat::table) return std::nullopt;
  std::vector<std::string> json;
  for (const auto& r : rows) json.push_back(to_json(r));
  return print_rows(f, json);
}

}  // namespace kiln::cli
