// `kiln sbom --format spdx-json`: an SPDX 2.3 document. The image is the package the document
// DESCRIBES; it CONTAINS the operating system (when os-release names one) and every cataloged
// package. Licences that are SPDX expressions are declared as they are; other licence texts
// become LicenseRef-s listed in hasExtractedLicensingInfos. Layers go in annotations.
#include <cctype>
#include <map>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/strings.hpp"
#include "kiln/scan/license.hpp"
#include "kiln/scan/sbom_formats.hpp"

namespace kiln::scan {

namespace {

using ojson = nlohmann::ordered_json;

// SPDX ids are "SPDXRef-" and [A-Za-z0-9.-]+.
std::string spdx_id(std::string_view prefix, size_t n, std::string_view name) {
  std::string out = fmt::format("SPDXRef-{}-{}-", prefix, n);
  for (char c : name.substr(0, 80))
    out += ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-')
               ? c
               : '-';
  return out;
}

ojson annotation(const DocumentInfo& doc, const std::string& comment) {
  return {{"annotationDate", rfc3339(doc.created)},
          {"annotationType", "OTHER"},
          {"annotator", "Tool: kiln-" + doc.tool_version},
          {"comment", comment}};
}

ojson purl_ref(const std::string& purl) {
  return ojson::array({{{"referenceCategory", "PACKAGE-MANAGER"},
                        {"referenceType", "purl"},
                        {"referenceLocator", purl}}});
}

}  // namespace

std::string spdx_json(const SbomSubject& image, const Catalog& cat, const DocumentInfo& doc) {
  std::string tool = "kiln-" + doc.tool_version;
  ojson j;
  j["spdxVersion"] = "SPDX-2.3";
  j["dataLicense"] = "CC0-1.0";
  j["SPDXID"] = "SPDXRef-DOCUMENT";
  j["name"] = image.name;
  std::string ns_name = image.name;
  for (char& c : ns_name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '-';
  j["documentNamespace"] = fmt::format("https://spdx.org/spdxdocs/kiln/{}-{}", ns_name, doc.uuid);
  j["creationInfo"] = {{"creators", {"Tool: " + tool}}, {"created", rfc3339(doc.created)}};

  ojson packages = ojson::array();
  ojson relationships = ojson::array();
  auto rel = [&](const std::string& a, const char* type, const std::string& b) {
    relationships.push_back(
        {{"spdxElementId", a}, {"relationshipType", type}, {"relatedSpdxElement", b}});
  };

  const std::string image_id = "SPDXRef-Image";
  ojson img{{"SPDXID", image_id},
            {"name", image.name},
            {"versionInfo", image.manifest_digest},
            {"downloadLocation", "NOASSERTION"},
            {"filesAnalyzed", false},
            {"licenseConcluded", "NOASSERTION"},
            {"licenseDeclared", "NOASSERTION"},
            {"copyrightText", "NOASSERTION"},
            {"primaryPackagePurpose", "CONTAINER"}};
  if (auto colon = image.manifest_digest.find(':'); colon != std::string::npos)
    img["checksums"] = ojson::array(
        {{{"algorithm", "SHA256"}, {"checksumValue", image.manifest_digest.substr(colon + 1)}}});
  if (auto p = image_purl(image); !p.empty()) img["externalRefs"] = purl_ref(p);
  if (!image.config_digest.empty())
    img["annotations"] = ojson::array({annotation(doc, "configDigest: " + image.config_digest)});
  packages.push_back(std::move(img));
  rel("SPDXRef-DOCUMENT", "DESCRIBES", image_id);

  if (cat.distro) {
    ojson os{{"SPDXID", "SPDXRef-OperatingSystem"},
             {"name", cat.distro->id},
             {"versionInfo", cat.distro->version_id},
             {"downloadLocation", "NOASSERTION"},
             {"filesAnalyzed", false},
             {"licenseConcluded", "NOASSERTION"},
             {"licenseDeclared", "NOASSERTION"},
             {"copyrightText", "NOASSERTION"},
             {"primaryPackagePurpose", "OPERATING_SYSTEM"}};
    if (!cat.distro->pretty_name.empty()) os["description"] = cat.distro->pretty_name;
    packages.push_back(std::move(os));
    rel(image_id, "CONTAINS", "SPDXRef-OperatingSystem");
  }

  std::map<std::string, std::string> extracted;  // LicenseRef id -> the text it stands for
  for (size_t i = 0; i < cat.packages.size(); ++i) {
    const Package& p = cat.packages[i];
    std::string id = spdx_id("Package", i + 1, p.type + "-" + p.name);
    std::string declared = "NOASSERTION";
    if (!p.license.empty()) {
      if (auto e = spdx_expression(p.license)) {
        declared = *e;
      } else {
        declared = license_ref(p.license);
        extracted.emplace(declared, p.license);
      }
    }
    std::string source = "acquired package info from " + p.db;
    if (!p.source_name.empty() && (p.source_name != p.name || p.source_version != p.version))
      source += fmt::format("; built from source package {} {}", p.source_name,
                            p.source_version.empty() ? p.version : p.source_version);
    ojson annotations = ojson::array();
    annotations.push_back(annotation(doc, fmt::format("layerIndex: {}", p.layer)));
    if (!p.layer_digest.empty())
      annotations.push_back(annotation(doc, "layerDigest: " + p.layer_digest.str()));
    if (!p.created_by.empty()) annotations.push_back(annotation(doc, "createdBy: " + p.created_by));
    if (!p.location.empty()) annotations.push_back(annotation(doc, "location: " + p.location));
    ojson o{{"SPDXID", id},
            {"name", p.name},
            {"versionInfo", p.version},
            {"downloadLocation", "NOASSERTION"},
            {"filesAnalyzed", false},
            {"licenseConcluded", "NOASSERTION"},
            {"licenseDeclared", declared},
            {"copyrightText", "NOASSERTION"},
            {"sourceInfo", source},
            {"externalRefs", purl_ref(p.purl(cat.distro))},
            {"primaryPackagePurpose", "LIBRARY"},
            {"annotations", std::move(annotations)}};
    packages.push_back(std::move(o));
    rel(image_id, "CONTAINS", id);
  }
  j["packages"] = std::move(packages);
  if (!extracted.empty()) {
    ojson infos = ojson::array();
    for (const auto& [ref, text] : extracted)
      infos.push_back({{"licenseId", ref}, {"extractedText", text}, {"name", text}});
    j["hasExtractedLicensingInfos"] = std::move(infos);
  }
  j["relationships"] = std::move(relationships);
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace kiln::scan
