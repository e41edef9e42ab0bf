// Source text of a Dockerfile and errors that point into it:
//   Dockerfile:3:1: unknown instruction: FORM (did you mean FROM?)
//      3 | FORM busybox
//        | ^
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::dockerfile {

struct Source {
  std::string filename;
  std::vector<std::string> lines;  // physical lines, without line endings

  static Source from_text(std::string_view text, std::string filename);
  std::string_view line(int n) const;  // 1-based; "" when out of range
};

// Go's strconv.Quote (what BuildKit's messages and AST dump print with %q).
std::string go_quote(std::string_view s);

// An Errc::invalid_argument error "FILE:LINE:COL: message" followed by the source line and a
// caret under COL (1-based). line <= 0 gives "FILE: message".
Error located(const Source& src, int line, int col, std::string_view message);

}  // namespace kiln::dockerfile
