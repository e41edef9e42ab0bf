#include "kiln/scan/sbom_json.hpp"

#include <nlohmann/json.hpp>

namespace kiln::scan {

std::string sbom_json(const SbomSubject& image, const Catalog& cat) {
  using ojson = nlohmann::ordered_json;
  ojson j;
  j["schema"] = "kiln-sbom/v1";
  j["image"] = {{"name", image.name},
                {"manifestDigest", image.manifest_digest},
                {"configDigest", image.config_digest}};
  if (cat.distro)
    j["distro"] = {{"id", cat.distro->id},
                   {"versionId", cat.distro->version_id},
                   {"prettyName", cat.distro->pretty_name}};
  else
    j["distro"] = nullptr;
  j["packages"] = ojson::array();
  for (const auto& p : cat.packages) {
    ojson o{{"type", p.type},
            {"name", p.name},
            {"version", p.version},
            {"arch", p.arch},
            {"sourceName", p.source_name},
            {"sourceVersion", p.source_version},
            {"license", p.license},
            {"purl", p.purl(cat.distro)},
            {"database", p.db},
            {"layer", {{"index", p.layer}, {"digest", p.layer_digest.str()}}},
            {"createdBy", p.created_by}};
    j["packages"].push_back(std::move(o));
  }
  j["warnings"] = cat.warnings;
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace kiln::scan
