// package.json of installed npm packages (databases.hpp).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/scan/databases.hpp"

namespace kiln::scan {

std::vector<Package> parse_npm_package(std::string_view text, const std::string& path,
                                       std::vector<std::string>& warnings) {
  auto j = parse_json_or_discarded<nlohmann::json>(text);
  if (j.is_discarded() || !j.is_object()) {
    warnings.push_back(fmt::format("{}: not a JSON object", path));
    return {};
  }
  Package p;
  p.type = "npm";
  p.db = path;
  p.name = json_string_or(j, "name");
  p.version = json_string_or(j, "version");
  if (p.name.empty() || p.version.empty()) {
    warnings.push_back(fmt::format("{}: no name or version", path));
    return {};
  }
  // "license": "MIT", or the older {"type": "MIT", "url": ...}.
  p.license = json_string_or(j, "license");
  if (p.license.empty())
    if (auto it = j.find("license"); it != j.end()) p.license = json_string_or(*it, "type");
  p.source_name = p.name;
  p.source_version = p.version;
  return {std::move(p)};
}

}  // namespace kiln::scan
