// kiln images [REPOSITORY[:TAG]]
#include "kiln/base/strings.hpp"
#include "kiln/cli/image_views.hpp"
#include "kiln/cli/rows.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

struct ImagesArgs {
  std::string filter, format;
  bool quiet = false, digests = false, no_trunc = false;
};

Status run(Context& ctx, const ImagesArgs& a) {
  auto* st = KILN_TRY(ctx.store());
  auto rows = KILN_TRY(list_images(*st, a.filter));
  int64_t now = store::now_seconds();
  auto id_of = [&](const ImageRow& r) { return a.no_trunc ? r.id : short_id(r.id); };
  if (a.quiet) {
    for (const auto& r : rows) fmt::print("{}\n", id_of(r));
    return {};
  }
  if (auto st =
          print_formatted(a.format, rows, [&](const auto& r) { return image_row_json(r, now); }))
    return *st;
  std::vector<std::vector<std::string>> table;
  if (a.digests)
    table.push_back({"REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"});
  else
    table.push_back({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  for (const auto& r : rows) {
    std::string created = r.created_unix ? human_ago(r.created_unix, now) : "N/A";
    if (a.digests)
      table.push_back({r.repository, r.tag, r.digest, id_of(r), created, human_size(r.size)});
    else
      table.push_back({r.repository, r.tag, id_of(r), created, human_size(r.size)});
  }
  print_table(table);
  return {};
}

}  // namespace

void add_images(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ImagesArgs>();
  auto* c = app.add_subcommand("images", "List images in the store");
  c->add_option("reference", a->filter,
                "Only images whose name matches REPOSITORY[:TAG] (globs allowed)");
  c->add_flag("-q,--quiet", a->quiet, "Only show image IDs");
  c->add_flag("--digests", a->digests, "Show manifest digests");
  c->add_flag("--no-trunc", a->no_trunc, "Do not truncate IDs");
  c->add_option("--format", a->format,
                "json (one object per line), 'table TEMPLATE' or a Go template, e.g. "
                "'{{.Repository}}:{{.Tag}}'");
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
