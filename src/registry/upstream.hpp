// kiln-registry's upstream for a pull-through cache (registry/server/proxy.hpp) over kiln's
// registry client: token and basic auth, retries and redirects as `kiln pull` has them.
#pragma once

#include <memory>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/config.hpp"
#include "kiln/registry/server/proxy.hpp"

namespace kiln::cli {

Result<std::unique_ptr<registry::server::Upstream>> open_upstream(
    const registry::server::ProxyConfig& cfg);

}  // namespace kiln::cli
