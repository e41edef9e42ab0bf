// kiln sbom [--format table|json|spdx-json|cyclonedx-json] [--platform P] IMAGE
#include "kiln/cli/scan_common.hpp"
#include "kiln/scan/sbom_formats.hpp"
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
  std::string format = a.format == "spdx"        ? "spdx-json"
                       : a.format == "cyclonedx" ? "cyclonedx-json"
                                                 : a.format;
  if (format != "table" && format != "json" && format != "spdx-json" && format != "cyclonedx-json")
    return failf(Errc::invalid_argument,
                 "sbom: unknown --format \"{}\" (want table, json, spdx-json or cyclonedx-json)",
                 a.format);
  auto doc = KILN_TRY(document_info());
  auto ci = KILN_TRY(catalog_image(ctx, a.image, a.platform, a.reg, "sbom"));
  const auto& cat = ci.catalog;
  for (const auto& w : cat.warnings) fmt::print(stderr, "warning: {}\n", w);
  if (format == "json") {
    fmt::print("{}", scan::sbom_json(ci.subject, cat));
  } else if (format == "spdx-json") {
    fmt::print("{}", scan::spdx_json(ci.subject, cat, doc));
  } else if (format == "cyclonedx-json") {
    fmt::print("{}", scan::cyclonedx_json(ci.subject, cat, doc));
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
  c->add_option("--format", a->format,
                "table (default), json (kiln's own), spdx-json (SPDX 2.3) or cyclonedx-json "
                "(CycloneDX 1.5); docs/sbom.md");
  c->add_option("--platform", a->platform, "Which image of an index (default: this host)");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
