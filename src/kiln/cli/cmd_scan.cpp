// kiln scan [--scanners vuln,secret,config] [--format table|json|sarif|cyclonedx] [--severity LIST]
//           [--ignore-unfixed] [--exit-code N] [--ignore-file F] [--secret-config F]
//           [--db PATH] [--platform P] IMAGE
#include <ctime>
#include <fstream>
#include <sstream>

#include "kiln/cli/scan_common.hpp"
#include "kiln/cli/scan_misconfig.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/scan/match.hpp"
#include "kiln/scan/report_json.hpp"
#include "kiln/scan/sbom_formats.hpp"
#include "kiln/scan/secrets_json.hpp"

namespace kiln::cli {
namespace {

struct ScanArgs {
  std::string image, format = "table", platform, db, ignore_file, severity;
  std::string scanners = "vuln,secret", secret_config;
  bool ignore_unfixed = false;
  int exit_code = 0;
  RegistryFlags reg;
};

constexpr const char* k_severities[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};

// One line of an ignore file: "ID [pkg:NAME] [path:PATH] [exp:YYYY-MM-DD]" (a secret's ID is
// its rule's).
struct Ignore {
  std::string id, package, path, expires;
  int line = 0;
};

Result<std::vector<Ignore>> read_ignore_file(const std::string& path,
                                             std::vector<std::string>& warnings) {
  std::ifstream in(path);
  if (!in) return fail_errno(fmt::format("open ignore file {}", path));
  std::vector<Ignore> out;
  std::string line;
  char today[16];
  std::time_t now = std::time(nullptr);
  std::strftime(today, sizeof today, "%Y-%m-%d", std::gmtime(&now));
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    Ignore ig;
    ig.line = n;
    for (std::string w; words >> w;) {
      if (ig.id.empty() && w.find(':') == std::string::npos)
        ig.id = w;
      else if (w.starts_with("pkg:") && w.size() > 4)
        ig.package = w.substr(4);
      else if (w.starts_with("path:") && w.size() > 5)
        ig.path = w.substr(5);
      else if (w.starts_with("exp:") && w.size() == 14 && w[8] == '-' && w[11] == '-')
        ig.expires = w.substr(4);
      else
        return failf(Errc::invalid_argument,
                     "{}:{}: \"{}\" is not an ID, pkg:NAME, path:PATH or exp:YYYY-MM-DD", path, n,
                     w);
    }
    if (ig.id.empty()) {
      if (!ig.package.empty() || !ig.path.empty() || !ig.expires.empty())
        return failf(Errc::invalid_argument, "{}:{}: no vulnerability ID", path, n);
      continue;
    }
    if (!ig.expires.empty() && ig.expires < today) {
      warnings.push_back(fmt::format("{}:{}: the ignore of {} expired on {}; reported again", path,
                                     n, ig.id, ig.expires));
      continue;
    }
    out.push_back(std::move(ig));
  }
  return out;
}

bool ignored(const scan::SecretFinding& f, const std::vector<Ignore>& list) {
  for (const auto& ig : list)
    if (ig.id == f.rule && ig.package.empty() && (ig.path.empty() || ig.path == f.path))
      return true;
  return false;
}

bool ignored(const scan::Misconfiguration& m, const std::vector<Ignore>& list) {
  for (const auto& ig : list)
    if (ig.id == m.rule && ig.package.empty() && ig.path.empty()) return true;
  return false;
}

bool ignored(const scan::Finding& f, const scan::Package& p, const std::vector<Ignore>& list) {
  for (const auto& ig : list) {
    if (!ig.path.empty() && ig.path != p.db) continue;
    bool id = ig.id == f.id || std::find(f.ids.begin(), f.ids.end(), ig.id) != f.ids.end();
    bool pkg = ig.package.empty() || ig.package == p.name || ig.package == p.source_name;
    if (id && pkg) return true;
  }
  return false;
}

Result<std::vector<std::string>> parse_severities(const std::string& s) {
  std::vector<std::string> out;
  std::string rest = s;
  for (auto& c : rest) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::istringstream in(rest);
  for (std::string w; std::getline(in, w, ',');) {
    if (w.empty()) continue;
    if (std::find(std::begin(k_severities), std::end(k_severities), w) == std::end(k_severities))
      return failf(Errc::invalid_argument,
                   "scan: unknown severity \"{}\" (want CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)", w);
    out.push_back(w);
  }
  return out;
}

// The Dockerfile line when kiln built the image, else the history line.
std::string added_by(const scan::Package& p) {
  if (p.location.empty()) return short_text(p.created_by, 40);
  return short_text(p.location + " " + p.created_by, 48);
}

void print_secrets(const scan::Catalog& cat, const std::vector<scan::SecretFinding>& secrets) {
  fmt::print("\nSECRETS ({})\n", secrets.size());
  std::vector<std::vector<std::string>> rows{
      {"SEVERITY", "RULE", "WHERE", "MATCH", "LAYER", "ADDED BY"}};
  for (const auto& f : secrets) {
    std::string layer = "config", by;
    if (f.layer >= 0 && static_cast<size_t>(f.layer) < cat.layers.size()) {
      const auto& l = cat.layers[static_cast<size_t>(f.layer)];
      layer = fmt::format("{} {}", f.layer, l.digest.short_hex());
      by = short_text(l.location.empty() ? l.created_by : l.location + " " + l.created_by, 40);
    }
    rows.push_back({f.severity, f.rule,
                    fmt::format("{}:{}{}", f.path, f.line, f.removed ? " (deleted later)" : ""),
                    f.masked, layer, by});
  }
  print_table(rows);
}

void print_report(const scan::Catalog& cat, const std::vector<scan::Finding>& findings) {
  std::map<std::string, int> count;
  for (const auto& f : findings)
    ++count[scan::severity_rank(f.severity) > 0 ? f.severity : "UNKNOWN"];
  std::string distro =
      cat.distro ? (cat.distro->pretty_name.empty() ? cat.distro->id + " " + cat.distro->version_id
                                                    : cat.distro->pretty_name)
                 : "unknown distribution";
  std::string totals;
  for (const char* s : k_severities)
    totals += fmt::format("{}{}: {}", totals.empty() ? "" : ", ", s, count[s]);
  fmt::print("{}: {} packages, {} vulnerabilities ({})\n", distro, cat.packages.size(),
             findings.size(), totals);
  for (const char* sev : k_severities) {
    if (count[sev] == 0) continue;
    fmt::print("\n{} ({})\n", sev, count[sev]);
    std::vector<std::vector<std::string>> rows{
        {"ID", "PACKAGE", "INSTALLED", "FIXED IN", "LAYER", "ADDED BY", "TITLE"}};
    for (const auto& f : findings) {
      std::string s = scan::severity_rank(f.severity) > 0 ? f.severity : "UNKNOWN";
      if (s != sev) continue;
      const auto& p = cat.packages[f.package];
      std::string pkg = p.name == f.name ? p.name : fmt::format("{} ({})", p.name, f.name);
      rows.push_back({f.id, pkg, f.installed, f.fixed.empty() ? "(no fix)" : f.fixed,
                      fmt::format("{} {}", p.layer, p.layer_digest.short_hex()), added_by(p),
                      short_text(f.summary, 50)});
    }
    print_table(rows);
  }
}

struct Scanners {
  bool vuln = false, secret = false, config = false;
};

Result<Scanners> parse_scanners(const std::string& text) {
  Scanners out;
  std::istringstream in(text);
  for (std::string w; std::getline(in, w, ',');) {
    if (w == "vuln")
      out.vuln = true;
    else if (w == "secret")
      out.secret = true;
    else if (w == "config" || w == "misconfig")
      out.config = true;
    else if (!w.empty())
      return failf(Errc::invalid_argument,
                   "scan: unknown scanner \"{}\" (want vuln, secret, config)", w);
  }
  if (!out.vuln && !out.secret && !out.config)
    return fail(Errc::invalid_argument, "scan: --scanners is empty");
  return out;
}

Result<std::optional<scan::SecretScanner>> secret_scanner(const ScanArgs& a, bool on) {
  if (!on) return std::optional<scan::SecretScanner>();
  auto rules = scan::builtin_secret_rules();
  if (!a.secret_config.empty()) {
    auto text = KILN_TRY(os::read_file(a.secret_config));
    rules = KILN_TRY_CTX(scan::apply_secret_config(text, std::move(rules)),
                         fmt::format("--secret-config {}", a.secret_config));
  }
  return std::optional<scan::SecretScanner>(std::in_place, std::move(rules));
}

bool wanted(const std::vector<std::string>& severities, const std::string& severity) {
  std::string sev = scan::severity_rank(severity) > 0 ? severity : "UNKNOWN";
  return severities.empty() ||
         std::find(severities.begin(), severities.end(), sev) != severities.end();
}

void print_results(const ScanArgs& a, const Scanners& which, const CatalogedImage& ci,
                   const scan::ScanResults& found, const scan::DocumentInfo& doc,
                   const scan::DbStatus* dbs, const std::vector<std::string>& warnings) {
  const auto& cat = ci.catalog;
  if (a.format == "json") {
    fmt::print("{}", scan::scan_json(ci.subject, cat, found, dbs, warnings));
  } else if (a.format == "cyclonedx") {
    // CycloneDX has no place for secrets or misconfigurations: they are in the other formats.
    size_t other = found.secrets.size() + found.misconfigurations.size();
    if (other > 0)
      fmt::print(stderr,
                 "note: {} secret(s) or misconfiguration(s) found; CycloneDX cannot carry them "
                 "(use --format json, sarif or table)\n",
                 other);
    fmt::print("{}", scan::cyclonedx_json(ci.subject, cat, doc, &found.vulnerabilities));
  } else if (a.format == "sarif") {
    fmt::print("{}", scan::scan_sarif(ci.subject, cat, found, KILN_VERSION));
  } else {
    if (which.vuln) print_report(cat, found.vulnerabilities);
    if (which.secret) print_secrets(cat, found.secrets);
    if (which.config) print_misconfigurations(found.misconfigurations);
  }
}

Status run(Context& ctx, const ScanArgs& a) {
  if (a.format != "table" && a.format != "json" && a.format != "sarif" && a.format != "cyclonedx")
    return failf(Errc::invalid_argument,
                 "scan: unknown --format \"{}\" (want table, json, sarif or cyclonedx)", a.format);
  auto doc = KILN_TRY(document_info());
  auto which = KILN_TRY(parse_scanners(a.scanners));
  auto severities = KILN_TRY(parse_severities(a.severity));
  std::vector<std::string> warnings;
  std::vector<Ignore> ignores;
  if (!a.ignore_file.empty()) ignores = KILN_TRY(read_ignore_file(a.ignore_file, warnings));
  std::unique_ptr<scan::VulnDb> db;
  std::optional<scan::DbStatus> dbs;
  if (which.vuln) {
    db = KILN_TRY(scan::VulnDb::open(vulndb_location(ctx, a.db)));
    dbs = KILN_TRY(db->status());
  }
  auto secrets = KILN_TRY(secret_scanner(a, which.secret));

  CatalogedImage ci;
  if (which.vuln || which.secret) {
    ci = KILN_TRY(
        catalog_image(ctx, a.image, a.platform, a.reg, "scan", secrets ? &*secrets : nullptr));
  } else {  // the config alone: no layer is read
    auto opened = KILN_TRY(open_image(ctx, a.image, a.platform, a.reg, "scan"));
    ci.subject = {a.image, opened.image.manifest.digest.str(),
                  opened.image.parsed.config.digest.str()};
    ci.image = std::move(opened.image);
    ci.history_locations = std::move(opened.history_locations);
  }
  const auto& cat = ci.catalog;
  warnings.insert(warnings.begin(), cat.warnings.begin(), cat.warnings.end());
  scan::ScanResults found;
  if (db) {
    auto m = KILN_TRY_CTX(scan::match(*db, cat), fmt::format("scan {}", a.image));
    warnings.insert(warnings.end(), m.warnings.begin(), m.warnings.end());
    for (auto& f : m.findings) {
      if (!wanted(severities, f.severity)) continue;
      if (a.ignore_unfixed && f.fixed.empty()) continue;
      if (ignored(f, cat.packages[f.package], ignores)) continue;
      found.vulnerabilities.push_back(std::move(f));
    }
  }
  if (secrets)
    for (const auto& f : secrets->findings())
      if (wanted(severities, f.severity) && !ignored(f, ignores)) found.secrets.push_back(f);
  if (which.config)
    for (auto& m : KILN_TRY_CTX(image_misconfigurations(ci.image, ci.history_locations),
                                fmt::format("scan {}", a.image)))
      if (wanted(severities, m.severity) && !ignored(m, ignores))
        found.misconfigurations.push_back(std::move(m));
  for (const auto& w : warnings) fmt::print(stderr, "warning: {}\n", w);
  print_results(a, which, ci, found, doc, dbs ? &*dbs : nullptr, warnings);
  bool any =
      !found.vulnerabilities.empty() || !found.secrets.empty() || !found.misconfigurations.empty();
  if (any && a.exit_code != 0) ctx.exit_code = a.exit_code;
  return {};
}

}  // namespace

