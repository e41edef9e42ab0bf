// URL routing for the distribution API (distribution-spec "Endpoints" table).
#pragma once

#include <string>
#include <string_view>

namespace kiln::registry::server {

enum class RouteKind {
  base,          // /v2/
  manifest,      // /v2/<name>/manifests/<reference>
  blob,          // /v2/<name>/blobs/<digest>
  upload_start,  // /v2/<name>/blobs/uploads/
  upload,        // /v2/<name>/blobs/uploads/<uuid>
  tags,          // /v2/<name>/tags/list
  referrers,     // /v2/<name>/referrers/<digest>
  tag_history,   // /v2/<name>/_kiln/tags/<tag>/history (kiln's extension)
  catalog,       // /v2/_catalog
  metrics,       // /metrics
  health,        // /healthz
  not_found,     // anything else under /v2/ or elsewhere
};

struct Route {
  RouteKind kind = RouteKind::not_found;
  std::string name;  // repository; unvalidated, may be empty
  std::string ref;   // reference, digest or upload id; unvalidated
};

Route route(std::string_view path);
std::string_view route_label(RouteKind k);  // for metrics and logs

}  // namespace kiln::registry::server
