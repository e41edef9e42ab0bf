// Layers made beside the build instead of in front of it.
//
// When a step's overlay upper dir becomes its layer, the next steps need only the tree itself:
// the upper dir is moved under snapshots/ at once, named by a placeholder diffID, and the build
// goes on over it. A job makes the layer from that snapshot while the next steps run: it tars
// the tree, hashes it (the diffID), compresses it on all cores and stores the blob, in one pass
// (make_layer). finish(), once no step runs, gives each snapshot its real name.
//
// A job is a process of its own (`kiln __layer-job`, started with posix_spawn), not a thread:
// the build forks sandboxes, and a child forked while another thread of the process holds a
// libc lock (the locale lock libarchive's conversions take, SQLite's mutexes) can wait for it
// forever. Its blob is recorded in a lease held in the build process's name, so it stays
// protected for as long as the build runs; finish() moves it into the build's lease.
//
// A pending layer is a store::LayerRecord with an empty digest and the placeholder as diffID.
// complete() replaces such records with the made ones (waiting for their jobs) before anything
// reads the blob or the diffID goes into an image; finish() waits for every job, records the
// blobs in the build's lease and writes the cache entries that named pending layers.
//
// Thread-safety: start, complete and defer_cache may be called from any build thread; finish
// only once no step runs.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kiln/base/fd.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/store/store.hpp"

namespace kiln::builder {

// Makes a layer from the tree at `tree` (an overlay upper dir: whiteout devices become .wh.
// entries) into the store, in one pass; the blob is recorded in `lease`.
Result<store::LayerRecord> make_layer(store::Store& store, store::Lease& lease,
                                      const std::string& tree, io::Compression compression,
                                      std::optional<int64_t> clamp_mtime);
// What a job process prints on success, and its parsing ("ok" and the record's fields, then the
// ID of the lease its blob is in).
std::string format_job_result(const store::LayerRecord& rec, const std::string& lease_id);
Result<std::pair<store::LayerRecord, std::string>> parse_job_result(std::string_view out);

struct LayerJob;

class LayerJobs {
 public:
  // `maker`: the argv prefix of the job command; start() appends --root ROOT --lease-owner
  // PID --compression C [--clamp-mtime N] TREE.
  LayerJobs(std::string store_root, std::vector<std::string> maker);
  LayerJobs(const LayerJobs&) = delete;
  LayerJobs& operator=(const LayerJobs&) = delete;
  ~LayerJobs();  // waits for the jobs still running

  // Starts making the layer `pending` stands for from the tree <snapshots>/<placeholder hex>/fs.
  // `hold`, a shared flock on that snapshot's directory, keeps a prune from removing it while
  // this object lives. A job that cannot be started fails when its layer is completed.
  void start(const store::LayerRecord& pending, const std::string& snapshots, Fd hold,
             io::Compression compression, std::optional<int64_t> clamp_mtime);
  // Replaces the records of pending layers with the made ones, waiting for their jobs; a job's
  // error.
  Status complete(std::vector<store::LayerRecord>& layers);
  Status complete(store::LayerRecord& layer);
  // A cache entry whose layer is pending: written by finish() once the layer is made.
  void defer_cache(const store::CacheEntry& entry, const Digest& placeholder);
  // Waits for every job; renames each snapshot to its layer's diffID (or drops it when one of
  // that name exists, or when its job failed), moves the blobs made into `lease` (releasing
  // the jobs' leases), writes the deferred cache entries of the jobs that succeeded (also when
  // the build failed, as for the steps done before a failure), and returns the first job's
  // error.
  Status finish(store::Store& store, store::Lease& lease);

 private:
  std::shared_ptr<LayerJob> find(const Digest& placeholder);

  std::string m_root;
  std::vector<std::string> m_maker;
  std::mutex m_mu;
  std::vector<std::shared_ptr<LayerJob>> m_jobs;
  std::vector<std::pair<store::CacheEntry, Digest>> m_deferred;
};

}  // namespace kiln::builder
