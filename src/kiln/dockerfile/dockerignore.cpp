#include "kiln/dockerfile/dockerignore.hpp"

#include <sys/stat.h>

#include <functional>

#include "kiln/base/strings.hpp"

namespace kiln::dockerfile {

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string regex_escape(char c) {
  static const std::string special = ".$^{}()|+";
  return special.find(c) != std::string::npos ? std::string("\\") + c : std::string(1, c);
}

// moby patternmatcher's translation of a pattern to a regular expression.
std::string to_regex(std::string_view p) {
  std::string re = "^";
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/') ++i;
        re += i + 1 >= p.size() ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '\\') {
      if (i + 1 < p.size()) {
        char n = p[++i];
        bool alnum = std::isalnum(static_cast<unsigned char>(n));
        re += alnum ? std::string(1, n) : std::string("\\") + n;  // an escaped character is literal
      } else {
        re += "\\\\";
      }
    } else if (c == '[' || c == ']') {
      re += c;
    } else {
      re += regex_escape(c);
    }
  }
  return re + "$";
}

}  // namespace

std::string go_clean(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> out;
  for (auto& c : split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!out.empty() && out.back() != "..") out.pop_back();
      else if (!rooted) out.push_back("..");
      continue;
    }
    out.push_back(c);
  }
  std::string joined = join(out, "/");
  if (rooted) return "/" + joined;
  return joined.empty() ? "." : joined;
}

Result<bool> go_match(std::string_view pattern, std::string_view name) {
  // Backtracking matcher for one component; '/' never matches * or ?.
  std::function<Result<bool>(size_t, size_t)> m = [&](size_t pi, size_t ni) -> Result<bool> {
    while (pi < pattern.size()) {
      char c = pattern[pi];
      if (c == '*') {
        while (pi < pattern.size() && pattern[pi] == '*') ++pi;
        for (size_t k = ni; k <= name.size(); ++k) {
          if (KILN_TRY(m(pi, k))) return true;
          if (k < name.size() && name[k] == '/') break;
        }
        return false;
      }
      if (ni >= name.size()) {
        // Still validate the rest of the pattern for syntax errors.
        if (c == '[' && pattern.find(']', pi) == std::string_view::npos)
          return fail(Errc::invalid_argument, "syntax error in pattern");
        return false;
      }
      if (c == '?') {
        if (name[ni] == '/') return false;
        ++pi, ++ni;
      } else if (c == '[') {
        size_t end = pi + 1;
        bool negate = end < pattern.size() && (pattern[end] == '^' || pattern[end] == '!');
        if (negate) ++end;
        bool matched = false, first = true;
        while (end < pattern.size() && (pattern[end] != ']' || first)) {
          first = false;
          char lo = pattern[end];
          if (lo == '\\' && end + 1 < pattern.size()) lo = pattern[++end];
          char hi = lo;
          if (end + 2 < pattern.size() && pattern[end + 1] == '-' && pattern[end + 2] != ']') {
            hi = pattern[end + 2];
            if (hi == '\\' && end + 3 < pattern.size()) hi = pattern[++end + 2];
            end += 2;
          }
          if (name[ni] >= lo && name[ni] <= hi) matched = true;
          ++end;
        }
        if (end >= pattern.size()) return fail(Errc::invalid_argument, "syntax error in pattern");
        if (matched == negate || name[ni] == '/') return false;
        pi = end + 1, ++ni;
      } else if (c == '\\') {
        if (pi + 1 >= pattern.size()) return fail(Errc::invalid_argument, "syntax error in pattern");
        if (pattern[pi + 1] != name[ni]) return false;
        pi += 2, ++ni;
      } else {
        if (c != name[ni]) return false;
        ++pi, ++ni;
      }
    }
    return ni == name.size();
  };
  return m(0, 0);
}

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string> patterns;
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with('#')) continue;
    std::string p(trim(line));
    if (p.empty()) continue;
    bool invert = p[0] == '!';
    if (invert) p = std::string(trim(std::string_view(p).substr(1)));
    if (!p.empty()) {
      p = go_clean(p);
      if (p.size() > 1 && p[0] == '/') p = p.substr(1);
    }
    patterns.push_back(invert ? "!" + p : p);
  }
  return from_patterns(patterns);
}

Result<IgnoreMatcher> IgnoreMatcher::from_patterns(const std::vector<std::string>& patterns) {
  IgnoreMatcher m;
  m.m_source = patterns;
  for (const auto& raw : patterns) {
    std::string p(trim(raw));
    if (p.empty()) continue;
    p = go_clean(p);
    Pattern pat;
    if (p[0] == '!') {
      if (p.size() == 1) return fail(Errc::invalid_argument, ".dockerignore: illegal exclusion pattern: \"!\"");
      pat.exclusion = true;
      p = p.substr(1);
    }
    if (auto ok = go_match(p, "."); !ok)
      return failf(Errc::invalid_argument, ".dockerignore: pattern \"{}\": {}", raw, ok.error().message());
    pat.cleaned = p;
    pat.dirs = split(p, '/');
    try {
      pat.re = std::make_shared<std::regex>(to_regex(p), std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error&) {
      return failf(Errc::invalid_argument, ".dockerignore: pattern \"{}\": syntax error in pattern", raw);
    }
    m.m_patterns.push_back(std::move(pat));
  }
  return m;
}

bool IgnoreMatcher::match(const Pattern& p, std::string_view path) const {
  return std::regex_match(path.begin(), path.end(), *p.re);
}

bool IgnoreMatcher::excluded(std::string_view file) const {
  bool matched = false;
  std::string f = go_clean(file);
  size_t slash = f.rfind('/');
  std::string parent = slash == std::string::npos ? "." : f.substr(0, slash);
  auto parent_dirs = split(parent, '/');
  for (const auto& p : m_patterns) {
    if (p.exclusion != matched) continue;
    bool hit = match(p, f);
    if (!hit && parent != ".") {
      std::string prefix;
      for (const auto& d : parent_dirs) {
        prefix = prefix.empty() ? d : prefix + "/" + d;
        if (match(p, prefix)) {
          hit = true;
          break;
        }
      }
    }
    if (hit) matched = !p.exclusion;
  }
  return matched;
}

bool IgnoreMatcher::may_reinclude_under(std::string_view dir) const {
  auto comps = split(go_clean(dir), '/');
  for (const auto& p : m_patterns) {
    if (!p.exclusion) continue;
    if (p.cleaned.find("**") != std::string::npos) return true;
    if (p.dirs.size() <= comps.size()) continue;
    bool prefix_ok = true;
    for (size_t i = 0; i < comps.size() && prefix_ok; ++i) {
      auto r = go_match(p.dirs[i], comps[i]);
      prefix_ok = r && *r;
    }
    if (prefix_ok) return true;
  }
  return false;
}

std::string ignore_file_for(const std::string& context_dir, const std::string& dockerfile_path) {
  if (!dockerfile_path.empty() && exists(dockerfile_path + ".dockerignore")) return dockerfile_path + ".dockerignore";
  std::string def = context_dir + "/.dockerignore";
  return exists(def) ? def : "";
}

}  // namespace kiln::dockerfile
