// `kiln sbom --format cyclonedx-json` and `kiln scan --format cyclonedx`: a CycloneDX 1.5
// document. metadata.component is the image (type container); components are the operating
// system and every cataloged package (type library), each with its purl, licence and, as
// kiln:* properties, the layer that added it. A scan adds vulnerabilities, one per ID, each
// listing the components it affects.
#include <map>
#include <set>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/strings.hpp"
#include "kiln/scan/license.hpp"
#include "kiln/scan/sbom_formats.hpp"

namespace kiln::scan {

namespace {

using ojson = nlohmann::ordered_json;

ojson prop(std::string_view name, std::string_view value) {
  return {{"name", name}, {"value", value}};
}

// A single listed id is a license id; a compound expression is an expression; any other
// text is a licence name.
ojson licenses(const std::string& text) {
  if (text.empty()) return nullptr;
  auto e = spdx_expression(text);
  if (!e) return ojson::array({{{"license", {{"name", text}}}}});
  if (!spdx_license_id(*e).empty()) return ojson::array({{{"license", {{"id", *e}}}}});
  return ojson::array({{{"expression", *e}}});
}

// Who published an advisory, by its ID's prefix (OSV's ID prefixes name their databases).
std::string source_of(std::string_view id) {
  static const std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {"CVE-", "NVD"},       {"GHSA-", "GitHub"},   {"PYSEC-", "PyPA"},    {"DSA-", "Debian"},
      {"DLA-", "Debian"},    {"DTSA-", "Debian"},   {"DEBIAN-", "Debian"}, {"USN-", "Ubuntu"},
      {"UBUNTU-", "Ubuntu"}, {"ALPINE-", "Alpine"}, {"GO-", "Go"},         {"RUSTSEC-", "RustSec"},
      {"MAL-", "OpenSSF"}};
  for (const auto& [prefix, name] : kPrefixes)
    if (id.starts_with(prefix)) return std::string(name);
  return "OSV";
}

std::string rating_method(std::string_view vector) {
  if (vector.starts_with("CVSS:3.1/")) return "CVSSv31";
  if (vector.starts_with("CVSS:3.0/")) return "CVSSv3";
  if (vector.starts_with("CVSS:4.0/")) return "CVSSv4";
  if (vector.starts_with("AV:")) return "CVSSv2";
  return "other";
}

ojson vulnerabilities(const Catalog& cat, const std::vector<Finding>& findings,
                      const std::vector<std::string>& refs) {
  // One vulnerability per ID, in the order the findings come (worst first).
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Finding*>> by_id;
  for (const auto& f : findings) {
    auto& v = by_id[f.id];
    if (v.empty()) order.push_back(f.id);
    v.push_back(&f);
  }
  ojson out = ojson::array();
  for (const auto& id : order) {
    const auto& fs = by_id[id];
    const Finding& first = *fs.front();
    ojson v{{"bom-ref", fmt::format("vuln-{}", out.size() + 1)}, {"id", id}};
    v["source"] = {{"name", source_of(id)}};
    if (!first.url.empty()) v["source"]["url"] = first.url;
    std::set<std::string> others;
    for (const auto* f : fs)
      for (const auto& x : f->ids)
        if (x != id) others.insert(x);
    if (!others.empty()) {
      ojson r = ojson::array();
      for (const auto& x : others) r.push_back({{"id", x}, {"source", {{"name", source_of(x)}}}});
      v["references"] = std::move(r);
    }
    ojson rating{{"severity", severity_rank(first.severity) > 0 ? to_lower(first.severity)
                                                                : std::string("unknown")}};
    if (first.score_tenths >= 0) {
      rating["score"] = first.score_tenths / 10.0;
      rating["method"] = rating_method(first.cvss_vector);
      if (!first.cvss_vector.empty()) rating["vector"] = first.cvss_vector;
    }
    v["ratings"] = ojson::array({std::move(rating)});
    if (!first.summary.empty()) v["description"] = first.summary;
    std::vector<std::string> fixes;
    ojson affects = ojson::array();
    for (const auto* f : fs) {
      const Package& p = cat.packages[f->package];
      if (!f->fixed.empty()) fixes.push_back(fmt::format("{} to {}", p.name, f->fixed));
      affects.push_back(
          {{"ref", refs[f->package]},
           {"versions", ojson::array({{{"version", p.version}, {"status", "affected"}}})}});
    }
    if (!fixes.empty()) v["recommendation"] = "Upgrade " + join(fixes, ", ");
    v["affects"] = std::move(affects);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace

std::string cyclonedx_json(const SbomSubject& image, const Catalog& cat, const DocumentInfo& doc,
                           const std::vector<Finding>* findings) {
  ojson j;
  j["$schema"] = "http://cyclonedx.org/schema/bom-1.5.schema.json";
  j["bomFormat"] = "CycloneDX";
  j["specVersion"] = "1.5";
  j["serialNumber"] = "urn:uuid:" + doc.uuid;
  j["version"] = 1;

  ojson subject{{"bom-ref", "image"}, {"type", "container"}, {"name", image.name}};
  if (!image.manifest_digest.empty()) subject["version"] = image.manifest_digest;
  if (auto p = image_purl(image); !p.empty()) subject["purl"] = p;
  if (auto colon = image.manifest_digest.find(':'); colon != std::string::npos)
    subject["hashes"] =
        ojson::array({{{"alg", "SHA-256"}, {"content", image.manifest_digest.substr(colon + 1)}}});
  if (!image.config_digest.empty())
    subject["properties"] = ojson::array({prop("kiln:image:configDigest", image.config_digest)});
  j["metadata"] = {
      {"timestamp", rfc3339(doc.created)},
      {"tools",
       {{"components",
         ojson::array(
             {{{"type", "application"}, {"name", "kiln"}, {"version", doc.tool_version}}})}}},
      {"component", std::move(subject)}};

  ojson components = ojson::array();
  std::vector<std::string> refs;
  ojson depends = ojson::array();
  if (cat.distro) {
    ojson os{{"bom-ref", "os"},
             {"type", "operating-system"},
             {"name", cat.distro->id},
             {"version", cat.distro->version_id}};
    if (!cat.distro->pretty_name.empty()) os["description"] = cat.distro->pretty_name;
    components.push_back(std::move(os));
    depends.push_back("os");
  }
  std::set<std::string> used;
  for (const auto& p : cat.packages) {
    std::string purl = p.purl(cat.distro);
    std::string ref = purl;
    for (int n = 2; !used.insert(ref).second; ++n) ref = fmt::format("{}#{}", purl, n);
    refs.push_back(ref);
    depends.push_back(ref);
    ojson c{{"bom-ref", ref}, {"type", "library"}, {"name", p.name}, {"version", p.version}};
    if (auto l = licenses(p.license); !l.is_null()) c["licenses"] = std::move(l);
    c["purl"] = purl;
    ojson props = ojson::array();
    props.push_back(prop("kiln:package:type", p.type));
    if (!p.source_name.empty() && (p.source_name != p.name || p.source_version != p.version)) {
      props.push_back(prop("kiln:package:sourceName", p.source_name));
      props.push_back(prop("kiln:package:sourceVersion", p.source_version));
    }
    props.push_back(prop("kiln:package:database", p.db));
    props.push_back(prop("kiln:layer:index", std::to_string(p.layer)));
    if (!p.layer_digest.empty()) props.push_back(prop("kiln:layer:digest", p.layer_digest.str()));
    if (!p.created_by.empty()) props.push_back(prop("kiln:layer:createdBy", p.created_by));
    if (!p.location.empty()) props.push_back(prop("kiln:layer:location", p.location));
    c["properties"] = std::move(props);
    components.push_back(std::move(c));
  }
  j["components"] = std::move(components);
  j["dependencies"] = ojson::array({{{"ref", "image"}, {"dependsOn", std::move(depends)}}});
  if (findings) j["vulnerabilities"] = vulnerabilities(cat, *findings, refs);
  return j.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace kiln::scan
