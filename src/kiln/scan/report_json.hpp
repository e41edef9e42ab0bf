// `kiln scan --format json` and `kiln db status --format json` (schemas in docs/scan.md).
#pragma once

#include <string>

#include "kiln/scan/match.hpp"
#include "kiln/scan/misconfig.hpp"
#include "kiln/scan/sbom_json.hpp"
#include "kiln/scan/secrets.hpp"
#include "kiln/scan/vulndb.hpp"

namespace kiln::scan {

// What one scan found.
struct ScanResults {
  std::vector<Finding> vulnerabilities;
  std::vector<SecretFinding> secrets;
  std::vector<Misconfiguration> misconfigurations;
};

// `db` is null when the vulnerability scanner did not run.
std::string scan_json(const SbomSubject& image, const Catalog& cat, const ScanResults& found,
                      const DbStatus* db, const std::vector<std::string>& warnings);

std::string db_status_json(const DbStatus& s);

// SARIF 2.1.0 for GitHub code scanning: one rule per vulnerability ID, one result per finding,
// located at the Dockerfile line that added the package when kiln built the image (else at
// the package's database file in the image, line 1). `version` is kiln's.
// A misconfiguration is located at its Dockerfile line when kiln built the image, else at
// "Dockerfile" line 1 with the instruction in the message.
std::string scan_sarif(const SbomSubject& image, const Catalog& cat, const ScanResults& found,
                       std::string_view version);

}  // namespace kiln::scan
