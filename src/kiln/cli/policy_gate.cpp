#include "kiln/cli/policy_gate.hpp"

#include "kiln/cli/scan_common.hpp"
#include "kiln/lint/analyze.hpp"
#include "kiln/oci/codec.hpp"
#include "kiln/scan/match.hpp"
#include "kiln/scan/secrets.hpp"
#include "kiln/scan/vulndb.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

std::string finding_line(const dockerfile::Source& src, const lint::Finding& f) {
  return fmt::format("{}:{}:{}: {} [{}]", src.filename, f.line, f.column, f.message, f.rule);
}

std::string layer_place(const scan::Catalog& cat, int layer) {
  if (layer < 0 || static_cast<size_t>(layer) >= cat.layers.size()) return "the image config";
  const auto& l = cat.layers[static_cast<size_t>(layer)];
  return l.location.empty() ? fmt::format("layer {}", layer)
                            : fmt::format("layer {} ({})", layer, l.location);
}

}  // namespace

namespace {

using Lines = std::vector<std::string>;

// Lint, with the allowed base registries as trusted registries. Returns the RootUser finding's
// line (0 when none) for the root check.
Result<int> lint_phase(Context& ctx, const lint::Policy& p, const LintRequest& req, Lines& out,
                       std::string& file) {
  auto cfg = KILN_TRY(load_lint_config(req));
  if (!p.allowed_base_registries.empty()) {
    cfg.trusted_registries = p.allowed_base_registries;
    cfg.disabled.erase("UntrustedRegistry");
  }
  auto lr = KILN_TRY(run_lint(ctx, req, &cfg));
  const auto& src = *lr->ast.source;
  file = src.filename;
  int root_line = 0;
  for (const auto& f : lr->report.findings) {
    if (f.rule == "RootUser") root_line = f.line;
    bool untrusted = f.rule == "UntrustedRegistry" && !p.allowed_base_registries.empty();
    if (untrusted || (p.lint && f.severity >= *p.lint))
      out.push_back(fmt::format("lint: {}", finding_line(src, f)));
  }
  return root_line;
}

// The image config: user and labels.
Status config_phase(Context& ctx, const lint::Policy& p, const std::string& image,
                    const std::string& file, int root_line, Lines& out) {
  auto st = KILN_TRY(ctx.store());
  auto rec = KILN_TRY(st->resolve(image));
  auto config = KILN_TRY(oci::parse_config(KILN_TRY(st->read_blob(rec.config_digest))));
  std::string user = config.config ? config.config->user : "";
  if (p.root && !*p.root) {
    std::string name = user.substr(0, user.find(':'));
    if (name.empty() || name == "root" || name == "0")
      out.push_back(fmt::format("root: the image runs as root (User \"{}\"){}", user,
                                root_line ? fmt::format(" at {}:{}", file, root_line) : ""));
  }
  for (const auto& label : p.required_labels)
    if (!config.config || !config.config->labels.contains(label))
      out.push_back(
          fmt::format("labels: required label {} is missing (LABEL {}=... in the "
                      "final stage, or kiln build --label)",
                      label, label));
  return {};
}

// Secrets and vulnerabilities, from one catalog of the image.
Status catalog_phase(Context& ctx, const lint::Policy& p, const std::string& image, Lines& out) {
  bool want_secrets = p.secrets && !*p.secrets;
  if (!want_secrets && p.max_severity.empty()) return {};
  std::unique_ptr<scan::VulnDb> db;
  if (!p.max_severity.empty()) {
    std::string path = vulndb_location(ctx, p.vulndb);
    auto opened = scan::VulnDb::open(path);
    if (!opened)
      return failf(Errc::not_found,
                   "policy max-severity needs the advisory database {} (kiln db import or kiln "
                   "db update): {}",
                   path, opened.error().message());
    db = std::move(*opened);
  }
  std::optional<scan::SecretScanner> secrets;
  if (want_secrets) secrets.emplace(scan::builtin_secret_rules());
  auto ci = KILN_TRY(
      catalog_image(ctx, image, "", RegistryFlags{}, "policy", secrets ? &*secrets : nullptr));
  if (secrets)
    for (const auto& f : secrets->findings())
      out.push_back(fmt::format("secrets: {} ({}) in {}:{}{} from {}", f.title, f.masked, f.path,
                                f.line, f.removed ? " (deleted later, still in the layer)" : "",
                                layer_place(ci.catalog, f.layer)));
  if (!db) return {};
  auto m = KILN_TRY(scan::match(*db, ci.catalog));
  int limit = scan::severity_rank(p.max_severity);
  for (const auto& f : m.findings) {
    if (scan::severity_rank(f.severity) < limit) continue;
    if (p.fixable_only && f.fixed.empty()) continue;
    const auto& pkg = ci.catalog.packages[f.package];
    out.push_back(
        fmt::format("vulnerabilities: {} {} in {} {} (fixed in {}) from {}", f.severity, f.id,
                    pkg.name, f.installed, f.fixed.empty() ? "no release" : f.fixed,
                    pkg.location.empty() ? fmt::format("layer {}", pkg.layer) : pkg.location));
  }
  return {};
}

// Waste and efficiency (kiln analyze).
Status waste_phase(Context& ctx, const lint::Policy& p, const std::string& image, Lines& out) {
  if (!p.max_waste && !p.min_efficiency) return {};
  auto opened = KILN_TRY(open_image(ctx, image, "", RegistryFlags{}, "policy"));
  lint::AnalyzeOptions o;
  o.history_locations = std::move(opened.history_locations);
  auto a = KILN_TRY(lint::analyze_image(*opened.source, opened.image, o));
  if (p.max_waste && a.user_wasted_percent > *p.max_waste) {
    std::string top;
    if (!a.waste.empty()) top = fmt::format("; largest: {}", a.waste.front().message);
    out.push_back(
        fmt::format("waste: {:.2f} % of the layers above the first is wasted, more "
                    "than max-waste {:.2f} %{}",
                    a.user_wasted_percent * 100, *p.max_waste * 100, top));
  }
  if (p.min_efficiency && a.efficiency < *p.min_efficiency)
    out.push_back(fmt::format("waste: efficiency {:.4f} is below min-efficiency {:.4f}",
                              a.efficiency, *p.min_efficiency));
  return {};
}

}  // namespace

Result<std::vector<std::string>> policy_violations(Context& ctx, const lint::Policy& p,
                                                   const std::string& image,
                                                   const LintRequest& req) {
  Lines out;
  std::string file;
  int root_line = KILN_TRY(lint_phase(ctx, p, req, out, file));
  KILN_TRY(config_phase(ctx, p, image, file, root_line, out));
  KILN_TRY(catalog_phase(ctx, p, image, out));
  KILN_TRY(waste_phase(ctx, p, image, out));
  return out;
}

}  // namespace kiln::cli
