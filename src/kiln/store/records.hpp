// Value types the store hands out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/digest/digest.hpp"

namespace kiln::store {

struct ImageRecord {
  Digest manifest_digest;          // the key: what names point to
  std::string media_type;          // of the manifest
  Digest config_digest;            // docker's image ID
  int64_t size = 0;                // sum of uncompressed layer sizes (compressed when unknown)
  int64_t stored_at = 0;           // unix seconds when kiln stored it
  std::vector<std::string> names;  // full references, sorted
  bool in_index = false;           // one platform of a multi-platform index in the store
};

// A layer blob and what kiln knows about its contents.
struct LayerRecord {
  Digest digest;   // of the blob as stored (compressed)
  Digest diff_id;  // of the uncompressed tar
  std::string media_type;
  int64_t size = 0;
  int64_t uncompressed_size = -1;  // -1 when unknown
  // The size docker shows for the layer (files' bytes, archive::TarChecker::content_size);
  // -1 when unknown (layers stored before kiln recorded it). Kept per diffID.
  int64_t content_size = -1;
};

// Everything put_image records in one transaction.
struct NewImage {
  Digest manifest_digest;
  std::string media_type;
  Digest config_digest;
  std::vector<Digest> blobs;  // every blob the image needs (manifest, config, layers)
  std::vector<LayerRecord> layers;
  std::vector<std::string> names;  // full references to point at it (moved from other images)
  std::vector<Digest> children;    // an index: its images' manifest digests (stored first)
};

struct CacheEntry {
  std::string key;           // the step's cache key (hex)
  std::string layer_digest;  // the layer blob it produced, "" for none
  int64_t created = 0;       // when the step ran (history timestamp)
};

struct UnpackedLayer {
  std::string chain_id;
  std::string path;
  int64_t size = 0;
  int64_t last_used = 0;
};

struct CheckReport {
  int64_t blobs_checked = 0;
  int64_t bytes_checked = 0;
  int64_t images_checked = 0;
  std::vector<std::string> errors;    // the store is inconsistent or damaged
  std::vector<std::string> warnings;  // reclaimable leftovers (orphan blobs, stale leases)
};

struct GcReport {
  int64_t blobs_removed = 0;
  int64_t bytes_removed = 0;
  int64_t leases_removed = 0;
  int64_t temp_files_removed = 0;
  std::vector<std::string> removed;  // digests (also filled by a dry run)
};

struct DiskUsage {
  int64_t images = 0;
  int64_t dangling_images = 0;
  int64_t blobs = 0;
  int64_t blob_bytes = 0;
  int64_t reclaimable_bytes = 0;  // blobs no image or lease references
  int64_t snapshots = 0;
  int64_t snapshot_bytes = 0;
};

}  // namespace kiln::store
