// Prometheus metrics for the registry server (text exposition format 0.0.4): requests by
// route, method and status; bytes in and out; latency histograms by route; storage usage.
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "kiln/registry/server/routes.hpp"

namespace kiln::registry::server {

class Metrics {
 public:
  static constexpr std::array<double, 12> k_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    5};
  void record(RouteKind route, std::string_view method, int status, int64_t bytes_in,
              int64_t bytes_out, double seconds);
  // storage_bytes/-1 when unknown.
  std::string render(int64_t storage_bytes, int64_t storage_free, int64_t blobs) const;

 private:
  struct Hist {
    std::array<uint64_t, k_buckets.size()> counts{};
    uint64_t n = 0;
    double sum = 0;
  };
  mutable std::mutex m_mu;
  std::map<std::tuple<RouteKind, std::string, int>, uint64_t> m_requests;
  std::map<RouteKind, Hist> m_latency;
  std::atomic<int64_t> m_in{0};
  std::atomic<int64_t> m_out{0};
};

}  // namespace kiln::registry::server
