// `kiln scan --format json` and `kiln db status --format json` (schemas in docs/scan.md).
#pragma once

#include <string>

#include "kiln/scan/match.hpp"
#include "kiln/scan/sbom_json.hpp"
#include "kiln/scan/vulndb.hpp"

namespace kiln::scan {

std::string scan_json(const SbomSubject& image, const Catalog& cat,
                      const std::vector<Finding>& findings, const DbStatus& db,
                      const std::vector<std::string>& warnings);

std::string db_status_json(const DbStatus& s);

}  // namespace kiln::scan
