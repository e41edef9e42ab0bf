// kiln system check | df | prune
#include <unistd.h>

#include <iostream>

#include "kiln/base/strings.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/cli/image_views.hpp"
#include "kiln/cli/json_output.hpp"
#include "kiln/container/containers.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/signatures.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

void check(Context& ctx, bool json) {
  auto st = ctx.store();
  if (!st) return ctx.report(st.error());
  auto r = (*st)->check();
  if (!r) return ctx.report(r.error());
  if (json) {
    fmt::print("{}\n", JsonObject()
                           .add("BlobsChecked", int64_t{r->blobs_checked})
                           .add("BytesChecked", int64_t{r->bytes_checked})
                           .add("ImagesChecked", int64_t{r->images_checked})
                           .add("Errors", r->errors)
                           .add("Warnings", r->warnings)
                           .dump());
  } else {
    for (const auto& e : r->errors) fmt::print("error: {}\n", e);
    for (const auto& w : r->warnings) fmt::print("warning: {}\n", w);
    fmt::print("checked {} blobs ({}) and {} images: {}\n", r->blobs_checked,
               human_size(r->bytes_checked), r->images_checked,
               r->errors.empty() ? "ok" : fmt::format("{} errors", r->errors.size()));
  }
  if (!r->errors.empty() && ctx.exit_code == 0) ctx.exit_code = exit_code_for(Errc::corrupt);
}

void df(Context& ctx, bool json) {
  auto st = ctx.store();
  if (!st) return ctx.report(st.error());
  auto du = (*st)->disk_usage();
  if (!du) return ctx.report(du.error());
  if (json) {
    fmt::print("{}\n", JsonObject()
                           .add("Images", int64_t{du->images})
                           .add("DanglingImages", int64_t{du->dangling_images})
                           .add("Blobs", int64_t{du->blobs})
                           .add("BlobBytes", int64_t{du->blob_bytes})
                           .add("ReclaimableBytes", int64_t{du->reclaimable_bytes})
                           .add("Snapshots", int64_t{du->snapshots})
                           .add("SnapshotBytes", int64_t{du->snapshot_bytes})
                           .dump());
    return;
  }
  print_table(
      {{"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"},
       {"Images", std::to_string(du->images), std::to_string(du->images - du->dangling_images),
        human_size(du->blob_bytes), human_size(du->reclaimable_bytes)},
       {"Snapshots", std::to_string(du->snapshots), std::to_string(du->snapshots),
        human_size(du->snapshot_bytes), "0B"}});
}

bool confirm(const std::string& question) {
  fmt::print("{} [y/N] ", question);
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

void prune(Context& ctx, bool force, bool dry_run, bool build_cache) {
  auto st = ctx.store();
  if (!st) return ctx.report(st.error());
  if (!force && !dry_run &&
      !confirm("WARNING! This will remove all dangling images and unreferenced blobs.\n"
               "Are you sure you want to continue?"))
    return;
  auto imgs = (*st)->images();
  if (!imgs) return ctx.report(imgs.error());
  for (const auto& img : *imgs) {
    if (!img.names.empty() || img.in_index) continue;
    fmt::print("{}: {}\n", dry_run ? "Would delete" : "Deleted", img.config_digest);
    if (!dry_run)
      if (auto d = (*st)->delete_image(img.manifest_digest); !d) return ctx.report(d.error());
  }
  if (build_cache && !dry_run) {
    if (auto c = (*st)->metadata().clear_cache(); !c) return ctx.report(c.error());
    if (auto root = os::Dir::open((*st)->root())) (void)root->remove_all("build-cache");
    fmt::print("Deleted the build cache\n");
  }
  if (!dry_run)
    if (auto sigs = store::prune_signatures(**st); !sigs) return ctx.report(sigs.error());
  auto gc = (*st)->gc(dry_run);
  if (!gc) return ctx.report(gc.error());
  fmt::print("{} {} blobs, {} reclaimed\n", dry_run ? "Would remove" : "Removed", gc->blobs_removed,
             human_size(gc->bytes_removed));
  if (dry_run) return;
  // Unpacked layers no image has and no container uses.
  auto containers = container::list_containers(**st);
  if (!containers) return ctx.report(containers.error());
  std::vector<std::string> in_use;
  for (const auto& c : *containers) in_use.insert(in_use.end(), c.lowers.begin(), c.lowers.end());
  auto freed = container::prune_snapshots(**st, in_use);
  if (!freed) return ctx.report(freed.error());
  if (*freed > 0) fmt::print("Removed unpacked layers, {} reclaimed\n", human_size(*freed));
}

}  // namespace

void add_system(CLI::App& app, Context& ctx) {
  auto* sys = app.add_subcommand("system", "Manage the local store");
  sys->require_subcommand(1);
  auto json = std::make_shared<std::string>();
  auto* c = sys->add_subcommand("check", "Re-hash every blob and verify every metadata reference");
  c->add_option("--format", *json, "json for machine-readable output");
  c->callback([&ctx, json] { check(ctx, *json == "json"); });
  auto* d = sys->add_subcommand("df", "Show disk usage of the store");
  d->add_option("--format", *json, "json for machine-readable output");
  d->callback([&ctx, json] { df(ctx, *json == "json"); });
  auto force = std::make_shared<bool>(false), dry = std::make_shared<bool>(false);
  auto cache = std::make_shared<bool>(false);
  auto* p = sys->add_subcommand("prune", "Remove dangling images and unreferenced blobs");
  p->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  p->add_flag("--dry-run", *dry, "Only show what would be removed");
  p->add_flag("--build-cache", *cache, "Also drop the build cache and its layers");
  p->callback([&ctx, force, dry, cache] { prune(ctx, *force, *dry, *cache); });
}

}  // namespace kiln::cli
