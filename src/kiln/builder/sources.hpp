// Where COPY and ADD read from: the build context (with .dockerignore applied) or another
// stage's or image's root filesystem. Paths are resolved inside the tree (openat2
// RESOLVE_IN_ROOT): "../x" or a symlink pointing out of the context cannot reach outside it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/dockerfile/dockerignore.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::builder {

class SourceTree {
 public:
  // A build context directory; `ignore` from its .dockerignore (may be empty).
  static Result<SourceTree> open(const std::string& dir, dockerfile::IgnoreMatcher ignore,
                                 std::string display);
  const os::Dir& dir() const { return m_dir; }
  const std::string& display() const { return m_display; }

  // Is this tree-relative path ("a/b") hidden by .dockerignore?
  bool ignored(std::string_view rel) const;
  // Could a "!" exception in .dockerignore bring back something below this ignored directory?
  bool may_reinclude(std::string_view rel) const;
  // Expands one COPY source (wildcards as Go's filepath.Match, per component) into the
  // tree-relative paths it names, sorted; "." for the root. Errc::not_found when nothing
  // matches, naming the source as BuildKit does.
  Result<std::vector<std::string>> expand(std::string_view pattern) const;
  // A digest of everything these sources bring (relative paths, types, permission bits, sizes,
  // file contents, link targets; not mtimes or owners), after .dockerignore and `excludes`
  // (matched relative to each source, as COPY --exclude is).
  Result<std::string> content_key(const std::vector<std::string>& rels,
                                  const dockerfile::IgnoreMatcher& excludes) const;

 private:
  os::Dir m_dir;
  dockerfile::IgnoreMatcher m_ignore;
  std::string m_display;
};

}  // namespace kiln::builder
