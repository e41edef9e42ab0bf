// Shared by tag, build and push: --semver expansion and retagging in a registry.
#pragma once

#include <string>
#include <vector>

#include "kiln/cli/transfer.hpp"
#include "kiln/oci/reference.hpp"

namespace kiln::cli {

// `REPO` (no tag, no digest) with the tags of `version` (semver::expand_tags): REPO:1.2.3,
// REPO:1.2, REPO:1 [, REPO:latest]. `what` names the option for errors.
Result<std::vector<oci::Reference>> semver_references(const std::string& repo,
                                                      const std::string& version, bool latest,
                                                      std::string_view what);

// Points each of `targets` (tags in the registry of `source`) at the manifest `source` names,
// as `crane tag` does: in the same repository one manifest PUT per tag, moving no blob; in
// another repository of the same registry the blobs are mounted from the source repository
// first (copied where the registry refuses a mount). Prints one line per tag unless quiet.
Status retag_remote(const oci::Reference& source, const std::vector<oci::Reference>& targets,
                    const RegistryFlags& flags, bool quiet);

}  // namespace kiln::cli
