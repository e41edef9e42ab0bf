// Semantic versions (https://semver.org, 2.0.0) as image tags use them: parsing, precedence,
// the tag set `--semver` expands a version into, ordering of a repository's tags, and npm's
// range syntax (node-semver) for filtering them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::semver {

struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;  // prerelease identifiers; empty for a release
  std::string build;             // build metadata, without '+'; ignored by precedence
};

// MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], strictly (no leading zeros in numbers or in numeric
// prerelease identifiers). A leading "v" (as in git tags) is accepted when allow_v is set.
std::optional<Version> parse(std::string_view s, bool allow_v = true);
// <0, 0 or >0 by SemVer precedence (build metadata ignored).
int compare(const Version& a, const Version& b);
std::string to_string(const Version& v);  // without the "v" and without build metadata

// The tags `kiln tag --semver V` gives: "1.2.3", "1.2", "1" (and "latest" when `latest`); a
// prerelease gets only its full tag (and never "latest"). A leading "v" is dropped, as
// docker/metadata-action does. Errors name what is wrong with V; build metadata is refused
// because '+' cannot be part of a tag.
Result<std::vector<std::string>> expand_tags(std::string_view v, bool latest);

// Orders tags by version: full versions ("1.2.3", "v1.2.3-rc.1") by precedence; the floating
// tags "1.2" and "1" after every version they stand for (1.2.9 < 1.2 < 1.3.0 < 1); everything
// else after all versions, by name. Ties (1.2.3 and v1.2.3) by name.
void sort_tags(std::vector<std::string>& tags);

// A node-semver range: "||"-separated sets of comparators ("<", "<=", ">", ">=", "="), bare
// and partial versions, X-ranges ("1.x", "1.2.*", "*"), tilde ("~1.2"), caret ("^0.2.3") and
// hyphen ranges ("1.2 - 2"), with npm's prerelease rule: a prerelease matches only a set
// that names a prerelease of the same MAJOR.MINOR.PATCH.
class Range {
 public:
  static Result<Range> parse(std::string_view text);
  bool matches(const Version& v) const;

  struct Comparator {
    enum Op { lt, le, gt, ge, eq } op;
    Version v;
  };

 private:
  std::vector<std::vector<Comparator>> m_sets;
};

}  // namespace kiln::semver
