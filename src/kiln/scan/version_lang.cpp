// PEP 440 and SemVer orders (version.hpp).
#include <regex>
#include <string>
#include <vector>

#include "kiln/scan/version.hpp"
#include "kiln/scan/version_util.hpp"

namespace kiln::scan {

namespace {

using version_util::all_digits;
using version_util::compare_number;
using version_util::sign;

std::vector<std::string> split(std::string_view s, std::string_view seps) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || seps.find(s[i]) != std::string_view::npos) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

// ---- PEP 440 ----

struct Pep440 {
  std::string epoch = "0";
  std::vector<std::string> release;
  // pre: rank 0 a, 1 b, 2 rc; -1 "before every pre-release" (a dev release of the final),
  // 3 "no pre-release".
  int pre_rank = 3;
  std::string pre_n = "0";
  bool has_post = false;
  std::string post_n = "0";
  bool has_dev = false;
  std::string dev_n = "0";
  std::vector<std::string> local;
};

std::optional<Pep440> parse_pep440(std::string_view text) {
  // The regular expression of PEP 440's appendix B, on the lower-cased, trimmed text.
  static const std::regex re(
      "v?(?:([0-9]+)!)?([0-9]+(?:\\.[0-9]+)*)"
      "(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?"
      "(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?"
      "(?:[-_.]?(dev)[-_.]?([0-9]+)?)?"
      "(?:\\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?");
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t lead = 0;
  while (lead < s.size() && std::isspace(static_cast<unsigned char>(s[lead]))) ++lead;
  s.erase(0, lead);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::smatch m;
  if (s.size() > 256 || !std::regex_match(s, m, re)) return std::nullopt;
  Pep440 v;
  if (m[1].matched) v.epoch = m[1].str();
  v.release = split(m[2].str(), ".");
  while (v.release.size() > 1 && compare_number(v.release.back(), "0") == 0) v.release.pop_back();
  if (m[3].matched) {
    std::string l = m[3].str();
    v.pre_rank = (l == "a" || l == "alpha") ? 0 : (l == "b" || l == "beta") ? 1 : 2;
    if (m[4].matched) v.pre_n = m[4].str();
  }
  if (m[5].matched) {
    v.has_post = true;
    v.post_n = m[5].str();
  } else if (m[6].matched) {
    v.has_post = true;
    if (m[7].matched) v.post_n = m[7].str();
  }
  if (m[8].matched) {
    v.has_dev = true;
    if (m[9].matched) v.dev_n = m[9].str();
  }
  // 1.0.dev1 sorts before 1.0a1: a dev release of the final version is below its pre-releases.
  if (v.has_dev && v.pre_rank == 3 && !v.has_post) v.pre_rank = -1;
  if (m[10].matched) v.local = split(m[10].str(), "-_.");
  return v;
}

int compare_local(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    bool an = all_digits(a[i]), bn = all_digits(b[i]);
    if (an != bn) return an ? 1 : -1;  // numeric segments sort after alphanumeric ones
    int c = an ? compare_number(a[i], b[i]) : sign(a[i].compare(b[i]));
    if (c) return c;
  }
  return sign(static_cast<int>(a.size()) - static_cast<int>(b.size()));
}

int compare_parsed(const Pep440& a, const Pep440& b) {
  if (int c = compare_number(a.epoch, b.epoch)) return c;
  size_t n = std::max(a.release.size(), b.release.size());
  for (size_t i = 0; i < n; ++i) {
    std::string_view x = i < a.release.size() ? std::string_view(a.release[i]) : "0";
    std::string_view y = i < b.release.size() ? std::string_view(b.release[i]) : "0";
    if (int c = compare_number(x, y)) return c;
  }
  if (a.pre_rank != b.pre_rank) return a.pre_rank < b.pre_rank ? -1 : 1;
  if (a.pre_rank >= 0 && a.pre_rank < 3)
    if (int c = compare_number(a.pre_n, b.pre_n)) return c;
  if (a.has_post != b.has_post) return a.has_post ? 1 : -1;
  if (int c = compare_number(a.post_n, b.post_n)) return c;
  if (a.has_dev != b.has_dev) return a.has_dev ? -1 : 1;
  if (int c = compare_number(a.dev_n, b.dev_n)) return c;
  return compare_local(a.local, b.local);
}

// ---- SemVer ----
// (a version with fewer than three core numbers is completed with zeros: "1.0" is 1.0.0)

struct Semver {
  std::string major, minor, patch;
  std::vector<std::string> pre;
};

bool identifier(std::string_view s) {
  return !s.empty() && s.find_first_not_of(
                           "0123456789abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ-") == std::string_view::npos;
}

std::optional<Semver> parse_semver(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '=' || s.front() == 'v'))
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty() || s.size() > 256) return std::nullopt;
  if (auto plus = s.find('+'); plus != std::string_view::npos) {
    for (const auto& b : split(s.substr(plus + 1), "."))
      if (!identifier(b)) return std::nullopt;
    s = s.substr(0, plus);
  }
  Semver v;
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    v.pre = split(s.substr(dash + 1), ".");
    for (const auto& p : v.pre)
      if (!identifier(p)) return std::nullopt;
    s = s.substr(0, dash);
  }
  // npm and OSV records sometimes give "1.0" or "2": the missing parts are zero.
  auto core = split(s, ".");
  if (core.empty() || core.size() > 3) return std::nullopt;
  while (core.size() < 3) core.emplace_back("0");
  for (const auto& c : core)
    if (!all_digits(c)) return std::nullopt;
  v.major = core[0];
  v.minor = core[1];
  v.patch = core[2];
  return v;
}

}  // namespace

std::optional<int> compare_pep440(std::string_view a, std::string_view b) {
  auto x = parse_pep440(a), y = parse_pep440(b);
  if (!x || !y) return std::nullopt;
  return compare_parsed(*x, *y);
}

std::optional<int> compare_semver(std::string_view a, std::string_view b) {
  auto x = parse_semver(a), y = parse_semver(b);
  if (!x || !y) return std::nullopt;
  if (int c = compare_number(x->major, y->major)) return c;
  if (int c = compare_number(x->minor, y->minor)) return c;
  if (int c = compare_number(x->patch, y->patch)) return c;
  if (x->pre.empty() != y->pre.empty()) return x->pre.empty() ? 1 : -1;
  for (size_t i = 0; i < x->pre.size() && i < y->pre.size(); ++i) {
    bool an = all_digits(x->pre[i]), bn = all_digits(y->pre[i]);
    if (an != bn) return an ? -1 : 1;  // numeric identifiers sort before alphanumeric ones
    int c = an ? compare_number(x->pre[i], y->pre[i]) : sign(x->pre[i].compare(y->pre[i]));
    if (c) return c;
  }
  return sign(static_cast<int>(x->pre.size()) - static_cast<int>(y->pre.size()));
}

}  // namespace kiln::scan
