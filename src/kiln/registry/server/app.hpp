// The registry server assembled from its parts: storage driver, service, authenticator,
// metrics, logs, online gc, and the HTTP server. `kiln registry serve` is a thin wrapper.
#pragma once

#include <memory>
#include <string>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/config.hpp"
#include "kiln/registry/server/proxy.hpp"

namespace kiln::registry::server {

class App {
 public:
  // Opens storage and binds the socket; nothing is served until run(). With cfg.proxy,
  // `upstream` is the registry it caches (required then).
  static Result<std::unique_ptr<App>> open(Config cfg,
                                           std::unique_ptr<Upstream> upstream = nullptr);
  virtual ~App() = default;
  virtual std::string address() const = 0;
  virtual Status run() = 0;  // until SIGINT/SIGTERM
};

}  // namespace kiln::registry::server
