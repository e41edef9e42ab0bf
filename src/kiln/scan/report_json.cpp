#include "kiln/scan/report_json.hpp"

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
                 {"purl", p.purl(cat.distro)}}},
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

}  // namespace

std::string scan_json(const SbomSubject& image, const Catalog& cat,
                      const std::vector<Finding>& findings, const DbStatus& db,
                      const std::vector<std::string>& warnings) {
  ojson j = subject_json("kiln-scan/v1", image, cat);
  j["database"] = {{"builtAt", db.built_at}, {"advisories", db.advisories}};
  j["packages"] = cat.packages.size();
  ojson counts = ojson::object();
  for (const char* s : {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}) counts[s] = 0;
  j["vulnerabilities"] = ojson::array();
  for (const auto& f : findings) {
    std::string key = severity_rank(f.severity) > 0 ? f.severity : "UNKNOWN";
    counts[key] = counts[key].get<int>() + 1;
    j["vulnerabilities"].push_back(finding_json(f, cat));
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
