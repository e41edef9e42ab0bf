#include "kiln/dockerfile/dockerignore.hpp"

#include <sys/stat.h>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/glob.hpp"

namespace kiln::dockerfile {

namespace {

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

}  // namespace

std::string go_clean(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> out;
  for (auto& c : split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!out.empty() && out.back() != "..")
        out.pop_back();
      else if (!rooted)
        out.push_back("..");
      continue;
    }
    out.push_back(c);
  }
  std::string joined = join(out, "/");
  if (rooted) return "/" + joined;
  return joined.empty() ? "." : joined;
}

Result<bool> go_match(std::string_view pattern, std::string_view name) {
  auto g = KILN_TRY(detail::Glob::compile(pattern, false));
  return g.match(name);
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
      if (p.size() == 1)
        return fail(Errc::invalid_argument, ".dockerignore: illegal exclusion pattern: \"!\"");
      pat.exclusion = true;
      p = p.substr(1);
    }
    if (auto ok = go_match(p, "."); !ok)
      return failf(Errc::invalid_argument, ".dockerignore: pattern \"{}\": {}", raw,
                   ok.error().message());
    pat.cleaned = p;
    pat.dirs = split(p, '/');
    auto glob = detail::Glob::compile(p, true);
    if (!glob)
      return failf(Errc::invalid_argument, ".dockerignore: pattern \"{}\": {}", raw,
                   glob.error().message());
    pat.glob = std::make_shared<detail::Glob>(std::move(*glob));
    m.m_patterns.push_back(std::move(pat));
  }
  return m;
}

bool IgnoreMatcher::match(const Pattern& p, std::string_view path) const {
  return p.glob->match(path);
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
  if (!dockerfile_path.empty() && exists(dockerfile_path + ".dockerignore"))
    return dockerfile_path + ".dockerignore";
  std::string def = context_dir + "/.dockerignore";
  return exists(def) ? def : "";
}

}  // namespace kiln::dockerfile
