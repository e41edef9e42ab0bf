// An HTTP transport that calls a registry handler in this process: the registry client, the
// registry transport and copy_image run against the real Service (over any Driver, MemDriver
// included) without sockets, threads or ports. Requests and replies go through the same
// translation the socket server does: the request body is fed to the handler's BodySink, a
// reply's Content-Length is set, a HEAD reply has no body, and a 2xx body goes to the
// request's sink. Thread-safe when the handler is.
#pragma once

#include <functional>
#include <memory>

#include "kiln/net/http.hpp"
#include "kiln/registry/server/auth.hpp"
#include "kiln/registry/server/http_types.hpp"
#include "kiln/registry/server/service.hpp"

namespace kiln::registry::server {

using InProcessHandler = std::function<Reply(const Request&)>;

// Any URL's path and query go to the handler, whatever its host.
std::shared_ptr<net::HttpTransport> in_process_transport(InProcessHandler handler);
// The distribution API of `service` behind `auth` (dispatch.hpp). Both must outlive the
// transport.
std::shared_ptr<net::HttpTransport> in_process_transport(Service& service, Authenticator& auth);

}  // namespace kiln::registry::server
