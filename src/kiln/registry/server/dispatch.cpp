#include "kiln/registry/server/dispatch.hpp"

namespace kiln::registry::server {

Reply dispatch(Service& service, Authenticator& auth, const Route& rt, const Request& req) {
  if (rt.kind == RouteKind::not_found || rt.kind == RouteKind::health ||
      rt.kind == RouteKind::metrics) {
    Response r = error_response(Code::unsupported, "no such endpoint " + req.path.substr(0, 200));
    r.status = 404;
    return {std::move(r), nullptr};
  }
  auto outcome = auth.check(req, required_access(rt, req));
  req.user = outcome.user;
  req.admin = outcome.admin;
  if (!outcome.allowed) return {std::move(outcome.challenge), nullptr};
  return service.handle(rt, req);
}

}  // namespace kiln::registry::server
