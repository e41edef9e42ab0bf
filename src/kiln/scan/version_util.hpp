// Helpers shared by the version orders (version.hpp); not part of the scan layer's interface.
#pragma once

#include <string_view>

namespace kiln::scan::version_util {

inline int sign(int v) {
  return v < 0 ? -1 : v > 0 ? 1 : 0;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

inline bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

inline bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Decimal digit strings of any length, compared as numbers.
inline int compare_number(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

}  // namespace kiln::scan::version_util
