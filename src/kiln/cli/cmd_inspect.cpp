// kiln inspect IMAGE...
#include "kiln/cli/context.hpp"
#include "kiln/cli/image_views.hpp"
#include "kiln/cli/transfer.hpp"
#include "kiln/gotemplate/template.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

struct InspectArgs {
  std::vector<std::string> refs;
  std::string format;
  RegistryFlags reg;
};

void run(Context& ctx, const InspectArgs& a) {
  std::optional<gotemplate::Template> t;
  if (!a.format.empty() && a.format != "json") {
    auto parsed = gotemplate::Template::parse(a.format);
    if (!parsed) return ctx.report(parsed.error());
    t = std::move(*parsed);
  }
  std::vector<std::string> docs;
  for (const auto& r : a.refs) {
    Result<store::ImageView> v = fail(Errc::internal, "");
    if (r.starts_with("docker://")) {
      v = remote_image_view(r, a.reg);  // read from the registry, not pulled
    } else {
      auto st = ctx.store();
      if (!st) return ctx.report(st.error());
      v = store::load_image(**st, r);
    }
    if (!v) {
      ctx.report(v.error());
      continue;
    }
    std::string doc = inspect_json(*v);
    if (!t) {
      docs.push_back(doc);
      continue;
    }
    auto out = t->render(doc);
    if (!out)
      ctx.report(out.error());
    else
      fmt::print("{}\n", *out);
  }
  if (!t) {
    // A JSON array with docker's 4-space indentation.
    std::string out = "[";
    for (size_t i = 0; i < docs.size(); ++i) {
      std::string indented;
      for (char c : docs[i]) {
        indented += c;
        if (c == '\n') indented += "    ";
      }
      out += (i ? ",\n    " : "\n    ") + indented;
    }
    out += docs.empty() ? "]" : "\n]";
    fmt::print("{}\n", out);
  }
}

}  // namespace

void add_inspect(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<InspectArgs>();
  auto* c = app.add_subcommand("inspect", "Show detailed information about images (docker's JSON)");
  c->add_option("images", a->refs, "Image names, IDs or ID prefixes; docker://REF reads a registry")
      ->required();
  add_registry_flags(c, a->reg);
  c->add_option("-f,--format", a->format,
                "Go template applied to each image, e.g. '{{.Id}}' or '{{json .Config}}'");
  c->callback([&ctx, a] { run(ctx, *a); });
}

}  // namespace kiln::cli
