#include "kiln/builder/sources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"

namespace kiln::builder {

namespace {

bool has_wildcard(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

std::string join_rel(const std::string& a, const std::string& b) {
  return a.empty() || a == "." ? b : a + "/" + b;
}

}  // namespace

Result<SourceTree> SourceTree::open(const std::string& dir, dockerfile::IgnoreMatcher ignore,
                                    std::string display) {
  SourceTree t;
  t.m_dir = KILN_TRY(os::Dir::open(dir));
  t.m_ignore = std::move(ignore);
  t.m_display = std::move(display);
  return t;
}

bool SourceTree::ignored(std::string_view rel) const {
  return !m_ignore.empty() && rel != "." && m_ignore.excluded(rel);
}

bool SourceTree::may_reinclude(std::string_view rel) const {
  return !m_ignore.empty() && m_ignore.may_reinclude_under(rel);
}

Result<std::vector<std::string>> SourceTree::expand(std::string_view pattern) const {
  std::string clean = dockerfile::go_clean("/" + std::string(pattern));
  std::string rel = clean == "/" ? "." : clean.substr(1);
  if (!has_wildcard(rel)) {
    auto fd = m_dir.open_in_root(rel, O_PATH | O_CLOEXEC);
    if (!fd || ignored(rel))
      return failf(Errc::not_found, "failed to compute cache key: {:?} not found",
                   "/" + (rel == "." ? std::string() : rel));
    return std::vector<std::string>{rel};
  }
  // Component by component: literal parts are opened, wildcard parts matched against listings.
  std::vector<std::string> current = {"."};
  for (const auto& comp : split(rel, '/')) {
    std::vector<std::string> next;
    for (const auto& base : current) {
      if (!has_wildcard(comp)) {
        std::string p = join_rel(base, comp);
        if (m_dir.open_in_root(p, O_PATH | O_CLOEXEC) && !ignored(p)) next.push_back(p);
        continue;
      }
      auto fd = m_dir.open_in_root(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (!fd) continue;
      os::Dir d(std::move(*fd), base);
      auto names = d.list();
      if (!names) continue;
      for (const auto& n : *names) {
        auto m = KILN_TRY_CTX(dockerfile::go_match(comp, n), fmt::format("source {:?}", pattern));
        std::string p = join_rel(base, n);
        if (m && !ignored(p)) next.push_back(p);
      }
    }
    current = std::move(next);
  }
  std::sort(current.begin(), current.end());
  if (current.empty())
    return failf(Errc::not_found,
                 "failed to compute cache key: no source files were specified "
                 "({:?} matches nothing)",
                 std::string(pattern));
  return current;
}

Result<std::string> SourceTree::content_key(const std::vector<std::string>& rels,
                                            const dockerfile::IgnoreMatcher& excludes) const {
  Sha256 h;
  constexpr size_t k_buf = 1 << 20;
  auto buf = std::make_unique_for_overwrite<char[]>(k_buf);
  auto add_text = [&](const std::string& s) { h.update(s.data(), s.size() + 1); };
  // Walks one path (following a symlink only at the top, as COPY does).
  std::string base;  // the source being walked; --exclude matches below it
  std::function<Status(const std::string&, bool)> visit = [&](const std::string& rel,
                                                              bool top) -> Status {
    std::string below = top ? "" : (base == "." ? rel : rel.substr(base.size() + 1));
    if (!top && !excludes.empty() && excludes.excluded(below)) return {};
    int flags = O_PATH | O_CLOEXEC | (top ? 0 : O_NOFOLLOW);
    auto fd = KILN_TRY(m_dir.open_in_root(rel, flags));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return fail_errno(fmt::format("stat {}", rel));
    if (ignored(rel) && !(S_ISDIR(st.st_mode) && may_reinclude(rel))) return {};
    add_text(fmt::format("{}\t{:o}\t{}", rel, st.st_mode & 0177777,
                         S_ISREG(st.st_mode) ? st.st_size : 0));
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlinkat(fd.get(), "", target, sizeof target);
      if (n >= 0) add_text(std::string(target, static_cast<size_t>(n)));
    } else if (S_ISREG(st.st_mode)) {
      auto data = KILN_TRY(m_dir.open_in_root(rel, O_RDONLY | O_CLOEXEC | (top ? 0 : O_NOFOLLOW)));
      while (true) {
        ssize_t n = ::read(data.get(), buf.get(), k_buf);
        if (n < 0) return fail_errno(fmt::format("read {}", rel));
        if (n == 0) break;
        h.update(buf.get(), static_cast<size_t>(n));
      }
    } else if (S_ISDIR(st.st_mode)) {
      auto dfd = KILN_TRY(m_dir.open_in_root(rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      os::Dir d(std::move(dfd), rel);
      auto names = KILN_TRY(d.list());
      std::sort(names.begin(), names.end());
      for (const auto& n : names) KILN_TRY(visit(join_rel(rel, n), false));
    }
    return {};
  };
  for (const auto& r : rels) {
    base = r;
    KILN_TRY(visit(r, true));
  }
  return h.finish().hex();
}

}  // namespace kiln::builder
