// .dockerignore: reading (BOM, # comments, whitespace, ! exceptions, leading /, path cleaning)
// and matching with the semantics BuildKit uses while walking a build context (moby's
// patternmatcher: Go filepath.Match syntax plus "**"; a path is excluded when it or one of its
// parent directories matches the last applicable pattern).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::dockerfile {

namespace detail {
class Glob;
}

class IgnoreMatcher {
 public:
  // Parses the text of a .dockerignore file.
  static Result<IgnoreMatcher> parse(std::string_view text);
  // From already-cleaned patterns (as parse() produces them).
  static Result<IgnoreMatcher> from_patterns(const std::vector<std::string>& patterns);

  // Is this context-relative path ("a/b.txt", no leading "/") excluded?
  bool excluded(std::string_view path) const;
  // Walker hint: could an exception pattern re-include something below this excluded dir?
  // When false, the walker may skip the whole directory.
  bool may_reinclude_under(std::string_view dir) const;
  const std::vector<std::string>& patterns() const { return m_source; }
  bool empty() const { return m_patterns.empty(); }

 private:
  struct Pattern {
    bool exclusion = false;
    std::string cleaned;
    std::vector<std::string> dirs;
    std::shared_ptr<const detail::Glob> glob;
  };
  bool match(const Pattern& p, std::string_view path) const;
  std::vector<Pattern> m_patterns;
  std::vector<std::string> m_source;
};

// Go's filepath.Clean for slash-separated paths.
std::string go_clean(std::string_view path);
// Go's filepath.Match (one path component with *, ?, [...], \ escapes).
Result<bool> go_match(std::string_view pattern, std::string_view name);

// The ignore file that applies: "<dockerfile>.dockerignore" next to the Dockerfile when it
// exists, else "<context>/.dockerignore"; "" when neither exists.
std::string ignore_file_for(const std::string& context_dir, const std::string& dockerfile_path);

}  // namespace kiln::dockerfile
