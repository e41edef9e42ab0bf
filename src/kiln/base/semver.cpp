#include "kiln/base/semver.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

#include <fmt/format.h>

namespace kiln::semver {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A numeric identifier: digits, no leading zero, fits in 64 bits.
std::optional<uint64_t> number(std::string_view s) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0') || s.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) n = n * 10 + static_cast<uint64_t>(c - '0');
  return n;
}

bool identifier_chars(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

int compare_identifiers(std::string_view a, std::string_view b) {
  bool na = all_digits(a), nb = all_digits(b);
  if (na && nb) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0;
  }
  if (na != nb) return na ? -1 : 1;  // numeric identifiers sort first
  return a.compare(b) < 0 ? -1 : a.compare(b) > 0;
}

}  // namespace

std::optional<Version> parse(std::string_view s, bool allow_v) {
  if (allow_v && !s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  Version v;
  if (size_t plus = s.find('+'); plus != std::string_view::npos) {
    std::string_view build = s.substr(plus + 1);
    for (auto id : split(build, '.'))
      if (!identifier_chars(id)) return std::nullopt;
    v.build = std::string(build);
    s = s.substr(0, plus);
  }
  if (size_t dash = s.find('-'); dash != std::string_view::npos) {
    for (auto id : split(s.substr(dash + 1), '.')) {
      if (!identifier_chars(id) || (all_digits(id) && !number(id))) return std::nullopt;
      v.pre.emplace_back(id);
    }
    s = s.substr(0, dash);
  }
  auto parts = split(s, '.');
  if (parts.size() != 3) return std::nullopt;
  auto ma = number(parts[0]), mi = number(parts[1]), pa = number(parts[2]);
  if (!ma || !mi || !pa) return std::nullopt;
  v.major = *ma;
  v.minor = *mi;
  v.patch = *pa;
  return v;
}

int compare(const Version& a, const Version& b) {
  auto ta = std::tie(a.major, a.minor, a.patch), tb = std::tie(b.major, b.minor, b.patch);
  if (ta != tb) return ta < tb ? -1 : 1;
  if (a.pre.empty() != b.pre.empty()) return a.pre.empty() ? 1 : -1;  // a release is newer
  for (size_t i = 0; i < std::min(a.pre.size(), b.pre.size()); ++i)
    if (int c = compare_identifiers(a.pre[i], b.pre[i])) return c;
  if (a.pre.size() != b.pre.size()) return a.pre.size() < b.pre.size() ? -1 : 1;
  return 0;
}

std::string to_string(const Version& v) {
  std::string s = fmt::format("{}.{}.{}", v.major, v.minor, v.patch);
  for (size_t i = 0; i < v.pre.size(); ++i) s += (i ? "." : "-") + v.pre[i];
  return s;
}

Result<std::vector<std::string>> expand_tags(std::string_view text, bool latest) {
  auto v = parse(text);
  if (!v)
    return failf(Errc::invalid_argument,
                 "--semver {}: not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE], e.g. "
                 "1.4.2 or 2.0.0-rc.1)",
                 text);
  if (!v->build.empty())
    return failf(Errc::invalid_argument,
                 "--semver {}: build metadata (+{}) cannot be part of a tag ('+' is not allowed "
                 "in tags); give the version without it",
                 text, v->build);
  std::vector<std::string> tags{to_string(*v)};
  if (!v->pre.empty()) return tags;
  tags.push_back(fmt::format("{}.{}", v->major, v->minor));
  tags.push_back(fmt::format("{}", v->major));
  if (latest) tags.emplace_back("latest");
  return tags;
}

namespace {

// How a tag sorts: a version, a floating tag (missing parts as "above every value"), or a name.
struct TagKey {
  int kind = 2;  // 0: a version or floating tag, 2: anything else
  uint64_t major = 0, minor = 0, patch = 0;
  std::optional<Version> full;
};

TagKey tag_key(std::string_view tag) {
  TagKey k;
  if (auto v = parse(tag)) {
    k.kind = 0;
    k.major = v->major;
    k.minor = v->minor;
    k.patch = v->patch;
    k.full = std::move(v);
    return k;
  }
  std::string_view s = tag;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  auto parts = split(s, '.');
  if (parts.size() > 2) return k;
  constexpr uint64_t top = std::numeric_limits<uint64_t>::max();
  auto ma = number(parts[0]);
  auto mi = parts.size() == 2 ? number(parts[1]) : std::optional<uint64_t>(top);
  if (!ma || !mi) return k;
  k.kind = 0;
  k.major = *ma;
  k.minor = *mi;
  k.patch = top;
  return k;
}

}  // namespace

void sort_tags(std::vector<std::string>& tags) {
  std::vector<std::pair<TagKey, std::string>> keyed;
  keyed.reserve(tags.size());
  for (auto& t : tags) keyed.emplace_back(tag_key(t), std::move(t));
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) {
    const TagKey &a = x.first, &b = y.first;
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.kind == 0) {
      auto ta = std::tie(a.major, a.minor, a.patch), tb = std::tie(b.major, b.minor, b.patch);
      if (ta != tb) return ta < tb;
      if (a.full && b.full)
        if (int c = compare(*a.full, *b.full)) return c < 0;
    }
    return x.second < y.second;
  });
  tags.clear();
  for (auto& [k, t] : keyed) tags.push_back(std::move(t));
}

}  // namespace kiln::semver
