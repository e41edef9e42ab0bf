// The standard SBOM documents: SPDX 2.3 JSON and CycloneDX 1.5 JSON (docs/sbom.md says what
// goes where). Both carry each package's purl, licence and the layer that added it.
#pragma once

#include <string>
#include <vector>

#include "kiln/scan/match.hpp"
#include "kiln/scan/sbom_json.hpp"

namespace kiln::scan {

std::string spdx_json(const SbomSubject& image, const Catalog& cat, const DocumentInfo& doc);

// `findings` (may be null) adds CycloneDX's vulnerabilities section, as `kiln scan --format
// cyclonedx` writes it: each vulnerability rated, with its fix and the component it affects.
std::string cyclonedx_json(const SbomSubject& image, const Catalog& cat, const DocumentInfo& doc,
                           const std::vector<Finding>* findings = nullptr);

}  // namespace kiln::scan
