// kiln sbom [--format table|json] [--platform P] IMAGE
#include "kiln/cli/transfer.hpp"
#include "kiln/image/load.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/scan/catalog.hpp"
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
    std::string by = p.created_by;
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
  auto at = KILN_TRY(transport::parse_location(a.image));
  auto o = KILN_TRY(open_options(ctx, at.kind == transport::Kind::store));
  o.registry = KILN_TRY(registry_options(a.reg));
  auto src = KILN_TRY(transport::open_source(at, o));
  std::optional<oci::Platform> platform;
  if (!a.platform.empty()) platform = KILN_TRY(oci::parse_platform(a.platform));
  auto img = KILN_TRY_CTX(image::load(*src, platform), fmt::format("sbom {}", a.image));
  scan::CatalogOptions co;
  if (stderr_is_terminal())
    co.on_layer = [](size_t i, size_t n) {
      fmt::print(stderr, "\rReading layer {}/{}", i + 1, n);
      if (i + 1 == n) fmt::print(stderr, "\r\033[K");
    };
  auto cat = KILN_TRY_CTX(scan::catalog_image(*src, img, co), fmt::format("sbom {}", a.image));
  for (const auto& w : cat.warnings) fmt::print(stderr, "warning: {}\n", w);
  if (a.format == "json") {
    scan::SbomSubject s{a.image, img.manifest.digest.str(), img.parsed.config.digest.str()};
    fmt::print("{}", scan::sbom_json(s, cat));
  } else {
    print_catalog(cat);
  }
  return {};
}

}  // namespace

void add_sbom(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<SbomArgs>();
  auto* c = app.add_subcommand(
      "sbom",
      "List the OS packages installed in an image (dpkg, apk) and the layer that added each");
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
