// The RubyGems order (version.hpp): Gem::Version's validity pattern, segments and <=>.
#include <string>
#include <vector>

#include "kiln/scan/version.hpp"
#include "kiln/scan/version_util.hpp"

namespace kiln::scan {

namespace {

using version_util::compare_number;
using version_util::is_digit;
using version_util::is_letter;
using version_util::sign;

bool word(char c, bool dash_ok) {
  return is_digit(c) || is_letter(c) || (dash_ok && c == '-');
}

// [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)? with surrounding blanks, or
// blanks only (version "0").
bool valid(std::string_view v) {
  size_t i = 0;
  if (v.empty()) return true;
  if (!is_digit(v[0])) return false;
  while (i < v.size() && is_digit(v[i])) ++i;
  while (i < v.size() && v[i] == '.') {
    size_t s = ++i;
    while (i < v.size() && word(v[i], false)) ++i;
    if (i == s) return false;
  }
  if (i == v.size()) return true;
  if (v[i] != '-') return false;
  do {
    size_t s = ++i;
    while (i < v.size() && word(v[i], true)) ++i;
    if (i == s) return false;
  } while (i < v.size() && v[i] == '.');
  return i == v.size();
}

struct Segment {
  bool number;
  std::string text;
};

// The segments after "-" becomes ".pre.", with trailing zeros dropped from the release part and
// from the prerelease part (canonical_segments).
std::vector<Segment> segments(std::string_view v) {
  std::vector<Segment> all;
  for (size_t i = 0; i < v.size();) {
    bool num = is_digit(v[i]);
    if (!num && !is_letter(v[i])) {
      if (v[i] == '-') all.push_back({false, "pre"});
      ++i;
      continue;
    }
    size_t s = i;
    while (i < v.size() && (num ? is_digit(v[i]) : is_letter(v[i]))) ++i;
    all.push_back({num, std::string(v.substr(s, i - s))});
  }
  size_t split = 0;
  while (split < all.size() && all[split].number) ++split;
  auto zero = [](const Segment& s) {
    return s.number && s.text.find_first_not_of('0') == std::string::npos;
  };
  std::vector<Segment> out(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(split));
  while (!out.empty() && zero(out.back())) out.pop_back();
  std::vector<Segment> pre(all.begin() + static_cast<std::ptrdiff_t>(split), all.end());
  while (!pre.empty() && zero(pre.back())) pre.pop_back();
  out.insert(out.end(), pre.begin(), pre.end());
  return out;
}

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<int> compare_gem(std::string_view a, std::string_view b) {
  a = trim_blanks(a), b = trim_blanks(b);
  if (!valid(a) || !valid(b)) return std::nullopt;
  std::vector<Segment> x = segments(a), y = segments(b);
  const Segment zero{true, "0"};
  for (size_t i = 0; i < x.size() || i < y.size(); ++i) {
    const Segment& l = i < x.size() ? x[i] : zero;
    const Segment& r = i < y.size() ? y[i] : zero;
    if (l.number != r.number) return l.number ? 1 : -1;  // a string segment is a prerelease
    int c = l.number ? compare_number(l.text, r.text) : sign(l.text.compare(r.text));
    if (c != 0) return c;
  }
  return 0;
}

}  // namespace kiln::scan
