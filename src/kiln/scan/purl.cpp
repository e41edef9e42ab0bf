// Package URLs (github.com/package-url/purl-spec):
// pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12
#include <fmt/format.h>

#include "kiln/base/percent.hpp"
#include "kiln/scan/sbom_json.hpp"

namespace kiln::scan {

namespace {

// The spec percent-encodes all but the unreserved characters in names, versions and
// qualifier values.
std::string encode(std::string_view s) {
  return percent_encode(s);
}

}  // namespace

std::string Package::purl(const std::optional<Distro>& distro) const {
  // Language packages have no distribution: pkg:pypi/NAME@V (the name in PEP 503's form, as
  // the purl spec says), pkg:npm/%40SCOPE/NAME@V.
  if (type == "pypi") {
    std::string n;
    for (char c : name)
      n += (c == '_' || c == '.') ? '-'
                                  : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return fmt::format("pkg:pypi/{}@{}", encode(n), encode(version));
  }
  if (type == "npm") {
    auto slash = name.find('/');
    if (name.starts_with("@") && slash != std::string::npos)
      return fmt::format("pkg:npm/{}/{}@{}", encode(name.substr(0, slash)),
                         encode(name.substr(slash + 1)), encode(version));
    return fmt::format("pkg:npm/{}@{}", encode(name), encode(version));
  }
  // pkg:maven/GROUP/ARTIFACT@V (the name is GROUP:ARTIFACT), pkg:gem/NAME@V, pkg:cargo/NAME@V.
  if (type == "maven") {
    auto colon = name.find(':');
    if (colon == std::string::npos)
      return fmt::format("pkg:maven/{}@{}", encode(name), encode(version));
    return fmt::format("pkg:maven/{}/{}@{}", encode(name.substr(0, colon)),
                       encode(name.substr(colon + 1)), encode(version));
  }
  if (type == "gem" || type == "cargo")
    return fmt::format("pkg:{}/{}@{}", type, encode(name), encode(version));
  // pkg:golang/github.com/gin-gonic/gin@v1.6.0: each part of the module path encoded apart.
  if (type == "golang") {
    std::string path;
    for (size_t start = 0; start <= name.size();) {
      auto slash = name.find('/', start);
      if (slash == std::string::npos) slash = name.size();
      if (!path.empty()) path += '/';
      path += encode(std::string_view(name).substr(start, slash - start));
      start = slash + 1;
    }
    return fmt::format("pkg:golang/{}@{}", path, encode(version));
  }
  // The namespace is the distribution (debian, ubuntu, alpine, ...): the same name and version
  // are different packages in each.
  // Without os-release an rpm's vendor is not known.
  std::string ns = distro          ? distro->id
                   : type == "apk" ? "alpine"
                   : type == "rpm" ? "unknown"
                                   : "debian";
  // An rpm's epoch is a qualifier, not part of the version (the purl spec's rpm type).
  std::string_view v = version, epoch;
  if (auto colon = v.find(':'); type == "rpm" && colon != std::string_view::npos) {
    epoch = v.substr(0, colon);
    v = v.substr(colon + 1);
  }
  std::string out = fmt::format("pkg:{}/{}/{}@{}", type, encode(ns), encode(name), encode(v));
  std::vector<std::string> q;  // sorted by key, as the spec's canonical form has them
  if (!arch.empty()) q.push_back("arch=" + encode(arch));
  if (distro && !distro->version_id.empty())
    q.push_back("distro=" +
                encode(type == "apk" ? distro->version_id : distro->id + "-" + distro->version_id));
  if (!epoch.empty()) q.push_back("epoch=" + encode(epoch));
  for (size_t i = 0; i < q.size(); ++i) out += (i ? "&" : "?") + q[i];
  return out;
}

}  // namespace kiln::scan

namespace kiln::scan {

std::string image_purl(const SbomSubject& image) {
  auto colon = image.manifest_digest.find(':');
  if (colon == std::string::npos) return "";
  std::string_view n = image.name;
  for (std::string_view t : {"docker://", "oci-archive:", "docker-archive:", "oci:"})
    if (n.starts_with(t)) n.remove_prefix(t.size());
  if (auto at = n.find('@'); at != std::string_view::npos) n = n.substr(0, at);
  if (auto slash = n.rfind('/'); slash != std::string_view::npos) n = n.substr(slash + 1);
  if (auto c = n.find(':'); c != std::string_view::npos) n = n.substr(0, c);
  for (std::string_view ext : {".tar.gz", ".tgz", ".tar"})
    if (n.ends_with(ext)) n.remove_suffix(ext.size());
  std::string name;
  for (char c : n) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.empty()) name = "image";
  return fmt::format("pkg:oci/{}@{}", encode(name), encode(image.manifest_digest));
}

}  // namespace kiln::scan
