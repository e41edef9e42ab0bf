// Version ordering of the distributions' package managers, for matching advisories:
// <0, 0 or >0 as a sorts before, equal to, or after b.
#pragma once

#include <optional>
#include <string_view>

namespace kiln::scan {

// dpkg (deb-version(7)): [epoch:]upstream[-revision]; '~' sorts before everything, even the
// end of the string; letters before other characters; digit runs compare as numbers.
int compare_deb(std::string_view a, std::string_view b);

// apk (Gentoo-style): digits{.digits}[letter]{_suffix[N]}[-rN]. Pre-release suffixes
// (_alpha, _beta, _pre, _rc) sort before the bare version, post-release ones (_cvs, _svn,
// _git, _hg, _p) after it; a leading zero in a component after a dot makes it a fraction
// (1.02 < 1.1). Versions apk itself calls invalid compare by their valid prefix.
int compare_apk(std::string_view a, std::string_view b);

// PEP 440 (PyPI): [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], with the spec's
// normalisations (case, "v" prefix, alpha/beta/c/pre/preview spellings, "-N" as a post
// release, optional separators and numbers). nullopt when either is not a PEP 440 version:
// such versions (legacy setuptools ones) are not ordered.
std::optional<int> compare_pep440(std::string_view a, std::string_view b);

// SemVer 2.0 (npm, crates.io): MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]; build metadata is
// ignored, a prerelease sorts before its release, its identifiers compare numerically when
// numeric and numeric ones before alphanumeric ones. npm's leading "v" or "=" is accepted.
// nullopt when either is not SemVer.
std::optional<int> compare_semver(std::string_view a, std::string_view b);

}  // namespace kiln::scan
