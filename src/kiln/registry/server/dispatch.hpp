// One request of the distribution API, from route to reply: unknown endpoints get 404, access
// control answers 401/403, the rest goes to the Service. What the HTTP server and the
// in-process transport (inproc_transport.hpp) both call; /healthz and /metrics are the App's.
#pragma once

#include "kiln/registry/server/auth.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {

// rt is route(req.path). Sets req.user to who authenticated. Thread-safe as Service is.
Reply dispatch(Service& service, Authenticator& auth, const Route& rt, const Request& req);

}  // namespace kiln::registry::server
