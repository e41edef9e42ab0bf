// `--change` instructions (as `docker import --change` / `docker commit --change` take them)
// applied to an image's container config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
// STOPSIGNAL, USER, VOLUME, WORKDIR. Exec form is a JSON array; shell form runs through
// /bin/sh -c. Values may be quoted with "" or ''.
#pragma once

#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::dockerfile {

Status apply_change(oci::ContainerConfig& config, std::string_view instruction);

// Splits words as the Dockerfile lexer does for ENV/LABEL values: whitespace separates words;
// quotes group and are removed; backslash escapes the next character.
Result<std::vector<std::string>> split_words(std::string_view s);

}  // namespace kiln::dockerfile
