// An OSV advisory (ossf.github.io/osv-schema), as much of it as matching and reporting use.
#pragma once

#include <string>
#include <vector>

namespace kiln::scan {

struct OsvEvent {
  enum Kind { introduced, fixed, last_affected, limit } kind;
  std::string version;
};

struct OsvRange {
  std::string type;  // ECOSYSTEM, SEMVER or GIT (GIT ranges are kept but never match)
  std::vector<OsvEvent> events;
};

struct OsvAffected {
  std::string ecosystem;  // "Debian:12", "Alpine:v3.19", "PyPI", "npm", "Go", ...
  std::string name;
  std::vector<OsvRange> ranges;
  std::vector<std::string> versions;  // explicitly affected versions
  std::string severity;               // ecosystem_specific/database_specific severity, if any
};

struct OsvSeverity {
  std::string type;   // CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, ...
  std::string score;  // the vector (or the rating, for the non-CVSS types)
};

struct Advisory {
  std::string id, summary, published, modified, withdrawn;
  std::vector<std::string> aliases;   // the same vulnerability under other IDs
  std::vector<std::string> upstream;  // the upstream vulnerabilities a distro advisory fixes
  std::vector<OsvSeverity> severity;
  std::string db_severity;  // database_specific.severity (GitHub's LOW..CRITICAL)
  std::string url;          // the first ADVISORY reference, else the first reference
  std::vector<OsvAffected> affected;
};

}  // namespace kiln::scan
