// node-semver ranges (https://github.com/npm/node-semver#ranges), desugared into sets of
// plain comparators as node-semver does it: "~1.2" is ">=1.2.0 <1.3.0-0", "^0.2.3" is
// ">=0.2.3 <0.3.0-0", "1.2 - 2" is ">=1.2.0 <3.0.0-0", "1.x" is ">=1.0.0 <2.0.0-0".
#include <algorithm>

#include "kiln/base/semver.hpp"

namespace kiln::semver {

namespace {

using Comparator = Range::Comparator;

// A version with any of its numbers missing or a wildcard ("x", "X", "*").
struct Partial {
  std::optional<uint64_t> major, minor, patch;
  std::vector<std::string> pre;
};

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

bool wildcard(std::string_view s) {
  return s == "x" || s == "X" || s == "*";
}

Result<Partial> parse_partial(std::string_view text, std::string_view whole) {
  std::string_view s = text;
  if (!s.empty() && (s[0] == 'v' || s[0] == '=')) s.remove_prefix(1);
  Partial p;
  if (s.empty() || wildcard(s)) return p;
  if (auto full = parse(s, false)) {
    p.major = full->major;
    p.minor = full->minor;
    p.patch = full->patch;
    p.pre = full->pre;
    return p;
  }
  auto bad = [&] {
    return failf(Errc::invalid_argument, "version range \"{}\": \"{}\" is not a version", whole,
                 text);
  };
  std::optional<uint64_t>* slots[] = {&p.major, &p.minor, &p.patch};
  size_t i = 0;
  bool wild = false;
  for (std::string_view rest = s;; ++i) {
    if (i == 3) return bad();
    size_t dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    if (wildcard(part)) {
      wild = true;
    } else {
      auto n = number(part);
      if (wild || !n) return bad();
      *slots[i] = n;
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return p;
}

Version at(uint64_t ma, uint64_t mi, uint64_t pa, bool pre0 = false) {
  Version v{ma, mi, pa, {}, {}};
  if (pre0) v.pre.emplace_back("0");
  return v;
}

// The version just above everything `p` covers, as "<X-0": nullopt when p is "*".
std::optional<Version> upper(const Partial& p) {
  if (!p.major) return std::nullopt;
  if (!p.minor) return at(*p.major + 1, 0, 0, true);
  if (!p.patch) return at(*p.major, *p.minor + 1, 0, true);
  return std::nullopt;  // a full version: the caller uses it exactly
}

Version lower(const Partial& p) {
  Version v = at(p.major.value_or(0), p.minor.value_or(0), p.patch.value_or(0));
  if (p.patch) v.pre = p.pre;
  return v;
}

void add_tilde(const Partial& p, std::vector<Comparator>& out) {
  if (!p.major) return out.push_back({Comparator::ge, at(0, 0, 0)});
  out.push_back({Comparator::ge, lower(p)});
  if (!p.minor) return out.push_back({Comparator::lt, at(*p.major + 1, 0, 0, true)});
  out.push_back({Comparator::lt, at(*p.major, *p.minor + 1, 0, true)});
}

void add_caret(const Partial& p, std::vector<Comparator>& out) {
  if (!p.major) return out.push_back({Comparator::ge, at(0, 0, 0)});
  out.push_back({Comparator::ge, lower(p)});
  if (*p.major > 0 || !p.minor)
    return out.push_back({Comparator::lt, at(*p.major + 1, 0, 0, true)});
  if (*p.minor > 0 || !p.patch)
    return out.push_back({Comparator::lt, at(0, *p.minor + 1, 0, true)});
  out.push_back({Comparator::lt, at(0, 0, *p.patch + 1, true)});
}

// "<", "<=", ">", ">=", "=" or none, with a partial version.
void add_primitive(std::string_view op, const Partial& p, std::vector<Comparator>& out) {
  bool full = p.patch.has_value();
  auto nothing = [&] { out.push_back({Comparator::lt, at(0, 0, 0, true)}); };
  if (op == ">") {
    if (full) return out.push_back({Comparator::gt, lower(p)});
    if (!p.major) return nothing();
    Version v = *upper(p);
    v.pre.clear();
    return out.push_back({Comparator::ge, v});
  }
  if (op == "<") {
    if (full) return out.push_back({Comparator::lt, lower(p)});
    if (!p.major) return nothing();
    Version v = lower(p);
    v.pre = {"0"};
    return out.push_back({Comparator::lt, v});
  }
  if (op == ">=") return out.push_back({Comparator::ge, lower(p)});
  if (op == "<=") {
    if (full) return out.push_back({Comparator::le, lower(p)});
    if (!p.major) return out.push_back({Comparator::ge, at(0, 0, 0)});
    return out.push_back({Comparator::lt, *upper(p)});
  }
  // "=" or a bare version: exactly it, or everything a partial one covers.
  if (full) return out.push_back({Comparator::eq, lower(p)});
  out.push_back({Comparator::ge, lower(p)});
  if (auto u = upper(p)) out.push_back({Comparator::lt, *u});
}

Status parse_simple(std::string_view tok, std::string_view whole, std::vector<Comparator>& out) {
  if (tok.starts_with('~') || tok.starts_with('^')) {
    size_t skip = tok.starts_with("~>") ? 2 : 1;  // "~>" is "~"
    auto p = KILN_TRY(parse_partial(tok.substr(skip), whole));
    tok[0] == '~' ? add_tilde(p, out) : add_caret(p, out);
    return {};
  }
  size_t n = tok.find_first_not_of("<>=");
  std::string_view op = tok.substr(0, n);
  if (op.size() > 2 || (op.size() == 2 && op[1] != '=') || op == "==")
    return failf(Errc::invalid_argument, "version range \"{}\": unknown operator \"{}\"", whole,
                 op);
  add_primitive(op, KILN_TRY(parse_partial(tok.substr(op.size()), whole)), out);
  return {};
}

// One "||" alternative: a hyphen range, or comparators separated by spaces (an operator may be
// followed by spaces: ">= 1.2").
Result<std::vector<Comparator>> parse_set(std::string_view text, std::string_view whole) {
  std::vector<std::string> toks;
  for (auto t : split_ws(text)) {
    if (!toks.empty() && !toks.back().empty() &&
        toks.back().find_first_not_of("<>=~^") == std::string::npos)
      toks.back() += t;
    else
      toks.emplace_back(t);
  }
  std::vector<Comparator> out;
  if (toks.size() == 3 && toks[1] == "-") {
    auto lo = KILN_TRY(parse_partial(toks[0], whole)), hi = KILN_TRY(parse_partial(toks[2], whole));
    out.push_back({Comparator::ge, lower(lo)});
    if (hi.patch)
      out.push_back({Comparator::le, lower(hi)});
    else if (auto u = upper(hi))
      out.push_back({Comparator::lt, *u});
    return out;
  }
  if (toks.empty()) out.push_back({Comparator::ge, at(0, 0, 0)});
  for (const auto& t : toks) KILN_TRY(parse_simple(t, whole, out));
  return out;
}

bool satisfies(const Comparator& c, const Version& v) {
  int r = compare(v, c.v);
  switch (c.op) {
    case Comparator::lt:
      return r < 0;
    case Comparator::le:
      return r <= 0;
    case Comparator::gt:
      return r > 0;
    case Comparator::ge:
      return r >= 0;
    case Comparator::eq:
      return r == 0;
  }
  return false;
}

}  // namespace

Result<Range> Range::parse(std::string_view text) {
  if (text.size() > 1024) return fail(Errc::invalid_argument, "version range: longer than 1024");
  Range r;
  std::string_view rest = text;
  for (;;) {
    size_t bar = rest.find("||");
    r.m_sets.push_back(KILN_TRY(parse_set(rest.substr(0, bar), text)));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 2);
  }
  return r;
}

bool Range::matches(const Version& v) const {
  for (const auto& set : m_sets) {
    if (!std::all_of(set.begin(), set.end(), [&](const auto& c) { return satisfies(c, v); }))
      continue;
    if (v.pre.empty()) return true;
    // npm: a prerelease only where the range names one of the same MAJOR.MINOR.PATCH.
    for (const auto& c : set)
      if (!c.v.pre.empty() && c.v.major == v.major && c.v.minor == v.minor && c.v.patch == v.patch)
        return true;
  }
  return false;
}

}  // namespace kiln::semver
