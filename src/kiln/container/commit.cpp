#include "kiln/container/commit.hpp"

#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/container/containers.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/dockerfile/changes.hpp"
#include "kiln/image/mutate.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/store/layer_sink.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::container {

namespace {

Status write_changes(store::Store& store, const ContainerRecord& c, const store::ImageView& image,
                     io::Writer& out) {
  std::string dir = container_dir(store, c.id);
  auto tar = KILN_TRY(archive::TarWriter::open(out));
  archive::WalkOptions wo;
  if (c.snapshotter == "copy") {
    std::string scratch_parent = store.root() + "/" + std::string(store::paths::tmp_dir);
    KILN_TRY(os::Dir::create(scratch_parent, 0700));
    auto scratch = KILN_TRY(os::TempDir::create("commit", scratch_parent));
    auto base = KILN_TRY(os::Dir::create(scratch / "base", 0755));
    KILN_TRY(apply_layers(store, image.manifest.layers, image.config.rootfs.diff_ids, base));
    KILN_TRY(make_mount_points(base));
    auto fs = KILN_TRY(os::Dir::open(dir + "/fs"));
    wo.base = &base;
    KILN_TRY(archive::write_tree(fs, *tar, wo));
  } else {
    auto upper = KILN_TRY(os::Dir::open(dir + "/upper"));
    wo.overlay_whiteouts = true;
    KILN_TRY(archive::write_tree(upper, *tar, wo));
  }
  return tar->finish();
}

}  // namespace

Result<store::ImageRecord> commit_container(store::Store& store, const CommitOptions& opts) {
  auto c = KILN_TRY(find_container(store, opts.container));
  auto ctx = fmt::format("commit {}", short_id(c.id));
  if (c.status == "running")
    return failf(Errc::conflict, "{}: the container is running (kiln commits stopped containers)",
                 ctx);
  auto image = KILN_TRY_CTX(store::load_image(store, c.image_id), ctx);
  auto lease = KILN_TRY(store.lease());
  auto sink = KILN_TRY(store::LayerSink::create(store, lease, opts.compression));
  KILN_TRY_CTX(write_changes(store, c, image, *sink), ctx);
  auto layer = KILN_TRY_CTX(sink->commit(), ctx);

  store::Assembled img;
  img.config = image.config;
  oci::ContainerConfig cc = image.config.config.value_or(oci::ContainerConfig{});
  for (const auto& ch : opts.changes) KILN_TRY_CTX(dockerfile::apply_change(cc, ch), ctx);
  image::set_container_config(img.config, std::move(cc));
  int64_t now = store::now_seconds();
  img.config.created = rfc3339(now);
  if (!opts.author.empty()) img.config.author = opts.author;
  oci::History h;
  h.created = img.config.created;
  h.created_by = join(c.command, " ");
  h.author = opts.author;
  h.comment = opts.message;
  image::append_layer(img.config, layer.diff_id, std::move(h));
  img.layers = KILN_TRY_CTX(store::layer_records(store, image), ctx);
  img.layers.push_back(layer);
  if (opts.ref) img.names = {opts.ref->str()};
  return with_context(store::store_image(store, lease, img), ctx);
}

}  // namespace kiln::container
