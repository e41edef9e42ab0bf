#include "kiln/container/snapshots.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include "kiln/archive/apply.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::container {

Status make_mount_points(const os::Dir& root) {
  for (const char* d : {"proc", "sys", "dev", "etc"}) {
    auto fd = root.open_in_root(d, O_PATH | O_DIRECTORY);
    if (fd) continue;
    if (mkdirat(root.fd(), d, 0755) != 0 && errno != EEXIST)
      return fail_errno(fmt::format("create /{}", d));
  }
  auto etc = KILN_TRY(root.open_in_root("etc", O_PATH | O_DIRECTORY));
  for (const char* f : {"hosts", "hostname", "resolv.conf"}) {
    struct stat st {};
    if (fstatat(etc.get(), f, &st, AT_SYMLINK_NOFOLLOW) == 0) continue;
    int fd = openat(etc.get(), f, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return fail_errno(fmt::format("create /etc/{}", f));
    close(fd);
    struct timespec zero[2] = {{0, 0}, {0, 0}};
    utimensat(etc.get(), f, zero, AT_SYMLINK_NOFOLLOW);
  }
  return {};
}

namespace {

// Applies one layer blob, verifying the stored blob and the uncompressed diffID.
Result<int64_t> apply_one(store::Store& store, const oci::Descriptor& layer, const Digest& diff_id,
                          const os::Dir& root, bool overlay) {
  auto blob = KILN_TRY(store.blob_reader(layer.digest));
  io::PeekReader peek(*blob);
  // The store's layers were checked within the decompression limits when they entered it.
  auto plain = KILN_TRY(io::auto_decompress(peek, nullptr, /*bounded=*/false));
  io::HashingReader hashed(*plain);
  auto tar = KILN_TRY(archive::TarReader::open(hashed));
  archive::ApplyOptions opts;
  opts.same_owner = geteuid() == 0;
  opts.overlay_whiteouts = overlay;
  auto stats = KILN_TRY(archive::apply_layer(root, *tar, opts));
  KILN_TRY(io::drain(hashed));  // the rest of the stream (tar padding) counts too
  Digest got = hashed.digest();
  if (got != diff_id)
    return failf(Errc::corrupt, "layer {}: uncompressed content hashes to {}, the config says {}",
                 layer.digest, got, diff_id);
  return stats.bytes;
}

Status check_counts(const std::vector<oci::Descriptor>& layers, const std::vector<Digest>& ids) {
  if (layers.size() != ids.size())
    return failf(Errc::corrupt, "image has {} layers but {} diff_ids", layers.size(), ids.size());
  return {};
}

bool probe_overlay(const std::string& scratch_parent) {
  auto dir = os::TempDir::create("overlay-probe", scratch_parent);
  if (!dir) return false;
  std::string base = dir->path();
  for (const char* d : {"/lower", "/upper", "/work", "/merged"})
    if (mkdir((base + d).c_str(), 0755) != 0) return false;
  pid_t p = fork();
  if (p < 0) return false;
  if (p == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(1);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(1);
    std::string opts =
        "lowerdir=" + base + "/lower,upperdir=" + base + "/upper,workdir=" + base + "/work";
    _exit(mount("overlay", (base + "/merged").c_str(), "overlay", 0, opts.c_str()) == 0 ? 0 : 1);
  }
  int status = 0;
  while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// The shared lower dir that holds the mount points, above every image's layers.
Result<std::string> init_snapshot(const std::string& base, const os::Dir& snaps) {
  constexpr std::string_view k_name = "init-v1";
  if (!snaps.exists(std::string(k_name) + "/fs")) {
    auto tmp = KILN_TRY(os::TempDir::create("unpack", base));
    auto fs = KILN_TRY(os::Dir::create(tmp / "fs", 0755));
    KILN_TRY(make_mount_points(fs));
    std::string tmp_name = tmp.path().substr(base.size() + 1);
    if (::renameat(snaps.fd(), tmp_name.c_str(), snaps.fd(), std::string(k_name).c_str()) == 0)
      tmp.release();
  }
  return base + "/" + std::string(k_name) + "/fs";
}

}  // namespace

Snapshotter choose_snapshotter(const store::Store& store) {
  static std::atomic<int> cached{-1};
  if (const char* e = getenv("KILN_SNAPSHOTTER"); e && std::string_view(e) == "copy")
    return Snapshotter::copy;
  if (cached < 0) {
    // The probe costs a fork and a mount: its success is remembered in the store, per kernel.
    struct utsname u {};
    uname(&u);
    std::string marker = fmt::format("overlay-ok-{}", u.release);
    std::string scratch = store.root() + "/" + std::string(store::paths::tmp_dir);
    auto dir = os::Dir::create(scratch, 0700);
    if (dir && dir->exists(marker)) {
      cached = 1;
    } else {
      cached = probe_overlay(scratch) ? 1 : 0;
      if (cached == 1 && dir) (void)os::write_file(*dir, marker, "", 0600);
    }
  }
  return cached == 1 ? Snapshotter::overlay : Snapshotter::copy;
}

namespace {

// Snapshots this process relies on, each held by a shared flock on its directory until the
// process exits (an open file description outlives forks; O_CLOEXEC keeps it out of RUN
// commands). prune_snapshots() removes a snapshot only under an exclusive lock it gets at once,
// so a build's or a container's lower dirs never vanish under it.
std::mutex g_held_mu;
std::map<std::string, Fd> g_held;  // absolute snapshot dir -> its locked fd

// Holds snapshot `name`; false when it is gone (a prune removed it before the lock was ours).
Result<bool> hold_snapshot(const os::Dir& snaps, const std::string& base, const std::string& name) {
  std::string path = base + "/" + name;
  std::lock_guard lock(g_held_mu);
  if (g_held.contains(path)) return true;
  Fd fd(::openat(snaps.fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    return fail_errno(fmt::format("open snapshot {}", path));
  }
  while (::flock(fd.get(), LOCK_SH) != 0)
    if (errno != EINTR) return fail_errno(fmt::format("lock snapshot {}", path));
  struct stat st {};
  if (::fstatat(fd.get(), "fs", &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  g_held.emplace(path, std::move(fd));
  return true;
}

// Unpacks one layer into snapshots/<diffID hex> unless it is there.
Status unpack_snapshot(store::Store& store, const os::Dir& snaps, const std::string& base,
                       const oci::Descriptor& layer, const Digest& diff_id, size_t i) {
  std::string name = diff_id.hex();
  if (snaps.exists(name + "/fs")) return {};
  auto tmp = KILN_TRY(os::TempDir::create("unpack", base));
  auto fs = KILN_TRY(os::Dir::create(tmp / "fs", 0755));
  int64_t bytes = KILN_TRY_CTX(apply_one(store, layer, diff_id, fs, true),
                               fmt::format("unpack layer {}", i + 1));
  std::string tmp_name = tmp.path().substr(base.size() + 1);
  if (::renameat(snaps.fd(), tmp_name.c_str(), snaps.fd(), name.c_str()) != 0) {
    if (errno != ENOTEMPTY && errno != EEXIST)
      return fail_errno(fmt::format("rename snapshot {}", name));
    return {};  // another process unpacked the same layer first: use theirs, drop ours
  }
  tmp.release();
  return record_snapshot(store, diff_id, bytes);
}

}  // namespace

Result<std::vector<std::string>> layer_snapshots(store::Store& store,
                                                 const std::vector<oci::Descriptor>& layers,
                                                 const std::vector<Digest>& diff_ids) {
  KILN_TRY(check_counts(layers, diff_ids));
  std::string base = store.root() + "/" + std::string(store::paths::snapshots_dir);
  auto snaps = KILN_TRY(os::Dir::create(base, 0700));
  std::vector<std::string> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string name = diff_ids[i].hex();
    // A prune may remove the snapshot between the unpack and the lock: unpack it again.
    for (int attempt = 0;; ++attempt) {
      KILN_TRY(unpack_snapshot(store, snaps, base, layers[i], diff_ids[i], i));
      if (KILN_TRY(hold_snapshot(snaps, base, name))) break;
      if (attempt == 3)
        return failf(Errc::conflict, "unpack layer {}: snapshot {} keeps being removed", i + 1,
                     name);
    }
    out.push_back(base + "/" + name + "/fs");
  }
  return out;
}

Status apply_layers(store::Store& store, const std::vector<oci::Descriptor>& layers,
                    const std::vector<Digest>& diff_ids, const os::Dir& dir) {
  KILN_TRY(check_counts(layers, diff_ids));
  for (size_t i = 0; i < layers.size(); ++i)
    KILN_TRY_CTX(apply_one(store, layers[i], diff_ids[i], dir, false),
                 fmt::format("layer {}", i + 1));
  return {};
}

Result<sandbox::RootFs> prepare_rootfs(store::Store& store, const store::ImageView& image,
                                       const std::string& state, Snapshotter snapshotter) {
  sandbox::RootFs r;
  auto dir = KILN_TRY(os::Dir::create(state, 0700));
  if (snapshotter == Snapshotter::copy) {
    auto fs = KILN_TRY(dir.make_dir("fs", 0755));
    KILN_TRY(apply_layers(store, image.manifest.layers, image.config.rootfs.diff_ids, fs));
    KILN_TRY(make_mount_points(fs));
    r.dir = state + "/fs";
    return r;
  }
  r.lowers = KILN_TRY(layer_snapshots(store, image.manifest.layers, image.config.rootfs.diff_ids));
  r.lowers.push_back(KILN_TRY(mount_points_snapshot(store)));
  KILN_TRY(dir.make_dir("upper", 0755));
  KILN_TRY(dir.make_dir("work", 0700));
  r.upper = state + "/upper";
  r.work = state + "/work";
  return r;
}

Status record_snapshot(store::Store& store, const Digest& diff_id, int64_t size) {
  return store.metadata().put_unpacked(
      {diff_id.str(), std::string(store::paths::snapshots_dir) + "/" + diff_id.hex(), size,
       store::now_seconds()});
}

Result<std::string> mount_points_snapshot(store::Store& store) {
  std::string base = store.root() + "/" + std::string(store::paths::snapshots_dir);
  auto snaps = KILN_TRY(os::Dir::create(base, 0700));
  return init_snapshot(base, snaps);
}

Result<int64_t> prune_snapshots(store::Store& store, const std::vector<std::string>& in_use) {
  auto live = KILN_TRY(store.metadata().live_diff_ids());
  std::string base = store.root() + "/" + std::string(store::paths::snapshots_dir);
  auto snaps = os::Dir::open(base);
  if (!snaps) return int64_t{0};
  int64_t freed = 0;
  for (const auto& u : KILN_TRY(store.metadata().unpacked_all())) {
    if (live.contains(u.chain_id)) continue;
    auto d = Digest::parse(u.chain_id);
    if (!d) continue;
    std::string path = base + "/" + d->hex() + "/fs";
    bool used = false;
    for (const auto& p : in_use) used = used || p == path;
    if (used) continue;
    // Only a snapshot no process holds (hold_snapshot), locked while it is removed.
    Fd fd(::openat(snaps->fd(), d->hex().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid() && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    if (fd.valid()) KILN_TRY(snaps->remove_all(d->hex()));
    KILN_TRY(store.metadata().delete_unpacked(u.chain_id));
    freed += u.size;
  }
  // Half-made snapshots of killed processes: unpack temporaries, and snapshots no row names (a
  // build killed between moving a step's upper dir here and its layer job recording it), an
  // hour old and held by no one.
  std::set<std::string> recorded;
  for (const auto& u : KILN_TRY(store.metadata().unpacked_all()))
    if (auto d = Digest::parse(u.chain_id)) recorded.insert(d->hex());
  for (const auto& name : KILN_TRY(snaps->list())) {
    bool orphan = name.size() == 64 && Digest::parse("sha256:" + name) && !recorded.contains(name);
    if (!name.starts_with("unpack") && !orphan) continue;
    auto st = snaps->stat(name);
    if (!st || store::now_seconds() - st->st_mtime <= 3600) continue;
    Fd fd(::openat(snaps->fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid() && ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;
    (void)snaps->remove_all(name);
  }
  return freed;
}

}  // namespace kiln::container
