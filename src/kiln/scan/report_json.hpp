// `kiln scan --format json` and `kiln db status --format json` (schemas in docs/scan.md).
#pragma once

#include <string>

#include "kiln/scan/match.hpp"
#include "kiln/scan/sbom_json.hpp"
#include "kiln/scan/secrets.hpp"
#include "kiln/scan/vulndb.hpp"

namespace kiln::scan {

// `db` is null when the vulnerability scanner did not run.
std::string scan_json(const SbomSubject& image, const Catalog& cat,
                      const std::vector<Finding>& findings,
                      const std::vector<SecretFinding>& secrets, const DbStatus* db,
                      const std::vector<std::string>& warnings);

std::string db_status_json(const DbStatus& s);

// SARIF 2.1.0 for GitHub code scanning: one rule per vulnerability ID, one result per finding,
// located at the Dockerfile line that added the package when kiln built the image (else at
// the package's database file in the image, line 1). `version` is kiln's.
std::string scan_sarif(const SbomSubject& image, const Catalog& cat,
                       const std::vector<Finding>& findings,
                       const std::vector<SecretFinding>& secrets, std::string_view version);

}  // namespace kiln::scan
