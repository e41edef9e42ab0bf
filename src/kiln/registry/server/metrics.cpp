#include "kiln/registry/server/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

namespace kiln::registry::server {

void Metrics::record(RouteKind route, std::string_view method, int status, int64_t bytes_in,
                     int64_t bytes_out, double seconds) {
  m_in += bytes_in;
  m_out += bytes_out;
  // Methods come from clients: anything unusual is counted as one label, so a client cannot
  // grow the table without bound.
  static constexpr std::string_view known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
  bool usual = std::find(std::begin(known), std::end(known), method) != std::end(known);
  std::lock_guard lock(m_mu);
  ++m_requests[{route, usual ? std::string(method) : std::string("OTHER"), status}];
  auto& h = m_latency[route];
  for (size_t i = 0; i < k_buckets.size(); ++i)
    if (seconds <= k_buckets[i]) ++h.counts[i];
  ++h.n;
  h.sum += seconds;
}

std::string Metrics::render(int64_t storage_bytes, int64_t storage_free, int64_t blobs) const {
  std::string out;
  fmt::format_to(
      std::back_inserter(out),
      "# HELP kiln_registry_requests_total HTTP requests by route, method and status.\n");
  fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_requests_total counter\n");
  std::lock_guard lock(m_mu);
  for (const auto& [k, n] : m_requests)
    fmt::format_to(std::back_inserter(out),
                   "kiln_registry_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                   route_label(std::get<0>(k)), std::get<1>(k), std::get<2>(k), n);
  fmt::format_to(std::back_inserter(out),
                 "# HELP kiln_registry_request_seconds Request latency by route.\n");
  fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_request_seconds histogram\n");
  for (const auto& [route, h] : m_latency) {
    auto label = route_label(route);
    for (size_t i = 0; i < k_buckets.size(); ++i)
      fmt::format_to(std::back_inserter(out),
                     "kiln_registry_request_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
                     k_buckets[i], h.counts[i]);
    fmt::format_to(std::back_inserter(out),
                   "kiln_registry_request_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
                   h.n);
    fmt::format_to(std::back_inserter(out),
                   "kiln_registry_request_seconds_sum{{route=\"{}\"}} {}\n", label, h.sum);
    fmt::format_to(std::back_inserter(out),
                   "kiln_registry_request_seconds_count{{route=\"{}\"}} {}\n", label, h.n);
  }
  fmt::format_to(std::back_inserter(out),
                 "# HELP kiln_registry_received_bytes_total Request body bytes received.\n");
  fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_received_bytes_total counter\n");
  fmt::format_to(std::back_inserter(out), "kiln_registry_received_bytes_total {}\n", m_in.load());
  fmt::format_to(std::back_inserter(out),
                 "# HELP kiln_registry_sent_bytes_total Response body bytes sent.\n");
  fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_sent_bytes_total counter\n");
  fmt::format_to(std::back_inserter(out), "kiln_registry_sent_bytes_total {}\n", m_out.load());
  if (storage_bytes >= 0) {
    fmt::format_to(std::back_inserter(out),
                   "# HELP kiln_registry_storage_bytes Bytes held in blobs.\n");
    fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_storage_bytes gauge\n");
    fmt::format_to(std::back_inserter(out), "kiln_registry_storage_bytes {}\n", storage_bytes);
    fmt::format_to(std::back_inserter(out), "# HELP kiln_registry_blobs Blobs held.\n");
    fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_blobs gauge\n");
    fmt::format_to(std::back_inserter(out), "kiln_registry_blobs {}\n", blobs);
  }
  if (storage_free >= 0) {
    fmt::format_to(std::back_inserter(out),
                   "# HELP kiln_registry_storage_free_bytes Free space where blobs are stored.\n");
    fmt::format_to(std::back_inserter(out), "# TYPE kiln_registry_storage_free_bytes gauge\n");
    fmt::format_to(std::back_inserter(out), "kiln_registry_storage_free_bytes {}\n", storage_free);
  }
  return out;
}

}  // namespace kiln::registry::server
