// `kiln sbom --format json`: kiln's own document (docs/sbom.md has the schema). The scan
// layer's JSON codec.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/scan/package.hpp"

namespace kiln::scan {

struct SbomSubject {
  std::string name;             // as the user named the image
  std::string manifest_digest;  // "sha256:..."
  std::string config_digest;
};

// What a standard SBOM document (SPDX, CycloneDX) says of its own making.
struct DocumentInfo {
  std::string tool_version;  // kiln's
  int64_t created = 0;       // seconds since the epoch ($SOURCE_DATE_EPOCH when set)
  std::string uuid;          // random: the SPDX document namespace's, the CycloneDX serial's
};

// The package URL of the image itself, pkg:oci/NAME@sha256%3A... (NAME: the last part of its
// repository, lower case), "" when it has no manifest digest.
std::string image_purl(const SbomSubject& image);

std::string sbom_json(const SbomSubject& image, const Catalog& cat);

}  // namespace kiln::scan
