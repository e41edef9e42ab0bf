// The dockerfile layer's one use of nlohmann::json: exec-form arguments.
#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/dockerfile/line_parsers.hpp"

namespace kiln::dockerfile::detail {

Result<std::optional<std::vector<std::string>>> parse_json_array(std::string_view rest) {
  size_t b = 0;
  while (b < rest.size() && (is_whitespace(rest[b]) || rest[b] == '\n')) ++b;
  rest.remove_prefix(b);
  if (!rest.starts_with('[')) return std::optional<std::vector<std::string>>();
  if (!json_depth_ok(rest))
    return failf(Errc::invalid_argument, "JSON array nested more than {} levels deep",
                 k_max_json_depth);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(rest.begin(), rest.end());
  } catch (const std::exception&) {
    return std::optional<std::vector<std::string>>();  // not JSON: shell form, as BuildKit does
  }
  if (!j.is_array()) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  for (const auto& v : j) {
    if (!v.is_string())
      return fail(Errc::invalid_argument,
                  "when using JSON array syntax, arrays must be comprised of strings only");
    out.push_back(v.get<std::string>());
  }
  return std::optional(std::move(out));
}

}  // namespace kiln::dockerfile::detail
