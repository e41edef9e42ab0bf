// Matches a catalog against the advisory index, following the OSV schema's evaluation:
// ECOSYSTEM and SEMVER ranges (GIT ranges name commits and never match a package version),
// introduced / fixed / last_affected / limit events in version order, explicit `versions`
// lists, withdrawn advisories skipped. Advisories that alias one another (the same CVE from
// two databases) make one finding per package that lists every ID.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/scan/osv.hpp"
#include "kiln/scan/package.hpp"
#include "kiln/scan/vulndb.hpp"

namespace kiln::scan {

struct Finding {
  std::string id;                // the CVE when the advisories name one, else an advisory ID
  std::vector<std::string> ids;  // every advisory ID and alias behind this finding, sorted
  // The upstream vulnerabilities of a distro advisory that fixes several at once (a DSA
  // listing three CVEs): related, but each is its own vulnerability.
  std::vector<std::string> related;
  size_t package = 0;           // index into Catalog::packages
  std::string ecosystem, name;  // what matched: "Debian:12" and the source package name
  std::string installed;        // the version compared (a deb's source version)
  std::string fixed;            // the lowest fixed version above it; "" when none is known
  std::string severity = "UNKNOWN";
  int score_tenths = -1;
  std::string cvss_vector, summary, url;
};

struct MatchResult {
  std::vector<Finding> findings;  // by severity (worst first), then package, then id
  std::vector<std::string> warnings;
};

// <0, 0, >0 in the ecosystem's version order; nullopt when kiln has no ordering for that
// ecosystem ("Debian:12" and "Ubuntu:22.04" use dpkg's, "Alpine:v3.19" apk's).
std::optional<int> compare_versions(std::string_view ecosystem, std::string_view a,
                                    std::string_view b);

// True when `version` is affected by the entry; `fixed` gets the lowest fixed event above it.
// Versions that cannot be ordered in the ecosystem never match.
bool is_affected(std::string_view ecosystem, std::string_view version,
                 const std::vector<OsvRange>& ranges, const std::vector<std::string>& versions,
                 std::string* fixed = nullptr);

// The OSV ecosystem and package name advisories use for a cataloged package, nullopt when
// no ecosystem is known for it (a deb in an image whose os-release names no release).
struct EcosystemName {
  std::vector<std::string> ecosystems;  // Ubuntu's LTS releases are also "Ubuntu:22.04:LTS"
  std::string name, version;
};
std::optional<EcosystemName> ecosystem_of(const Package& p, const std::optional<Distro>& d);

Result<MatchResult> match(VulnDb& db, const Catalog& cat);

// PEP 503's normal form of a PyPI name (lower case, runs of "-", "_", "." as one "-"): what
// OSV's PyPI records name, whatever the package's METADATA spells.
std::string pypi_normalise(std::string_view name);

// Orders severities: CRITICAL 4, HIGH 3, MEDIUM 2, LOW 1, anything else 0.
int severity_rank(std::string_view s);

}  // namespace kiln::scan
