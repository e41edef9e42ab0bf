#include "kiln/scan/sbom_json.hpp"

#include "kiln/scan/subject_json.hpp"

namespace kiln::scan {

nlohmann::ordered_json subject_json(std::string_view schema, const SbomSubject& image,
                                    const Catalog& cat) {
  nlohmann::ordered_json j;
  j["schema"] = schema;
  j["image"] = {{"name", image.name},
                {"manifestDigest", image.manifest_digest},
                {"configDigest", image.config_digest}};
  if (cat.distro)
    j["distro"] = {{"id", cat.distro->id},
                   {"versionId", cat.distro->version_id},
                   {"prettyName", cat.distro->pretty_name}};
  else
    j["distro"] = nullptr;
  return j;
}

std::string sbom_json(const SbomSubject& image, const Catalog& cat) {
  using ojson = nlohmann::ordered_json;
  ojson j = subject_json("kiln-sbom/v1", image, cat);
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
            {"createdBy", p.created_by},
            {"location", p.location}};
    j["packages"].push_back(std::move(o));
  }
  j["warnings"] = cat.warnings;
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace kiln::scan
