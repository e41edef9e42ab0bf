#include "kiln/scan/version.hpp"

#include <array>
#include <cstdint>

namespace kiln::scan {

namespace {

// ---- dpkg ----

bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The weight of a non-digit character: '~' lowest (below the end of the string, 0), then
// letters, then everything else.
int weight(char c) {
  if (c == '~') return -1;
  if (letter(c)) return static_cast<unsigned char>(c);
  return static_cast<unsigned char>(c) + 256;
}

// dpkg's verrevcmp: alternating non-digit and digit runs.
int compare_part(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !digit(a[i])) || (j < b.size() && !digit(b[j]))) {
      int wa = i < a.size() && !digit(a[i]) ? weight(a[i]) : 0;
      int wb = j < b.size() && !digit(b[j]) ? weight(b[j]) : 0;
      if (wa != wb) return wa < wb ? -1 : 1;
      if (i < a.size() && !digit(a[i])) ++i;
      if (j < b.size() && !digit(b[j])) ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first = 0;  // the first difference decides, if the runs have the same length
    while (i < a.size() && digit(a[i]) && j < b.size() && digit(b[j])) {
      if (first == 0 && a[i] != b[j]) first = a[i] < b[j] ? -1 : 1;
      ++i, ++j;
    }
    if (i < a.size() && digit(a[i])) return 1;  // a's number is longer
    if (j < b.size() && digit(b[j])) return -1;
    if (first != 0) return first;
  }
  return 0;
}

struct DebVersion {
  uint64_t epoch = 0;
  std::string_view upstream, revision;
};

DebVersion split_deb(std::string_view v) {
  DebVersion d;
  if (size_t colon = v.find(':'); colon != std::string_view::npos) {
    for (char c : v.substr(0, colon))
      if (digit(c)) d.epoch = d.epoch * 10 + static_cast<uint64_t>(c - '0');
    v.remove_prefix(colon + 1);
  }
  if (size_t dash = v.rfind('-'); dash != std::string_view::npos) {
    d.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  d.upstream = v;
  return d;
}

// ---- apk ----

// What the next token of an apk version is; the order matters (see compare_apk).
enum class Tok { invalid = -1, digit_or_zero, digit, letter, suffix, suffix_no, revision_no, end };

struct ApkReader {
  std::string_view s;
  Tok type = Tok::digit;

  // Moves past the separator after a token and says what comes next.
  void advance_type() {
    Tok n = Tok::invalid;
    if (s.empty() || s[0] == '\0') {
      n = Tok::end;
    } else if ((type == Tok::digit || type == Tok::digit_or_zero) && s[0] >= 'a' && s[0] <= 'z') {
      n = Tok::letter;
    } else if (type == Tok::letter && digit(s[0])) {
      n = Tok::digit;
    } else if (type == Tok::suffix && digit(s[0])) {
      n = Tok::suffix_no;
    } else {
      if (s[0] == '.') n = Tok::digit_or_zero;
      if (s[0] == '_') n = Tok::suffix;
      if (s[0] == '-') {
        if (s.size() > 1 && s[1] == 'r') {
          n = Tok::revision_no;
          s.remove_prefix(1);
        }
      }
      s.remove_prefix(1);
    }
    // Tokens only move forward, apart from a new component (after a digit or letter) and
    // a new suffix (after a suffix number).
    bool allowed_back = (n == Tok::digit_or_zero && type == Tok::digit) ||
                        (n == Tok::suffix && type == Tok::suffix_no) ||
                        (n == Tok::digit && type == Tok::letter);
    if (n < type && !allowed_back) n = Tok::invalid;
    type = n;
  }

  // The value of the current token, then moves to the next one.
  int64_t take() {
    static constexpr std::array<std::string_view, 4> pre{"alpha", "beta", "pre", "rc"};
    static constexpr std::array<std::string_view, 5> post{"cvs", "svn", "git", "hg", "p"};
    if (s.empty()) {
      type = Tok::end;
      return 0;
    }
    int64_t v = 0;
    size_t i = 0;
    Tok next = Tok::invalid;
    switch (type) {
      case Tok::digit_or_zero:
        if (s[0] == '0') {  // "1.02": leading zeros make a fraction, below any "1.1"
          while (i < s.size() && s[i] == '0') ++i;
          next = Tok::digit;
          v = -static_cast<int64_t>(i);
          break;
        }
        [[fallthrough]];
      case Tok::digit:
      case Tok::suffix_no:
      case Tok::revision_no:
        while (i < s.size() && digit(s[i]) && v < INT64_MAX / 10 - 10) v = v * 10 + (s[i++] - '0');
        while (i < s.size() && digit(s[i])) ++i;
        break;
      case Tok::letter:
        v = static_cast<unsigned char>(s[i++]);
        break;
      case Tok::suffix: {
        bool found = false;
        for (size_t k = 0; k < pre.size() && !found; ++k)
          if (s.starts_with(pre[k])) {
            v = static_cast<int64_t>(k) - static_cast<int64_t>(pre.size());
            i = pre[k].size();
            found = true;
          }
        for (size_t k = 0; k < post.size() && !found; ++k)
          if (s.starts_with(post[k])) {
            v = static_cast<int64_t>(k);
            i = post[k].size();
            found = true;
          }
        if (found) break;
        type = Tok::invalid;
        return -1;
      }
      default:
        type = Tok::invalid;
        return -1;
    }
    s.remove_prefix(i);
    if (s.empty())
      type = Tok::end;
    else if (next != Tok::invalid)
      type = next;
    else
      advance_type();
    return v;
  }
};

int sign(int64_t x) {
  return x < 0 ? -1 : x > 0 ? 1 : 0;
}

}  // namespace

int compare_deb(std::string_view a, std::string_view b) {
  auto x = split_deb(a), y = split_deb(b);
  if (x.epoch != y.epoch) return x.epoch < y.epoch ? -1 : 1;
  if (int c = compare_part(x.upstream, y.upstream)) return c;
  return compare_part(x.revision, y.revision);
}

int compare_apk(std::string_view a, std::string_view b) {
  ApkReader x{a}, y{b};
  int64_t av = 0, bv = 0;
  while (x.type == y.type && x.type != Tok::end && x.type != Tok::invalid && av == bv) {
    av = x.take();
    bv = y.take();
  }
  if (av != bv) return sign(av - bv);
  if (x.type == y.type) return 0;
  // Equal so far and one goes on: the longer one is newer, unless what follows is a
  // pre-release suffix.
  if (x.type == Tok::suffix && ApkReader(x).take() < 0) return -1;
  if (y.type == Tok::suffix && ApkReader(y).take() < 0) return 1;
  if (x.type > y.type) return -1;
  if (y.type > x.type) return 1;
  return 0;
}

}  // namespace kiln::scan
