// Store maintenance: garbage collection, consistency check, disk usage.
#include <fcntl.h>
#include <sys/stat.h>

#include <future>

#include "kiln/base/buffer.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/oci/media_types.hpp"
#include "kiln/sql/sqlite.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"
#include "kiln/store/store.hpp"

namespace kiln::store {

namespace {

constexpr int64_t k_temp_grace_seconds = 3600;

bool is_temp(const std::string& name) {
  return name.starts_with(paths::temp_prefix);
}

// Hashes one blob file; returns an error line or "".
std::string verify_blob_file(const os::Dir& blobs, const std::string& name, int64_t* bytes) {
  auto fd = blobs.open_file(name, O_RDONLY);
  if (!fd) return fmt::format("blob {}: {}", name, fd.error().message());
  io::FdReader r(fd->get());
  io::HashingReader h(r);
  Buffer buf(1 << 20);
  while (true) {
    auto n = h.read(buf.data(), buf.size());
    if (!n) return fmt::format("blob sha256:{}: {}", name, n.error().message());
    if (*n == 0) break;
  }
  *bytes += h.size();
  Digest got = h.digest();
  if (got.hex() != name)
    return fmt::format("blob sha256:{} is corrupt: its content hashes to {}", name, got);
  return "";
}

// An index: every image it lists is stored and recorded as its child.
void check_index(Store& store, const ImageRecord& img, const std::string& raw,
                 CheckReport& report) {
  std::string who = fmt::format("index {}", img.manifest_digest);
  auto x = oci::parse_index(raw);
  if (!x) {
    report.errors.push_back(fmt::format("{}: {}", who, x.error().message()));
    return;
  }
  for (const auto& d : x->manifests) {
    auto child = store.image(d.digest);
    if (!child || !*child || !(*child)->in_index)
      report.errors.push_back(
          fmt::format("{}: its image {} is not recorded in the store", who, d.digest));
  }
}

void check_manifest(Store& store, const ImageRecord& img, const std::string& raw,
                    CheckReport& report) {
  std::string who = fmt::format("image {}", img.manifest_digest);
  auto m = oci::parse_manifest(raw);
  if (!m) {
    report.errors.push_back(fmt::format("{}: {}", who, m.error().message()));
    return;
  }
  auto blobs = store.image_blobs(img.manifest_digest);
  std::set<Digest> listed;
  if (blobs) listed.insert(blobs->begin(), blobs->end());
  auto need = [&](const Digest& d, std::string_view role) {
    if (!store.has_blob(d))
      report.errors.push_back(fmt::format("{}: {} blob {} is missing", who, role, d));
    else if (!listed.contains(d))
      report.errors.push_back(
          fmt::format("{}: {} blob {} is not recorded as referenced (gc could "
                      "remove it)",
                      who, role, d));
  };
  need(m->config.digest, "config");
  for (const auto& l : m->layers) need(l.digest, "layer");
  if (m->config.digest != img.config_digest)
    report.errors.push_back(fmt::format("{}: manifest config {} differs from the recorded ID {}",
                                        who, m->config.digest, img.config_digest));
  if (!store.has_blob(m->config.digest)) return;
  auto raw_config = store.read_blob(m->config.digest);
  if (!raw_config) return;  // reported by the blob pass
  auto c = oci::parse_config(*raw_config);
  if (!c) {
    report.errors.push_back(fmt::format("{}: {}", who, c.error().message()));
    return;
  }
  if (oci::mt::is_config(m->config.media_type) && c->rootfs.diff_ids.size() != m->layers.size())
    report.errors.push_back(fmt::format("{}: {} layers but {} diff_ids in the config", who,
                                        m->layers.size(), c->rootfs.diff_ids.size()));
}

}  // namespace

Result<GcReport> Store::gc(bool dry_run) {
  GcReport report;
  auto tx = KILN_TRY(Transaction::begin(m_meta->db()));
  report.leases_removed = KILN_TRY(m_meta->expire_leases(now_seconds()));
  auto live = KILN_TRY(m_meta->live_blobs());
  auto names = KILN_TRY(m_blobs.list());
  int64_t now = now_seconds();
  for (const auto& name : names) {
    auto st = m_blobs.stat(name);
    if (!st) continue;
    if (is_temp(name)) {
      if (now - st->st_mtim.tv_sec > k_temp_grace_seconds && !dry_run && m_blobs.unlink(name))
        ++report.temp_files_removed;
      continue;
    }
    if (live.contains("sha256:" + name)) continue;
    report.removed.push_back("sha256:" + name);
    report.bytes_removed += st->st_size;
    ++report.blobs_removed;
    if (!dry_run) KILN_TRY(m_blobs.unlink(name));
  }
  if (!dry_run) {
    KILN_TRY(m_meta->prune_layers(live));
    KILN_TRY(m_meta->prune_build_sources());
    KILN_TRY(tx.commit());
    if (!report.removed.empty()) KILN_TRY(m_blobs.fsync());
  }
  return report;
}

namespace {

// Hashes every blob file on all cores; mismatches go into the report.
void verify_blob_files(const os::Dir& dir, const std::vector<std::string>& blobs,
                       CheckReport& report) {
  int threads = std::max(1, io::default_threads());
  std::vector<std::future<std::pair<std::vector<std::string>, int64_t>>> parts;
  for (int t = 0; t < threads; ++t) {
    parts.push_back(std::async(std::launch::async, [&, t] {
      std::vector<std::string> errs;
      int64_t bytes = 0;
      for (size_t i = static_cast<size_t>(t); i < blobs.size(); i += static_cast<size_t>(threads)) {
        std::string e = verify_blob_file(dir, blobs[i], &bytes);
        if (!e.empty()) errs.push_back(std::move(e));
      }
      return std::make_pair(std::move(errs), bytes);
    }));
  }
  for (auto& p : parts) {
    auto [errs, bytes] = p.get();
    report.errors.insert(report.errors.end(), errs.begin(), errs.end());
    report.bytes_checked += bytes;
  }
}

}  // namespace

Result<CheckReport> Store::check() {
  CheckReport report;
  {
    auto s = KILN_TRY(m_meta->db().prepare("PRAGMA integrity_check"));
    while (KILN_TRY(s.step()))
      if (s.text(0) != "ok") report.errors.push_back("metadata database: " + s.text(0));
  }
  // Pass 1: every blob's content matches its name (hashed on all cores).
  auto names = KILN_TRY(m_blobs.list());
  std::vector<std::string> blobs;
  for (const auto& n : names) {
    if (is_temp(n)) continue;
    if (!Digest::parse("sha256:" + n)) {
      report.warnings.push_back(
          fmt::format("unexpected file {} in the blob directory", m_blobs.child_path(n)));
      continue;
    }
    blobs.push_back(n);
  }
  verify_blob_files(m_blobs, blobs, report);
  report.blobs_checked = static_cast<int64_t>(blobs.size());
  // Pass 2: every image's graph is present and recorded.
  auto imgs = KILN_TRY(m_meta->images());
  for (const auto& img : imgs) {
    ++report.images_checked;
    if (!has_blob(img.manifest_digest)) {
      report.errors.push_back(
          fmt::format("image {}: manifest blob is missing", img.manifest_digest));
      continue;
    }
    auto raw = read_blob(img.manifest_digest);
    if (!raw) continue;  // corrupt: reported by pass 1
    if (oci::mt::is_manifest(img.media_type)) check_manifest(*this, img, *raw, report);
    if (oci::mt::is_index(img.media_type)) check_index(*this, img, *raw, report);
  }
  // Leftovers that gc would reclaim.
  auto live = KILN_TRY(m_meta->live_blobs());
  int64_t orphans = 0;
  for (const auto& b : blobs)
    if (!live.contains("sha256:" + b)) ++orphans;
  if (orphans)
    report.warnings.push_back(
        fmt::format("{} unreferenced blobs (kiln system prune "
                    "reclaims them)",
                    orphans));
  int64_t temps = 0;
  for (const auto& n : names) temps += is_temp(n);
  if (temps)
    report.warnings.push_back(fmt::format("{} temporary files from interrupted writes", temps));
  return report;
}

Result<DiskUsage> Store::disk_usage() {
  DiskUsage du;
  auto imgs = KILN_TRY(m_meta->images());
  du.images = static_cast<int64_t>(imgs.size());
  for (const auto& i : imgs) du.dangling_images += i.names.empty() && !i.in_index;
  auto live = KILN_TRY(m_meta->live_blobs());
  for (const auto& n : KILN_TRY(m_blobs.list())) {
    if (is_temp(n)) continue;
    auto st = m_blobs.stat(n);
    if (!st) continue;
    ++du.blobs;
    du.blob_bytes += st->st_size;
    if (!live.contains("sha256:" + n)) du.reclaimable_bytes += st->st_size;
  }
  auto s = KILN_TRY(m_meta->db().prepare("SELECT count(*), coalesce(sum(size), 0) FROM unpacked"));
  if (KILN_TRY(s.step())) {
    du.snapshots = s.integer(0);
    du.snapshot_bytes = s.integer(1);
  }
  return du;
}

}  // namespace kiln::store
