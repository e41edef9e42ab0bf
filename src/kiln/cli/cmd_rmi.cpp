// kiln rmi [-f] IMAGE...
#include "kiln/cli/context.hpp"
#include "kiln/store/remove.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

void add_rmi(CLI::App& app, Context& ctx) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* c =
      app.add_subcommand("rmi", "Remove images (untag a name; delete when its last name goes)");
  c->add_option("images", *refs, "Image names, IDs or ID prefixes")->required();
  c->add_flag("-f,--force", *force, "Remove an image by ID even when several names refer to it");
  c->callback([&ctx, refs, force] {
    auto st = ctx.store();
    if (!st) return ctx.report(st.error());
    bool deleted = false;
    for (const auto& r : *refs) {
      auto out = store::remove_image(**st, r, *force);
      if (!out) {
        ctx.report(out.error().context(fmt::format("rmi {}", r)));
        continue;
      }
      for (const auto& u : out->untagged) fmt::print("Untagged: {}\n", u);
      for (const auto& d : out->deleted) fmt::print("Deleted: {}\n", d);
      deleted |= !out->deleted.empty();
    }
    if (deleted)
      if (auto gc = (*st)->gc(); !gc) ctx.report(gc.error().context("collect removed blobs"));
  });
}

}  // namespace kiln::cli
