// `kiln build --push [--sbom] [--sign --key K]`: the built image goes to the registries its -t
// tags name, with its SBOM and signature, in one go. The manifest is pushed by digest first,
// then signed and its SBOM attached (by the kiln-sign helper, as an OCI 1.1 referrer), and only
// then tagged: a registry that refuses unsigned tags (tags.signed) accepts the tags.
#pragma once

#include <string>
#include <vector>

#include "kiln/cli/context.hpp"
#include "kiln/cli/transfer.hpp"

namespace kiln::cli {

struct PublishOptions {
  bool push = false, sbom = false, sign = false, quiet = false;
  std::string key;
  RegistryFlags reg;
};

// Checks the flags before the build starts.
Status check_publish(const PublishOptions& o, const std::vector<std::string>& tags);
Status publish_build(Context& ctx, const std::string& image_id,
                     const std::vector<std::string>& tags, const PublishOptions& o);

}  // namespace kiln::cli
