// The filesystem a build step works on, and turning its changes into a layer.
//
// Overlay mode: the step's root is overlayfs over the parent's unpacked layers (shared
// snapshots) and the sandbox's mount points, with a fresh upper dir; the layer is that upper dir
// (overlay whiteouts become .wh. entries), and the upper dir then becomes the new layer's
// snapshot without being unpacked again. Copy mode (no overlayfs): the parent's layers are
// applied into a directory, copied for the step, and the layer is the difference.
// Steps never mount anything in kiln's own mount namespace: with_mounted() does its work in a
// forked child with a private one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kiln/builder/layer_jobs.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/sandbox/spec.hpp"
#include "kiln/store/store.hpp"

namespace kiln::builder {

struct WorkTree {
  sandbox::RootFs rootfs;  // what a sandbox mounts as its root
  std::string scratch;     // owns upper/work (overlay) or fs (copy); removed by close()
  std::string base;        // copy mode: the parent's tree, to diff against
  std::string upper() const { return scratch + "/upper"; }
};

struct CommitOptions {
  io::Compression compression = io::Compression::gzip;
  std::optional<int64_t> clamp_mtime;  // SOURCE_DATE_EPOCH
  bool in_step = false;  // make the layer before returning even where jobs could (LayerJobs)
};

class Trees;

// An open WorkTree that removes itself when it goes out of scope, unless it was committed: an
// early return or an error on the way never leaves a tree (or an overlay upper dir) behind.
class OpenTree {
 public:
  OpenTree(Trees& trees, WorkTree tree) : m_trees(&trees), m_tree(std::move(tree)) {}
  OpenTree(OpenTree&& o) noexcept
      : m_trees(std::exchange(o.m_trees, nullptr)), m_tree(std::move(o.m_tree)) {}
  OpenTree& operator=(OpenTree&&) = delete;
  OpenTree(const OpenTree&) = delete;
  ~OpenTree();
  const WorkTree& get() const { return m_tree; }
  const WorkTree* operator->() const { return &m_tree; }
  // The tree's changes as a layer (nullopt when nothing changed); the tree is gone after.
  Result<std::optional<store::LayerRecord>> commit(const CommitOptions& opts);

 private:
  Trees* m_trees;  // null once moved from
  WorkTree m_tree;
};

class Trees {
 public:
  // With `jobs` (overlay mode), a step's layer blob is made beside the next steps (LayerJobs);
  // without, commit() makes it before it returns.
  Trees(store::Store& store, store::Lease& lease, container::Snapshotter mode,
        std::string scratch_root, LayerJobs* jobs = nullptr)
      : m_store(store),
        m_lease(lease),
        m_mode(mode),
        m_scratch_root(std::move(scratch_root)),
        m_jobs(jobs) {}

  container::Snapshotter mode() const { return m_mode; }
  LayerJobs* jobs() const { return m_jobs; }
  // Fills in layer records whose blob is still being made (waits for it): before a blob is read.
  Status complete(std::vector<store::LayerRecord>& layers) {
    return m_jobs ? m_jobs->complete(layers) : Status{};
  }
  const std::string& scratch_root() const { return m_scratch_root; }
  // A fresh writable tree over these layers.
  Result<OpenTree> open(const std::vector<store::LayerRecord>& layers);
  // Runs fn with the tree's root as a Dir, in a child with a private mount namespace (overlay),
  // or directly (copy mode). fn's error comes back as this call's error; anything else fn
  // changes in memory stays in the child.
  Status with_mounted(const WorkTree& tree, const std::function<Status(const os::Dir&)>& fn);
  // The same, with a second, read-only tree of `source_layers` (COPY --from) mounted too; fn
  // gets its root path. In copy mode the source is materialized instead.
  Status with_mounted_source(
      const WorkTree& tree, const std::vector<store::LayerRecord>& source_layers,
      const std::function<Status(const os::Dir& root, const std::string& source_root)>& fn);

  // A read-only directory with the layers applied (COPY --from, RUN --mount from=): made once
  // per set of layers and kept until the Trees object is destroyed.
  Result<std::string> materialize(const std::vector<store::LayerRecord>& layers);
  ~Trees();

 private:
  friend class OpenTree;
  // The tree's changes as a layer; nullopt when nothing changed. Removes the tree.
  Result<std::optional<store::LayerRecord>> commit(WorkTree& tree, const CommitOptions& opts);
  // The layer made here, before returning (copy mode, no jobs, the build's last layer, or a
  // small tree).
  Result<std::optional<store::LayerRecord>> commit_in_step(WorkTree& tree,
                                                           const CommitOptions& opts);
  // Overlay mode with jobs: the upper dir becomes a snapshot under a placeholder diffID at
  // once, and a LayerJobs job makes the layer (diffID, blob) from it beside the next steps.
  Result<std::optional<store::LayerRecord>> commit_beside(WorkTree& tree,
                                                          const CommitOptions& opts);
  // Moves an overlay upper dir to snapshots/<name hex> and records it (with its size; not
  // without one); the snapshot held (shared flock), or nullopt when that snapshot exists
  // already (the upper dir is left where it is).
  Result<std::optional<Fd>> keep_as_snapshot(WorkTree& tree, const Digest& name,
                                             std::optional<int64_t> size);
  // Removes the tree without a layer.
  void close(WorkTree& tree);

  store::Store& m_store;
  store::Lease& m_lease;
  container::Snapshotter m_mode;
  std::string m_scratch_root;
  LayerJobs* m_jobs;
  std::vector<std::pair<std::string, std::string>> m_materialized;  // key -> dir
  int m_seq = 0;
};

std::vector<oci::Descriptor> descriptors(const std::vector<store::LayerRecord>& layers);
// `cp -a --reflink=auto FROM TO` (FROM ending in "/." copies a directory's contents into TO).
Status copy_tree(const std::string& from, const std::string& to);
std::vector<Digest> diff_ids(const std::vector<store::LayerRecord>& layers);

}  // namespace kiln::builder
