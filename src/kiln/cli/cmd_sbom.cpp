// kiln sbom [--format table|json] [--platform P] IMAGE
#include "kiln/cli/scan_common.hpp"
#include "kiln/scan/sbom_json.hpp"

namespace kiln::cli {
namespace {

struct SbomArgs {
  std::string image, format = "table", platform;
  RegistryFlags reg;
};

void print_catalog(const scan::Catalog& cat) {
  if (cat.distro)
    fmt::print(stderr, "Distribution: {}\n",
               cat.distro->pretty_name.empty() ? cat.distro->id + " " + cat.distro->version_id
                                               : cat.distro->pretty_name);
  std::vector<std::vector<std::string>> rows{
      {"NAME", "VERSION", "TYPE", "SOURCE", "LAYER", "CREATED BY"}};
  for (const auto& p : cat.packages) {
    std::string by = p.location.empty() ? p.created_by : p.location + " " + p.created_by;
    if (by.size() > 60) by = by.substr(0, 59) + "…";
    std::string source = p.source_name == p.name ? "" : p.source_name;
    if (!source.empty() && p.source_version != p.version) source += " " + p.source_version;
    rows.push_back({p.name, p.version, p.type, source,
                    fmt::format("{} {}", p.layer, p.layer_digest.short_hex()), by});
  }
  print_table(rows);
}

Status run(Context& ctx, const SbomArgs& a) {
  if (a.format != "table" && a.format != "json")
    return failf(Errc::invalid_argument, "sbom: unknown --format \"{}\" (want table or json)",
                 a.format);
  auto ci = KILN_TRY(catalog_image(ctx, a.image, a.platform, a.reg, "sbom"));
  const auto& cat = ci.catalog;
  for (const auto& w : cat.warnings) fmt::print(stderr, "warning: {}\n", w);
  if (a.format == "json") {
    fmt::print("{}", scan::sbom_json(ci.subject, cat));
  } else {
    print_catalog(cat);
  }
  return {};
}

}  // namespace

void add_sbom(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SbomArgs>();
  auto* c = app.add_subcommand("sbom",
                               "List the packages installed in an image (dpkg, apk, Python, npm) "
                               "and the layer that added each");
  c->add_option("image", a->image,
                "The image: a store name or ID, docker://REF, oci:DIR[:REF], "
                "oci-archive:FILE[:REF] or docker-archive:FILE[:REF]")
      ->required();
  c->add_option("--format", a->format, "table (default) or json (docs/sbom.md)");
  c->add_option("--platform", a->platform, "Which image of an index (default: this host)");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
