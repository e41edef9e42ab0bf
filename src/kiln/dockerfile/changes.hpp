// `--change` instructions (as `docker import --change` / `docker commit --change` take them)
// applied to an image's container config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
// STOPSIGNAL, USER, VOLUME, WORKDIR. The line is parsed by the Dockerfile parser, so its
// quoting, JSON arrays and arguments follow the Dockerfile's rules, and $VARIABLES expand
// against the config's Env; shell form runs through /bin/sh -c.
#pragma once

#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::dockerfile {

Status apply_change(oci::ContainerConfig& config, std::string_view instruction);

}  // namespace kiln::dockerfile
