#include "kiln/ops/export.hpp"

#include <unistd.h>

#include "kiln/archive/apply.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::ops {

namespace {

// Applies one layer blob, verifying the stored blob and the uncompressed diffID.
Status apply_one(store::Store& store, const oci::Descriptor& layer, const Digest& diff_id,
                 const os::Dir& root) {
  auto blob = KILN_TRY(store.blob_reader(layer.digest));
  io::PeekReader peek(*blob);
  auto plain = KILN_TRY(io::auto_decompress(peek));
  io::HashingReader hashed(*plain);
  auto tar = KILN_TRY(archive::TarReader::open(hashed));
  archive::ApplyOptions opts;
  opts.same_owner = geteuid() == 0;
  KILN_TRY(archive::apply_layer(root, *tar, opts));
  KILN_TRY(io::drain(hashed));  // the rest of the stream (tar padding) counts too
  Digest got = hashed.digest();
  if (got != diff_id)
    return failf(Errc::corrupt, "layer {}: uncompressed content hashes to {}, the config says {}",
                 layer.digest, got, diff_id);
  return {};
}

}  // namespace

Status export_rootfs(store::Store& store, const ImageView& image, io::Writer& out) {
  const auto& layers = image.manifest.layers;
  const auto& diff_ids = image.config.rootfs.diff_ids;
  if (layers.size() != diff_ids.size())
    return failf(Errc::corrupt, "image has {} layers but {} diff_ids", layers.size(),
                 diff_ids.size());
  std::string scratch_parent = store.root() + "/" + std::string(store::paths::tmp_dir);
  KILN_TRY(os::Dir::create(scratch_parent, 0700));
  auto scratch = KILN_TRY(os::TempDir::create("export", scratch_parent));
  auto root = KILN_TRY(os::Dir::create(scratch / "rootfs", 0755));
  for (size_t i = 0; i < layers.size(); ++i)
    KILN_TRY_CTX(apply_one(store, layers[i], diff_ids[i], root), fmt::format("layer {}", i + 1));
  auto tar = KILN_TRY(archive::TarWriter::open(out));
  KILN_TRY(archive::write_tree(root, *tar));
  return tar->finish();
}

}  // namespace kiln::ops
