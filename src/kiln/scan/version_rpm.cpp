// The RPM order (version.hpp): rpmvercmp per part, parts compared epoch, version, release.
#include "kiln/scan/version.hpp"
#include "kiln/scan/version_util.hpp"

namespace kiln::scan {

namespace {

using version_util::compare_number;
using version_util::is_digit;
using version_util::is_letter;
using version_util::sign;

bool alnum(char c) {
  return is_digit(c) || is_letter(c);
}

// rpm's rpmvercmp (rpmio/rpmvercmp.c, rpm 4.15 and later), on string views.
int rpmvercmp(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && !alnum(a[i]) && a[i] != '~' && a[i] != '^') ++i;
    while (j < b.size() && !alnum(b[j]) && b[j] != '~' && b[j] != '^') ++j;
    bool a_end = i == a.size(), b_end = j == b.size();
    // '~' sorts before everything, even the end of the string.
    if ((!a_end && a[i] == '~') || (!b_end && b[j] == '~')) {
      if (a_end || a[i] != '~') return 1;
      if (b_end || b[j] != '~') return -1;
      ++i, ++j;
      continue;
    }
    // '^' sorts after the end of the string but before anything else.
    if ((!a_end && a[i] == '^') || (!b_end && b[j] == '^')) {
      if (a_end) return -1;
      if (b_end) return 1;
      if (a[i] != '^') return 1;
      if (b[j] != '^') return -1;
      ++i, ++j;
      continue;
    }
    if (a_end || b_end) break;
    bool numeric = is_digit(a[i]);
    size_t ei = i, ej = j;
    while (ei < a.size() && (numeric ? is_digit(a[ei]) : is_letter(a[ei]))) ++ei;
    while (ej < b.size() && (numeric ? is_digit(b[ej]) : is_letter(b[ej]))) ++ej;
    // Segments of different kinds: a number is newer than letters.
    if (ej == j) return numeric ? 1 : -1;
    std::string_view x = a.substr(i, ei - i), y = b.substr(j, ej - j);
    int c = numeric ? compare_number(x, y) : sign(x.compare(y));
    if (c != 0) return c;
    i = ei, j = ej;
  }
  if (i == a.size() && j == b.size()) return 0;
  return i < a.size() ? 1 : -1;
}

struct Evr {
  std::string_view epoch = "0", version, release;
};

// [epoch:]version[-release]: the epoch only when all digits before the first ':', the release
// after the last '-'.
Evr split_evr(std::string_view s) {
  Evr e;
  if (size_t colon = s.find(':'); colon != std::string_view::npos) {
    std::string_view ep = s.substr(0, colon);
    if (version_util::all_digits(ep)) {
      e.epoch = ep;
      s.remove_prefix(colon + 1);
    }
  }
  if (size_t dash = s.rfind('-'); dash != std::string_view::npos) {
    e.release = s.substr(dash + 1);
    s = s.substr(0, dash);
  }
  e.version = s;
  return e;
}

}  // namespace

int compare_rpm(std::string_view a, std::string_view b) {
  Evr x = split_evr(a), y = split_evr(b);
  if (int c = compare_number(x.epoch, y.epoch)) return c;
  if (int c = rpmvercmp(x.version, y.version)) return c;
  return rpmvercmp(x.release, y.release);
}

}  // namespace kiln::scan
