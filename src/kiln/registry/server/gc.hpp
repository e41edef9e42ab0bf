// Garbage collection: mark what tags (or, by default, every stored manifest) reach, through
// indexes, configs, layers and referrers; then sweep unreachable blobs and links older than
// the grace period, and abandoned uploads.
//
// It runs offline (`kiln registry gc`) or online inside the server while pushes continue, on
// this process or on any other sharing the storage (replicas over one bucket): a real sweep
// takes a lease in the storage and skips whatever requests anywhere touched since it began
// (gc_fence.hpp has the protocol and the argument). Marking takes no lock; within one
// process each deletion also holds the service's gc lock, which every operation that adds a
// reference (manifest PUT, finished upload, mount) holds shared, so a request here never has
// to be failed. Deletion order (links, then blobs) keeps every state a kill -9 can leave
// consistent; the next run finishes the job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/registry/server/driver.hpp"

namespace kiln::registry::server {

class Service;

struct GcRequest {
  bool dry_run = false;
  bool delete_untagged = false;
  int64_t grace = 3600;  // seconds
  Service* online = nullptr;
};

struct GcReport {
  int64_t manifests_kept = 0;
  int64_t blobs_kept = 0;
  int64_t manifests_deleted = 0;
  int64_t blobs_deleted = 0;
  int64_t bytes_freed = 0;
  int64_t links_deleted = 0;
  int64_t uploads_deleted = 0;
  std::vector<std::string> actions;  // "delete blob sha256:..." etc., in order
};

Result<GcReport> collect_garbage(Driver& driver, const GcRequest& req);

// Total bytes and count of stored blobs (for metrics).
std::pair<int64_t, int64_t> blob_usage(Driver& driver);

}  // namespace kiln::registry::server
