#include "kiln/base/json_depth.hpp"

namespace kiln {

bool json_depth_ok(std::string_view text, size_t max) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max) return false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return true;
}

Status check_json_depth(std::string_view text, std::string_view what) {
  if (json_depth_ok(text)) return {};
  return failf(Errc::corrupt, "{}: JSON nested more than {} levels deep", what, k_max_json_depth);
}

}  // namespace kiln
