// kiln lint's JSON and SARIF 2.1.0 output.
#include <nlohmann/json.hpp>

#include "kiln/lint/lint.hpp"

namespace kiln::lint {

namespace {

using json = nlohmann::ordered_json;

std::string sarif_level(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "note";
  }
  return "warning";
}

std::string dump(const json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string format_json(const Report& r, const dockerfile::Source& src) {
  json j;
  j["file"] = src.filename;
  j["findings"] = json::array();
  int counts[3] = {0, 0, 0};
  for (const auto& f : r.findings) {
    json o;
    o["rule"] = f.rule;
    o["severity"] = severity_name(f.severity);
    o["message"] = f.message;
    o["line"] = f.line;
    o["column"] = f.column;
    o["source"] = std::string(src.line(f.line));
    o["fix"] = f.fix;
    if (!f.replacement.empty()) o["replacement"] = f.replacement;
    if (const auto* info = find_rule(f.rule); info && !info->url.empty()) o["url"] = info->url;
    j["findings"].push_back(std::move(o));
    counts[static_cast<int>(f.severity)]++;
  }
  j["notes"] = r.notes;
  j["summary"] = {{"error", counts[2]}, {"warning", counts[1]}, {"info", counts[0]}};
  return dump(j);
}

std::string format_sarif(const Report& r, const dockerfile::Source& src, std::string_view version) {
  json rules_json = json::array();
  std::map<std::string, size_t> index;
  for (const auto& info : rules()) {
    index[std::string(info.id)] = rules_json.size();
    json rule = {{"id", info.id},
                 {"name", info.id},
                 {"shortDescription", {{"text", info.description}}},
                 {"defaultConfiguration", {{"level", sarif_level(info.severity)}}},
                 {"properties", {{"category", info.category}}}};
    if (!info.url.empty()) rule["helpUri"] = info.url;
    rules_json.push_back(std::move(rule));
  }
  json results = json::array();
  for (const auto& f : r.findings) {
    json loc = {{"physicalLocation",
                 {{"artifactLocation", {{"uri", src.filename}}},
                  {"region", {{"startLine", f.line}, {"startColumn", f.column}}}}}};
    json res = {
        {"ruleId", f.rule},
        {"ruleIndex", index[f.rule]},
        {"level", sarif_level(f.severity)},
        {"message", {{"text", f.fix.empty() ? f.message : f.message + " (fix: " + f.fix + ")"}}},
        {"locations", json::array({loc})}};
    if (!f.replacement.empty()) {
      int len = static_cast<int>(src.line(f.line).size());
      json change = {
          {"artifactLocation", {{"uri", src.filename}}},
          {"replacements",
           json::array({{{"deletedRegion",
                          {{"startLine", f.line}, {"startColumn", 1}, {"endColumn", len + 1}}},
                         {"insertedContent", {{"text", f.replacement}}}}})}};
      res["fixes"] = json::array(
          {{{"description", {{"text", f.fix}}}, {"artifactChanges", json::array({change})}}});
    }
    results.push_back(std::move(res));
  }
  json run = {{"tool",
               {{"driver",
                 {{"name", "kiln"},
                  {"version", version},
                  {"informationUri", "https://github.com/kiln-build/kiln"},
                  {"rules", std::move(rules_json)}}}}},
              {"artifacts", json::array({{{"location", {{"uri", src.filename}}}}})},
              {"results", std::move(results)}};
  json j = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
            {"version", "2.1.0"},
            {"runs", json::array({std::move(run)})}};
  return dump(j);
}

}  // namespace kiln::lint
