#include "kiln/builder/worktree.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/sandbox/mount_exec.hpp"
#include "kiln/store/layer_sink.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::builder {

OpenTree::~OpenTree() {
  if (m_trees) m_trees->close(m_tree);
}

// Trees::commit closes the tree when it succeeds; when it fails, the destructor does (close
// is idempotent).
Result<std::optional<store::LayerRecord>> OpenTree::commit(const CommitOptions& opts) {
  return m_trees->commit(m_tree, opts);
}

namespace {

// Counts what goes into the tar, so an empty diff is recognised.
class CountingTar final : public archive::TarWriter {
 public:
  explicit CountingTar(archive::TarWriter& inner) : m_inner(inner) {}
  Status add(const archive::Entry& e) override {
    ++m_entries;
    return m_inner.add(e);
  }
  Status write_data(const void* buf, size_t size) override { return m_inner.write_data(buf, size); }
  Status finish() override { return m_inner.finish(); }
  int64_t entries() const { return m_entries; }

 private:
  archive::TarWriter& m_inner;
  int64_t m_entries = 0;
};

}  // namespace

Status copy_tree(const std::string& from, const std::string& to) {
  pid_t p = fork();
  if (p < 0) return fail_errno("fork");
  if (p == 0) {
    execlp("cp", "cp", "-a", "--reflink=auto", from.c_str(), to.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return failf(Errc::io, "copy {} to {} failed", from, to);
  return {};
}

std::vector<oci::Descriptor> descriptors(const std::vector<store::LayerRecord>& layers) {
  std::vector<oci::Descriptor> out;
  for (const auto& l : layers) {
    oci::Descriptor d;
    d.media_type = l.media_type;
    d.digest = l.digest;
    d.size = l.size;
    out.push_back(d);
  }
  return out;
}

std::vector<Digest> diff_ids(const std::vector<store::LayerRecord>& layers) {
  std::vector<Digest> out;
  for (const auto& l : layers) out.push_back(l.diff_id);
  return out;
}

Result<OpenTree> Trees::open(const std::vector<store::LayerRecord>& layers) {
  KILN_TRY(os::Dir::create(m_scratch_root, 0700));
  WorkTree t;
  t.scratch = fmt::format("{}/step-{}-{}", m_scratch_root, getpid(), ++m_seq);
  auto dir = KILN_TRY(os::Dir::create(t.scratch, 0700));
  if (m_mode == container::Snapshotter::copy) {
    std::string base = KILN_TRY(materialize(layers));
    KILN_TRY(copy_tree(base, t.scratch + "/fs"));
    t.base = base;
    t.rootfs.dir = t.scratch + "/fs";
    return OpenTree(*this, std::move(t));
  }
  t.rootfs.lowers =
      KILN_TRY(container::layer_snapshots(m_store, descriptors(layers), diff_ids(layers)));
  t.rootfs.lowers.push_back(KILN_TRY(container::mount_points_snapshot(m_store)));
  KILN_TRY(dir.make_dir("upper", 0755));
  KILN_TRY(dir.make_dir("work", 0700));
  t.rootfs.upper = t.scratch + "/upper";
  t.rootfs.work = t.scratch + "/work";
  t.rootfs.volatile_upper = true;  // the step's unmount does not sync the disk
  return OpenTree(*this, std::move(t));
}

Status Trees::with_mounted(const WorkTree& tree, const std::function<Status(const os::Dir&)>& fn) {
  return with_mounted_source(tree, {},
                             [&](const os::Dir& root, const std::string&) { return fn(root); });
}

Status Trees::with_mounted_source(
    const WorkTree& tree, const std::vector<store::LayerRecord>& source_layers,
    const std::function<Status(const os::Dir& root, const std::string& source_root)>& fn) {
  bool want_source = !source_layers.empty();
  if (!tree.rootfs.overlay()) {
    auto root = KILN_TRY(os::Dir::open(tree.rootfs.dir));
    std::string source = want_source ? KILN_TRY(materialize(source_layers)) : "";
    return fn(root, source);
  }
  sandbox::RootFs source_fs;
  std::string source_point;
  if (want_source) {
    // Read-only overlay of the source's layers (the mount points' dir makes a second lower
    // dir, which a lower-only overlay needs).
    source_fs.lowers = KILN_TRY(
        container::layer_snapshots(m_store, descriptors(source_layers), diff_ids(source_layers)));
    source_fs.lowers.push_back(KILN_TRY(container::mount_points_snapshot(m_store)));
    source_point = tree.scratch + "/source";
    KILN_TRY(os::Dir::create(source_point, 0755));
  }
  std::string mount_point = tree.scratch + "/merged";
  KILN_TRY(os::Dir::create(mount_point, 0755));
  return sandbox::in_private_mount_namespace([&]() -> Status {
    KILN_TRY(sandbox::mount_rootfs(tree.rootfs, mount_point));
    if (want_source) KILN_TRY(sandbox::mount_rootfs(source_fs, source_point));
    auto root = KILN_TRY(os::Dir::open(mount_point));
    return fn(root, source_point);
  });
}

Result<std::optional<Fd>> Trees::keep_as_snapshot(WorkTree& tree, const Digest& name,
                                                  std::optional<int64_t> size) {
  std::string snaps = m_store.root() + "/" + std::string(store::paths::snapshots_dir);
  std::string dest = snaps + "/" + name.hex();
  auto sdir = KILN_TRY(os::Dir::create(snaps, 0700));
  if (sdir.exists(name.hex())) return std::optional<Fd>();
  // Trees of parallel stages share the directory: the name has this object's address too.
  auto holder =
      fmt::format("{}/unpack.{}-{}-{}", snaps, getpid(), static_cast<const void*>(this), ++m_seq);
  if (::mkdir(holder.c_str(), 0700) != 0) return fail_errno(fmt::format("mkdir {}", holder));
  // Held from before it has its name: a prune never sees it unheld.
  Fd hold(::open(holder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (hold.valid() && ::flock(hold.get(), LOCK_SH) == 0 &&
      ::rename(tree.upper().c_str(), (holder + "/fs").c_str()) == 0 &&
      ::rename(holder.c_str(), dest.c_str()) == 0) {
    if (size)  // (a placeholder's row is the layer job's to write, off the step's path)
      KILN_TRY(container::record_snapshot(m_store, name, *size));
    return std::optional<Fd>(std::move(hold));
  }
  // Lost a race with another process making the same snapshot: the upper dir stays for close().
  if (auto moved = holder + "/fs"; ::access(moved.c_str(), F_OK) == 0)
    (void)::rename(moved.c_str(), tree.upper().c_str());
  (void)sdir.remove_all(holder.substr(snaps.size() + 1));
  return std::optional<Fd>();
}

namespace {

// What an overlay upper dir holds, looked at only as far as the commit needs: its entries
// other than sockets (write_tree leaves sockets out; a directory is an entry itself, so a tree
// with none at its top makes no layer) and their file data, counted until the tree is known not
// to be small: under 256 entries and 4 MiB, for which making the layer in the step costs less
// than starting a job process (about 10 ms of a core).
struct TreeProbe {
  int64_t entries = 0, bytes = 0;
  bool small() const { return entries <= k_entries && bytes <= k_bytes; }
  static constexpr int64_t k_entries = 256, k_bytes = 4 << 20;
};
Status probe_tree(const os::Dir& dir, TreeProbe& p) {
  for (const auto& name : KILN_TRY(dir.list())) {
    auto st = KILN_TRY(dir.stat(name));
    if (S_ISSOCK(st.st_mode)) continue;
    ++p.entries;
    if (S_ISREG(st.st_mode)) p.bytes += st.st_size;
    if (!p.small()) return {};
    if (S_ISDIR(st.st_mode)) KILN_TRY(probe_tree(KILN_TRY(dir.open_dir(name)), p));
    if (!p.small()) return {};
  }
  return {};
}

}  // namespace

Result<std::optional<store::LayerRecord>> Trees::commit_beside(WorkTree& tree,
                                                               const CommitOptions& opts) {
  TreeProbe probe;
  KILN_TRY(probe_tree(KILN_TRY(os::Dir::open(tree.upper())), probe));
  if (probe.entries == 0) {
    close(tree);
    return std::optional<store::LayerRecord>();
  }
  if (probe.small()) return commit_in_step(tree, opts);
  store::LayerRecord pending;  // LayerJobs: an empty digest, a placeholder diffID
  pending.diff_id =
      Digest::of(fmt::format("kiln pending layer {} {} {} {}", getpid(),
                             static_cast<const void*>(this), ++m_seq, std::random_device()()));
  pending.media_type = std::string(store::layer_media_type(opts.compression));
  auto hold = KILN_TRY(keep_as_snapshot(tree, pending.diff_id, std::nullopt));
  if (!hold) return failf(Errc::io, "snapshot {} exists already", pending.diff_id.hex());
  std::string snaps = m_store.root() + "/" + std::string(store::paths::snapshots_dir);
  m_jobs->start(pending, snaps, std::move(*hold), opts.compression, opts.clamp_mtime);
  close(tree);
  return std::optional(pending);
}

Result<std::optional<store::LayerRecord>> Trees::commit(WorkTree& tree, const CommitOptions& opts) {
  if (m_jobs && tree.rootfs.overlay() && !opts.in_step) return commit_beside(tree, opts);
  return commit_in_step(tree, opts);
}

Result<std::optional<store::LayerRecord>> Trees::commit_in_step(WorkTree& tree,
                                                                const CommitOptions& opts) {
  auto sink = KILN_TRY(store::LayerSink::create(m_store, m_lease, opts.compression));
  auto tar = KILN_TRY(archive::TarWriter::open(*sink));
  CountingTar counted(*tar);
  archive::WalkOptions wo;
  wo.clamp_mtime = opts.clamp_mtime;
  std::optional<os::Dir> base;
  if (tree.rootfs.overlay()) {
    wo.overlay_whiteouts = true;
    auto upper = KILN_TRY(os::Dir::open(tree.upper()));
    KILN_TRY(archive::write_tree(upper, counted, wo));
  } else {
    base = KILN_TRY(os::Dir::open(tree.base));
    wo.base = &*base;
    auto fs = KILN_TRY(os::Dir::open(tree.rootfs.dir));
    KILN_TRY(archive::write_tree(fs, counted, wo));
  }
  KILN_TRY(counted.finish());
  if (counted.entries() == 0) {
    close(tree);
    return std::optional<store::LayerRecord>();
  }
  auto layer = KILN_TRY(sink->commit());
  // The upper dir is this layer's snapshot already (same whiteout form): keep it.
  if (tree.rootfs.overlay()) (void)keep_as_snapshot(tree, layer.diff_id, layer.uncompressed_size);
  close(tree);
  return std::optional(layer);
}

void Trees::close(WorkTree& tree) {
  if (tree.scratch.empty()) return;
  auto parent = os::Dir::open(m_scratch_root);
  if (parent) (void)parent->remove_all(tree.scratch.substr(m_scratch_root.size() + 1));
  tree.scratch.clear();
}

Result<std::string> Trees::materialize(const std::vector<store::LayerRecord>& given) {
  std::vector<store::LayerRecord> layers = given;
  KILN_TRY(complete(layers));  // applied from their blobs
  std::string key;
  for (const auto& l : layers) key += l.diff_id.hex();
  for (const auto& [k, dir] : m_materialized)
    if (k == key) return dir;
  KILN_TRY(os::Dir::create(m_scratch_root, 0700));
  std::string dir = fmt::format("{}/rootfs-{}-{}", m_scratch_root, getpid(), ++m_seq);
  auto root = KILN_TRY(os::Dir::create(dir, 0755));
  KILN_TRY(container::apply_layers(m_store, descriptors(layers), diff_ids(layers), root));
  KILN_TRY(container::make_mount_points(root));
  m_materialized.emplace_back(key, dir);
  return dir;
}

Trees::~Trees() {
  auto parent = os::Dir::open(m_scratch_root);
  if (!parent) return;
  for (const auto& [k, dir] : m_materialized)
    (void)parent->remove_all(dir.substr(m_scratch_root.size() + 1));
}

}  // namespace kiln::builder
