// Internal to store/: every SQL statement the store runs. Schema:
//   images(manifest_digest PK, media_type, config_digest, size, stored_at)
//   image_blobs(manifest_digest -> images, blob_digest)      what an image keeps alive
//   names(name PK, manifest_digest -> images)                 "docker.io/library/x:latest"
//   layers(digest PK, diff_id, media_type, size, uncompressed_size)
//   leases(id PK, pid, created, expires), lease_blobs(lease_id, digest)
//   unpacked(chain_id PK, path, size, last_used)   unpacked-layer snapshots, keyed by diffID
//   build_cache(key PK, layer_digest, created)     what a build step made (build/cache.hpp)
// Safe for several processes at once (SQLite WAL, BEGIN IMMEDIATE for writes).
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kiln/sql/sqlite.hpp"
#include "kiln/store/records.hpp"

namespace kiln::store {

using sql::Db;
using sql::Stmt;
using sql::Transaction;

class Metadata {
 public:
  static Result<std::unique_ptr<Metadata>> open(const std::string& path);
  Db& db() { return *m_db; }

  // Records an image, its blobs, layers, index children and names in one transaction, in which
  // `check` runs first (it sees no gc() in progress: gc deletes under the same write lock).
  // An image already recorded exactly so (a fully cached rebuild) is left alone: no write.
  Status put_image(const NewImage& img, int64_t now, const std::function<Status()>& check);
  Result<std::optional<ImageRecord>> image(const Digest& manifest_digest);
  Result<std::vector<ImageRecord>> images();
  // Images whose manifest or config digest hex starts with prefix.
  Result<std::vector<ImageRecord>> images_by_id_prefix(std::string_view hex_prefix);
  Result<std::optional<Digest>> lookup_name(std::string_view name);
  Status set_name(std::string_view name, const Digest& manifest_digest);
  Result<bool> remove_name(std::string_view name);
  Status delete_image(const Digest& manifest_digest);  // and its names and blob references
  Result<std::optional<LayerRecord>> layer(const Digest& digest);
  Result<std::vector<Digest>> image_blobs(const Digest& manifest_digest);

  // Records blobs in lease `id` in one transaction, creating the lease first when `create`.
  Status record_lease(std::string_view id, bool create, int64_t pid, int64_t now, int64_t ttl,
                      const std::vector<Digest>& blobs);
  Status delete_lease(std::string_view lease);
  // Removes leases whose process is gone or that expired; returns how many.
  Result<int64_t> expire_leases(int64_t now);

  // Every blob digest an image, a lease or the build cache references.
  Result<std::set<std::string>> live_blobs();
  Status prune_layers(const std::set<std::string>& live);

  Status put_unpacked(const UnpackedLayer& u);
  Result<std::optional<UnpackedLayer>> unpacked(std::string_view chain_id);
  Status delete_unpacked(std::string_view chain_id);
  Result<std::vector<UnpackedLayer>> unpacked_all();
  // Build cache: step key -> the layer it made ("" for a step that changed no file).
  // The cache keeps its layers' blobs alive (live_blobs) until clear_cache().
  Status put_cache(const CacheEntry& c);
  // Where each history entry of an image kiln built came from ("Dockerfile:12", "" for none),
  // by history index, keyed by the config digest; gc drops the rows of removed images.
  Status put_build_sources(const Digest& config, const std::vector<std::string>& locations);
  Result<std::vector<std::string>> build_sources(const Digest& config);
  Status prune_build_sources();
  Status clear_cache();
  // Records a layer that no image has yet (a build step's).
  Status put_layer(const LayerRecord& l);
  Result<std::optional<CacheEntry>> cache(std::string_view key);
  Result<std::vector<CacheEntry>> cache_entries();
  // diffIDs of the layers some image in the store has.
  Result<std::set<std::string>> live_diff_ids();

 private:
  // Records l.content_size for its diffID (nothing when unknown).
  Status put_content_size(const LayerRecord& l);
  // Whether img is recorded exactly as put_image() would record it.
  Result<bool> recorded_as(const NewImage& img);
  explicit Metadata(std::unique_ptr<Db> db) : m_db(std::move(db)) {}
  Result<std::vector<ImageRecord>> query_images(std::string_view where, std::string_view arg);
  std::unique_ptr<Db> m_db;
};

}  // namespace kiln::store