void add_scan(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ScanArgs>();
  auto* c = app.add_subcommand(
      "scan",
      "Find known vulnerabilities in an image's packages and secrets in its files, offline "
      "(load advisories with `kiln db import`)");
  c->add_option("image", a->image,
                "The image: a store name or ID, docker://REF, oci:DIR[:REF], "
                "oci-archive:FILE[:REF] or docker-archive:FILE[:REF]")
      ->required();
  c->add_option("--format", a->format,
                "table (default), json, sarif (SARIF 2.1.0 for code scanning) or cyclonedx "
                "(CycloneDX 1.5 with vulnerabilities); docs/scan.md");
  c->add_option("--severity", a->severity,
                "Report only these severities (comma-separated: CRITICAL,HIGH,MEDIUM,LOW,UNKNOWN)");
  c->add_flag("--ignore-unfixed", a->ignore_unfixed, "Leave out vulnerabilities with no fix yet");
  c->add_option("--exit-code", a->exit_code,
                "Exit with this code when anything is reported (default 0)");
  c->add_option("--ignore-file", a->ignore_file,
                "IDs to leave out, one per line: ID [pkg:NAME] [path:PATH] [exp:YYYY-MM-DD]");
  c->add_option("--scanners", a->scanners,
                "What to look for, comma-separated: vuln, secret, config (the image's history "
                "and config against the lint rules that apply to a built image; docs/scan.md) "
                "(default vuln,secret)");
  c->add_option("--secret-config", a->secret_config,
                "A JSON file that disables built-in secret rules or adds rules (docs/scan.md)");
  c->add_option("--db", a->db,
                "The advisory database (default: $KILN_VULN_DB or <root>/vulndb/advisories.db)");
  c->add_option("--platform", a->platform, "Which image of an index (default: this host)");
  add_registry_flags(c, a->reg);
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
