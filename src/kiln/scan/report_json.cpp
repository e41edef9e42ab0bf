#include "kiln/scan/report_json.hpp"

#include <fmt/ranges.h>

#include <cstdlib>
#include <map>

#include "kiln/scan/subject_json.hpp"

namespace kiln::scan {

namespace {

using ojson = nlohmann::ordered_json;

std::string dump(const ojson& j) {
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

ojson finding_json(const Finding& f, const Catalog& cat) {
  const Package& p = cat.packages[f.package];
  ojson cvss = nullptr;
  if (f.score_tenths >= 0) cvss = {{"score", f.score_tenths / 10.0}, {"vector", f.cvss_vector}};
  return ojson{{"id", f.id},
               {"ids", f.ids},
               {"related", f.related},
               {"severity", f.severity},
               {"cvss", cvss},
               {"summary", f.summary},
               {"url", f.url},
               {"package",
                {{"type", p.type},
                 {"name", p.name},
                 {"version", p.version},
                 {"sourceName", p.source_name},
                 {"sourceVersion", p.source_version},
                 {"purl", p.purl(cat.distro)},
                 {"path", p.db}}},
               {"ecosystem", f.ecosystem},
               {"matchedName", f.name},
               {"installedVersion", f.installed},
               {"fixedVersion", f.fixed.empty() ? ojson(nullptr) : ojson(f.fixed)},
               {"layer",
                {{"index", p.layer},
                 {"digest", p.layer_digest.str()},
                 {"createdBy", p.created_by},
                 {"location", p.location}}}};
}

// The middle of a severity's CVSS band.
std::string band_score(std::string_view severity) {
  switch (severity_rank(severity)) {
    case 4:
      return "9.5";
    case 3:
      return "8.0";
    case 2:
      return "5.5";
    case 1:
      return "2.0";
    default:
      return "0.0";
  }
}

// GitHub sorts and filters by this number: the CVSS score, else the middle of the band.
std::string security_severity(const Finding& f) {
  if (f.score_tenths >= 0) return fmt::format("{:.1f}", f.score_tenths / 10.0);
  return band_score(f.severity);
}

std::string level(const Finding& f) {
  int r = severity_rank(f.severity);
  return r >= 3 ? "error" : r == 2 ? "warning" : "note";
}

// "Dockerfile:12" -> (Dockerfile, 12): a path relative to the repository, as code scanning
// resolves it; else the package's database file in the image, line 1.
std::pair<std::string, int> where(const Package& p) {
  if (auto colon = p.location.rfind(':'); colon != std::string::npos) {
    int line = std::atoi(p.location.c_str() + colon + 1);
    if (line > 0) return {p.location.substr(0, colon), line};
  }
  std::string db = p.db;
  while (db.starts_with("/")) db.erase(0, 1);
  return {db.empty() ? "Dockerfile" : db, 1};
}

ojson secret_json(const SecretFinding& f, const Catalog& cat) {
  ojson layer = nullptr;
  if (f.layer >= 0 && static_cast<size_t>(f.layer) < cat.layers.size()) {
    const auto& l = cat.layers[static_cast<size_t>(f.layer)];
    layer = {{"index", f.layer},
             {"digest", l.digest.str()},
             {"createdBy", l.created_by},
             {"location", l.location}};
  }
  return ojson{{"rule", f.rule}, {"title", f.title},  {"severity", f.severity}, {"path", f.path},
               {"line", f.line}, {"match", f.masked}, {"removed", f.removed},   {"layer", layer}};
}

// SARIF's rules and results, built up one kind of finding at a time.
struct Sarif {
  ojson rules = ojson::array(), results = ojson::array();
  std::map<std::string, size_t> rule_index;
};

ojson region(int line) {
  line = std::max(line, 1);
  return {{"startLine", line}, {"startColumn", 1}, {"endLine", line}, {"endColumn", 1}};
}

void sarif_vulnerabilities(Sarif& out, const SbomSubject& image, const Catalog& cat,
                           const std::vector<Finding>& findings) {
  auto& [rules, results, rule_index] = out;
  for (const auto& f : findings) {
    const Package& p = cat.packages[f.package];
    auto [it, fresh] = rule_index.emplace(f.id, rule_index.size());
    if (fresh) {
      std::string text = f.summary.empty() ? f.id : f.summary;
      ojson rule{
          {"id", f.id},
          {"name", "OsPackageVulnerability"},
          {"shortDescription", {{"text", text}}},
          {"fullDescription", {{"text", fmt::format("{} ({})", text, fmt::join(f.ids, ", "))}}},
          {"defaultConfiguration", {{"level", level(f)}}},
          {"help", {{"text", fmt::format("{}\nSeverity: {}\n{}", text, f.severity, f.url)}}},
          {"properties",
           {{"security-severity", security_severity(f)},
            {"tags", {"vulnerability", "security", f.severity}}}}};
      if (!f.url.empty()) rule["helpUri"] = f.url;
      rules.push_back(std::move(rule));
    }
    auto [uri, line] = where(p);
    std::string msg = fmt::format(
        "{} {} ({}) is affected by {}: {}. Installed: {}; fixed in: {}. Layer {} ({}){}.", p.type,
        p.name, f.name, f.id, f.summary.empty() ? f.severity : f.summary, f.installed,
        f.fixed.empty() ? "no fix yet" : f.fixed, p.layer, p.layer_digest.str(),
        p.created_by.empty() ? "" : ", " + p.created_by);
    results.push_back(
        {{"ruleId", f.id},
         {"ruleIndex", it->second},
         {"level", level(f)},
         {"message", {{"text", msg}}},
         {"locations",
          {{{"physicalLocation", {{"artifactLocation", {{"uri", uri}}}, {"region", region(line)}}},
            {"message", {{"text", fmt::format("{}: {}@{}", image.name, p.name, p.version)}}}}}},
         {"partialFingerprints",
          {{"kilnFinding/v1", fmt::format("{}/{}/{}/{}", image.name, f.id, p.type, p.name)}}}});
  }
}

void sarif_secrets(Sarif& out, const SbomSubject& image, const Catalog& cat,
                   const std::vector<SecretFinding>& secrets) {
  auto& [rules, results, rule_index] = out;
  for (const auto& f : secrets) {
    auto [it, fresh] = rule_index.emplace(f.rule, rule_index.size());
    std::string lv = severity_rank(f.severity) >= 3 ? "error" : "warning";
    if (fresh)
      rules.push_back({{"id", f.rule},
                       {"name", "Secret"},
                       {"shortDescription", {{"text", f.title}}},
                       {"fullDescription", {{"text", f.title + " found in the image"}}},
                       {"defaultConfiguration", {{"level", lv}}},
                       {"help", {{"text", f.title + ": remove it from the image and rotate it"}}},
                       {"properties",
                        {{"security-severity", band_score(f.severity)},
                         {"tags", {"secret", "security", f.severity}}}}});
    // At the Dockerfile line that added the file, else at the file in the image.
    std::string uri = f.path.substr(
        f.path.find_first_not_of('/') == std::string::npos ? 0 : f.path.find_first_not_of('/'));
    int line = f.line;
    if (f.layer >= 0 && static_cast<size_t>(f.layer) < cat.layers.size()) {
      const auto& l = cat.layers[static_cast<size_t>(f.layer)];
      if (auto colon = l.location.rfind(':');
          colon != std::string::npos && std::atoi(l.location.c_str() + colon + 1) > 0) {
        uri = l.location.substr(0, colon);
        line = std::atoi(l.location.c_str() + colon + 1);
      }
    }
    if (f.layer < 0) {  // the config: no file to point into
      uri = "Dockerfile";
      line = 1;
    }
    results.push_back(
        {{"ruleId", f.rule},
         {"ruleIndex", it->second},
         {"level", lv},
         {"message",
          {{"text",
            fmt::format(
                "{} in {} line {} ({}){}", f.title, f.path, f.line, f.masked,
                f.removed ? "; deleted by a later layer but still in the image's bytes" : "")}}},
         {"locations",
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", uri}}}, {"region", region(line)}}}}}},
         {"partialFingerprints",
          {{"kilnFinding/v1", fmt::format("{}/{}/{}/{}", image.name, f.rule, f.path, f.line)}}}});
  }
}

// "Dockerfile:12" -> (Dockerfile, 12); else ("Dockerfile", 1).
std::pair<std::string, int> location_of(const std::string& location) {
  if (auto colon = location.rfind(':'); colon != std::string::npos) {
    int line = std::atoi(location.c_str() + colon + 1);
    if (line > 0) return {location.substr(0, colon), line};
  }
  return {"Dockerfile", 1};
}

void sarif_misconfigurations(Sarif& out, const SbomSubject& image,
                             const std::vector<Misconfiguration>& found) {
  auto& [rules, results, rule_index] = out;
  for (const auto& m : found) {
    auto [it, fresh] = rule_index.emplace(m.rule, rule_index.size());
    std::string lv = severity_rank(m.severity) >= 3   ? "error"
                     : severity_rank(m.severity) == 2 ? "warning"
                                                      : "note";
    if (fresh) {
      ojson rule{{"id", m.rule},
                 {"name", "Misconfiguration"},
                 {"shortDescription", {{"text", m.title}}},
                 {"fullDescription", {{"text", m.title}}},
                 {"defaultConfiguration", {{"level", lv}}},
                 {"help", {{"text", m.title + "\nFix: " + m.fix}}},
                 {"properties",
                  {{"security-severity", band_score(m.severity)},
                   {"tags", {"misconfiguration", m.severity}}}}};
      if (!m.url.empty()) rule["helpUri"] = m.url;
      rules.push_back(std::move(rule));
    }
    auto [uri, line] = location_of(m.location);
    std::string where =
        m.history < 0 ? "the image config" : fmt::format("history entry {}", m.history);
    results.push_back(
        {{"ruleId", m.rule},
         {"ruleIndex", it->second},
         {"level", lv},
         {"message",
          {{"text", fmt::format("{} ({}: {}). Fix: {}", m.message, where, m.instruction, m.fix)}}},
         {"locations",
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", uri}}}, {"region", region(line)}}}}}},
         {"partialFingerprints",
          {{"kilnFinding/v1", fmt::format("{}/{}/{}", image.name, m.rule, m.history)}}}});
  }
}

}  // namespace

std::string scan_sarif(const SbomSubject& image, const Catalog& cat, const ScanResults& found,
                       std::string_view version) {
  Sarif out;
  sarif_vulnerabilities(out, image, cat, found.vulnerabilities);
  sarif_secrets(out, image, cat, found.secrets);
  sarif_misconfigurations(out, image, found.misconfigurations);
  auto& [rules, results, rule_index] = out;
  ojson run{{"tool", {{"driver", {{"name", "kiln"}, {"version", version}, {"rules", rules}}}}},
            {"results", results},
            {"properties",
             {{"imageName", image.name},
              {"manifestDigest", image.manifest_digest},
              {"configDigest", image.config_digest}}}};
  ojson j{{"version", "2.1.0"},
          {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"runs", ojson::array({run})}};
  return dump(j);
}

std::string scan_json(const SbomSubject& image, const Catalog& cat, const ScanResults& found,
                      const DbStatus* db, const std::vector<std::string>& warnings) {
  ojson j = subject_json("kiln-scan/v1", image, cat);
  j["database"] =
      db ? ojson{{"builtAt", db->built_at}, {"advisories", db->advisories}} : ojson(nullptr);
  j["packages"] = cat.packages.size();
  ojson counts = ojson::object();
  for (const char* s : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}) counts[s] = 0;
  j["vulnerabilities"] = ojson::array();
  for (const auto& f : found.vulnerabilities) {
    std::string key = severity_rank(f.severity) > 0 ? f.severity : "UNKNOWN";
    counts[key] = counts[key].get<int>() + 1;
    j["vulnerabilities"].push_back(finding_json(f, cat));
  }
  j["secrets"] = ojson::array();
  for (const auto& f : found.secrets) {
    counts[f.severity] = counts[f.severity].get<int>() + 1;
    j["secrets"].push_back(secret_json(f, cat));
  }
  j["misconfigurations"] = ojson::array();
  for (const auto& m : found.misconfigurations) {
    counts[m.severity] = counts[m.severity].get<int>() + 1;
    j["misconfigurations"].push_back(
        {{"rule", m.rule},
         {"title", m.title},
         {"severity", m.severity},
         {"message", m.message},
         {"fix", m.fix},
         {"url", m.url},
         {"instruction", m.instruction},
         {"history", m.history < 0 ? ojson(nullptr) : ojson(m.history)},
         {"createdBy", m.created_by},
         {"location", m.location},
         {"layer",
          m.layer < 0 ? ojson(nullptr) : ojson{{"index", m.layer}, {"digest", m.layer_digest}}}});
  }
  j["summary"] = counts;
  j["warnings"] = warnings;
  return dump(j);
}

std::string db_status_json(const DbStatus& s) {
  ojson j;
  j["path"] = s.path;
  j["builtAt"] = s.built_at;
  j["advisories"] = s.advisories;
  j["withdrawn"] = s.withdrawn;
  j["packages"] = s.packages;
  j["ecosystems"] = ojson::object();
  for (const auto& [e, n] : s.ecosystems) j["ecosystems"][e] = n;
  j["sources"] = ojson::array();
  for (const auto& src : s.sources)
    j["sources"].push_back({{"location", src.location},
                            {"etag", src.etag},
                            {"lastModified", src.last_modified},
                            {"importedAt", src.imported_at},
                            {"advisories", src.advisories}});
  return dump(j);
}

}  // namespace kiln::scan
