// kiln history IMAGE
#include "kiln/base/strings.hpp"
#include "kiln/cli/image_views.hpp"
#include "kiln/cli/rows.hpp"

namespace kiln::cli {

namespace {

struct HistoryArgs {
  std::string ref, format, human_text = "true";
  bool human = true, no_trunc = false, quiet = false;
};

std::string ellipsis(std::string s, size_t max) {
  for (auto& c : s)
    if (c == '\t' || c == '\n') c = ' ';
  if (s.size() <= max) return s;
  return s.substr(0, max - 1) + "\u2026";
}

Status run(Context& ctx, const HistoryArgs& a) {
  auto* st = KILN_TRY(ctx.store());
  auto v = KILN_TRY(store::load_image(*st, a.ref));
  auto rows = KILN_TRY(image_history(*st, v));
  int64_t now = store::now_seconds();
  auto id_of = [&](const HistoryRow& r) {
    return a.no_trunc || r.id == "<missing>" ? r.id : short_id(r.id);
  };
  if (a.quiet) {
    for (const auto& r : rows) fmt::print("{}\n", id_of(r));
    return {};
  }
  if (auto st = print_formatted(a.format, rows,
                                [&](const auto& r) { return history_row_json(r, a.human, now); }))
    return *st;
  std::vector<std::vector<std::string>> table{
      {"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}};
  for (const auto& r : rows) {
    std::string created =
        a.human ? (r.created_unix ? human_ago(r.created_unix, now) : "N/A") : r.created;
    std::string by = a.no_trunc ? r.created_by : ellipsis(r.created_by, 45);
    std::string size = a.human ? human_size(r.size) : std::to_string(r.size);
    table.push_back({id_of(r), created, by, size, r.comment});
  }
  print_table(table);
  return {};
}

}  // namespace

void add_history(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<HistoryArgs>();
  auto* c = app.add_subcommand("history", "Show the history of an image, newest first");
  c->add_option("image", a->ref, "Image name, ID or ID prefix")->required();
  c->add_option("-H,--human", a->human_text, "Sizes and dates in human-readable form (true|false)")
      ->capture_default_str();
  c->add_flag("--no-trunc", a->no_trunc, "Do not truncate output");
  c->add_flag("-q,--quiet", a->quiet, "Only show image IDs");
  c->add_option("--format", a->format,
                "json (one object per line), 'table TEMPLATE' or a Go template");
  c->callback([&ctx, a] {
    // docker spells it -H=false; CLI11 hands the short form over with its "=".
    std::string h = a->human_text.starts_with('=') ? a->human_text.substr(1) : a->human_text;
    if (h != "true" && h != "false" && h != "1" && h != "0")
      return ctx.report(Error(Errc::invalid_argument,
                              fmt::format("history: -H takes true or false, not \"{}\"", h)));
    a->human = h == "true" || h == "1";
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
