// Internal to dockerfile/: compiled shell-style patterns, matched without std::regex (no deep
// recursion, no exponential backtracking: memoised, O(pattern x text)).
//   Go filepath.Match dialect: * and ? never match '/', [...] / [^...] classes, \ escapes.
//   Patterns and names are UTF-8: ? and a class match one character, not one byte (a byte that
//   is not valid UTF-8 counts as one character of its own).
//   .dockerignore dialect adds **: "**/" matches any number of directories (even none) and a
//   trailing "**" matches everything below.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::dockerfile::detail {

class Glob {
 public:
  static Result<Glob> compile(std::string_view pattern, bool double_star);
  bool match(std::string_view text) const;

 private:
  struct Token {
    enum Kind { lit, star, one, dstar_slash, dstar_end, cls } kind = lit;
    char32_t c = 0;
    bool negate = false;
    std::vector<std::pair<char32_t, char32_t>> ranges;
  };
  std::vector<Token> m_tokens;
};

}  // namespace kiln::dockerfile::detail
