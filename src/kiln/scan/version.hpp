// Version orders of package managers and language ecosystems, for matching advisories:
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

// RPM: [epoch:]version[-release], epoch numeric, version and release by rpmvercmp: runs of
// digits (as numbers) and of letters, other characters only separate; a number is newer than
// letters; '~' sorts before everything, even the end, and '^' after the end but before
// anything else.
int compare_rpm(std::string_view a, std::string_view b);

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

// Maven's ComparableVersion (3.8): items split at '.', '-' and digit/letter changes ('-' and
// changes open a sub-list), case-insensitive; qualifiers alpha < beta < milestone < rc = cr <
// snapshot < release ("", ga, final) < sp < any other (alphabetically); a, b, m followed by a
// digit mean alpha, beta, milestone; trailing zeros and release qualifiers do not count.
// nullopt for versions over 256 characters.
std::optional<int> compare_maven(std::string_view a, std::string_view b);

// RubyGems' Gem::Version: digit and letter runs, '-' read as ".pre."; a segment with letters
// starts a prerelease, which sorts before the release; trailing zeros of the release and of the
// prerelease part do not count. nullopt when either is not a valid gem version.
std::optional<int> compare_gem(std::string_view a, std::string_view b);

}  // namespace kiln::scan
