// `kiln scan --scanners config`: the lint rules that apply to a finished image, over its
// history and config (lint/image_check.hpp), tied to layers and, for images kiln built, to
// Dockerfile lines.
#pragma once

#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/image/load.hpp"
#include "kiln/scan/misconfig.hpp"

namespace kiln::cli {

// `locations`: the Dockerfile location of each history entry, when kiln built the image.
Result<std::vector<scan::Misconfiguration>> image_misconfigurations(
    const image::Loaded& img, const std::vector<std::string>& locations);

// The table: severity, rule, where (Dockerfile line, else history entry), message, fix.
void print_misconfigurations(const std::vector<scan::Misconfiguration>& found);

}  // namespace kiln::cli
