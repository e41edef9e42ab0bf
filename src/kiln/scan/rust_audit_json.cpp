// The JSON that `cargo auditable` embeds in Rust binaries (rustbinary.hpp).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/scan/rustbinary.hpp"

namespace kiln::scan {

std::vector<Package> parse_rust_audit(std::string_view json, const std::string& path,
                                      std::vector<std::string>& warnings) {
  auto j = parse_json_or_discarded<nlohmann::json>(json);
  auto packages = j.is_object() ? j.find("packages") : j.end();
  if (j.is_discarded() || !j.is_object() || packages == j.end() || !packages->is_array()) {
    warnings.push_back(fmt::format("{}: the cargo auditable data is not its JSON", path));
    return {};
  }
  std::vector<Package> out;
  size_t skipped = 0;
  for (const auto& entry : *packages) {
    Package p;
    p.type = "cargo";
    p.db = path;
    p.name = entry.is_object() ? json_string_or(entry, "name") : "";
    p.version = entry.is_object() ? json_string_or(entry, "version") : "";
    if (p.name.empty() || p.version.empty()) {
      ++skipped;
      continue;
    }
    // Build-time dependencies (proc macros, build scripts' crates) are not in the binary.
    if (json_string_or(entry, "kind", "runtime") == "build") continue;
    p.origin = json_string_or(entry, "source", "crates.io");
    p.source_name = p.name;
    p.source_version = p.version;
    out.push_back(std::move(p));
  }
  if (skipped > 0)
    warnings.push_back(
        fmt::format("{}: {} cargo auditable entries without a name or version", path, skipped));
  return out;
}

}  // namespace kiln::scan
