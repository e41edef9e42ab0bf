// package.json of installed npm packages and npm lock files (databases.hpp).
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

namespace {

Package lock_package(const nlohmann::json& entry, std::string name, const std::string& path) {
  Package p;
  p.type = "npm";
  p.db = path;
  // An aliased install ("node_modules/alias" of "name": "real") is the real package.
  p.name = json_string_or(entry, "name", std::move(name));
  p.version = json_string_or(entry, "version");
  p.license = json_string_or(entry, "license");
  p.source_name = p.name;
  p.source_version = p.version;
  return p;
}

// lockfileVersion 1: "dependencies" nested as npm installs them.
void lock_v1(const nlohmann::json& deps, const std::string& prefix, const std::string& path,
             std::vector<std::pair<std::string, Package>>& out, int depth) {
  if (!deps.is_object() || depth > 64) return;
  for (const auto& [name, entry] : deps.items()) {
    if (!entry.is_object()) continue;
    std::string where = prefix + "node_modules/" + name;
    std::string version = json_string_or(entry, "version");
    // "file:..." and "link:..." versions are local directories, not registry packages.
    if (!version.empty() && !version.starts_with("file:") && !version.starts_with("link:")) {
      Package p = lock_package(entry, name, path);
      p.name = name;
      out.emplace_back(where, std::move(p));
    }
    if (auto it = entry.find("dependencies"); it != entry.end())
      lock_v1(*it, where + "/", path, out, depth + 1);
  }
}

}  // namespace

std::vector<std::pair<std::string, Package>> parse_npm_lock(std::string_view text,
                                                            const std::string& path,
                                                            std::vector<std::string>& warnings) {
  std::vector<std::pair<std::string, Package>> out;
  auto j = parse_json_or_discarded<nlohmann::json>(text);
  if (j.is_discarded() || !j.is_object()) {
    warnings.push_back(fmt::format("{}: not a JSON object", path));
    return out;
  }
  // lockfileVersion 2 and 3: "packages", keyed by install path ("" is the project itself).
  if (auto pk = j.find("packages"); pk != j.end() && pk->is_object()) {
    for (const auto& [key, entry] : pk->items()) {
      auto nm = key.rfind("node_modules/");
      if (nm == std::string::npos || !entry.is_object()) continue;  // the root, a workspace
      if (entry.value("link", false)) continue;  // a symlink to a workspace directory
      Package p = lock_package(entry, key.substr(nm + 13), path);
      if (p.version.empty()) continue;
      out.emplace_back(key, std::move(p));
    }
    return out;
  }
  if (auto deps = j.find("dependencies"); deps != j.end()) {
    lock_v1(*deps, "", path, out, 0);
    return out;
  }
  warnings.push_back(fmt::format("{}: neither \"packages\" nor \"dependencies\"", path));
  return out;
}

}  // namespace kiln::scan
