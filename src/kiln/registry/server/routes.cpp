#include "kiln/registry/server/routes.hpp"

#include <array>

namespace kiln::registry::server {

Route route(std::string_view path) {
  if (path == "/metrics") return {RouteKind::metrics, {}, {}};
  if (path == "/healthz" || path == "/health") return {RouteKind::health, {}, {}};
  if (path == "/v2" || path == "/v2/") return {RouteKind::base, {}, {}};
  if (!path.starts_with("/v2/")) return {};
  std::string_view rest = path.substr(4);
  if (rest == "_catalog") return {RouteKind::catalog, {}, {}};

  // The name may hold slashes, so match the fixed suffixes from the right.
  auto split_last = [](std::string_view s, std::string_view& head) {
    size_t slash = s.rfind('/');
    if (slash == std::string_view::npos) return std::string_view();
    head = s.substr(0, slash);
    return s.substr(slash + 1);
  };
  std::string_view head;
  std::string_view last = split_last(rest, head);
  std::string_view head2;
  std::string_view second = split_last(head, head2);
  if (second.empty() && head2.empty()) return {};

  if (second == "uploads") {
    std::string_view head3;
    if (split_last(head2, head3) == "blobs") {
      if (last.empty()) return {RouteKind::upload_start, std::string(head3), {}};
      return {RouteKind::upload, std::string(head3), std::string(last)};
    }
  }
  if (second == "blobs" && last == "uploads")
    return {RouteKind::upload_start, std::string(head2), {}};
  if (second == "manifests") return {RouteKind::manifest, std::string(head2), std::string(last)};
  if (second == "blobs") return {RouteKind::blob, std::string(head2), std::string(last)};
  if (second == "tags" && last == "list") return {RouteKind::tags, std::string(head2), {}};
  if (second == "referrers") return {RouteKind::referrers, std::string(head2), std::string(last)};
  std::string_view head3;
  if (last == "history" && split_last(head2, head3) == "tags" && head3.ends_with("/_kiln"))
    return {RouteKind::tag_history, std::string(head3.substr(0, head3.size() - 6)),
            std::string(second)};
  return {};
}

std::string_view route_label(RouteKind k) {
  static constexpr std::array<std::string_view, 12> names{
      "base",      "manifest",    "blob",    "upload_start", "upload", "tags",
      "referrers", "tag_history", "catalog", "metrics",      "health", "not_found"};
  return names[static_cast<size_t>(k)];
}

}  // namespace kiln::registry::server
