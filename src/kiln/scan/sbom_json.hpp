// `kiln sbom --format json`: kiln's own document (docs/sbom.md has the schema). The scan
// layer's JSON codec.
#pragma once

#include <string>

#include "kiln/scan/package.hpp"

namespace kiln::scan {

struct SbomSubject {
  std::string name;             // as the user named the image
  std::string manifest_digest;  // "sha256:..."
  std::string config_digest;
};

std::string sbom_json(const SbomSubject& image, const Catalog& cat);

}  // namespace kiln::scan
