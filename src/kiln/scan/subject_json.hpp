// The opening members of kiln's scan documents (schema, image, distro), shared by the
// `kiln sbom` and `kiln scan` codecs.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/scan/sbom_json.hpp"

namespace kiln::scan {

nlohmann::ordered_json subject_json(std::string_view schema, const SbomSubject& image,
                                    const Catalog& cat);

}  // namespace kiln::scan
