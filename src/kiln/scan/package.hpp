// What `kiln sbom` (and later `kiln scan`) knows of an image: its distribution and the
// packages installed in it, each with the layer that put it there.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/digest/digest.hpp"

namespace kiln::scan {

// From etc/os-release (or usr/lib/os-release).
struct Distro {
  std::string id;          // "debian", "ubuntu", "alpine", ...
  std::string version_id;  // "12", "22.04", "3.19.1"
  std::string pretty_name;
  std::string version;  // VERSION: "24.03 (LTS)" (openEuler names its ecosystem after it)
};

struct Package {
  // The purl type: "deb", "apk", "rpm", "pypi", "npm", "golang", "maven", "gem", "cargo".
  std::string type;
  std::string name, version, arch;
  // The source package (deb "Source:", apk origin): advisories name these.
  std::string source_name, source_version;
  std::string license;  // as the database states it, "" when it does not
  // Where a language package was fetched from, when its metadata says so (a Rust crate's
  // source: "crates.io", "registry", "git", "local"); a "git" or "local" one is not the
  // registry's package of that name, so it is not matched against the registry's advisories.
  std::string origin;
  std::string db;  // the database file it is listed in (a language package's own file)
  // The layer that added it (or last changed its version): index in the manifest, digest,
  // and the history line that made that layer ("" when the config has no history for it).
  int layer = -1;
  Digest layer_digest;
  std::string created_by;
  // The Dockerfile instruction that made that layer ("Dockerfile:12"; for a base image's
  // layers, its FROM line), when kiln built the image; "" otherwise.
  std::string location;

  std::string purl(const std::optional<Distro>& distro) const;
};

// A layer of the image, for reports: its digest, the history line that made it and, for
// images kiln built, the Dockerfile location of that instruction.
struct LayerInfo {
  Digest digest;
  std::string created_by, location;
};

struct Catalog {
  std::optional<Distro> distro;
  std::vector<LayerInfo> layers;      // in manifest order
  std::vector<Package> packages;      // sorted by type, name, arch
  std::vector<std::string> warnings;  // unreadable databases, skipped layers: "WHERE: WHY"
};

}  // namespace kiln::scan
