#include "kiln/container/export.hpp"

#include <unistd.h>

#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/io/compress.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::container {

Status export_rootfs(store::Store& store, const store::ImageView& image, io::Writer& out) {
  std::string scratch_parent = store.root() + "/" + std::string(store::paths::tmp_dir);
  KILN_TRY(os::Dir::create(scratch_parent, 0700));
  auto scratch = KILN_TRY(os::TempDir::create("export", scratch_parent));
  auto root = KILN_TRY(os::Dir::create(scratch / "rootfs", 0755));
  KILN_TRY(apply_layers(store, image.manifest.layers, image.config.rootfs.diff_ids, root));
  auto tar = KILN_TRY(archive::TarWriter::open(out));
  KILN_TRY(archive::write_tree(root, *tar));
  return tar->finish();
}

}  // namespace kiln::container
