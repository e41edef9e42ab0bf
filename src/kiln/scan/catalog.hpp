// Reads an image's layers in order, streaming (nothing is unpacked to disk), and keeps the
// files that say what is installed: os-release, dpkg's status and status.d/, apk's installed,
// the rpm database,
// Python distributions' METADATA / PKG-INFO, installed npm packages' package.json and npm
// lock files, gem specifications, the build info of Go binaries (any executable ELF file) and
// the artifacts in Java archives.
// Whiteouts apply as they do when the image is run, so a database a later layer deletes or
// replaces is read as the final image has it, and a package a later layer removes is absent.
// Each package's layer is the one after which it is listed with its final version without
// a break (an upgrade in a later layer moves it there).
#pragma once

#include <functional>

#include "kiln/image/image.hpp"
#include "kiln/image/load.hpp"
#include "kiln/scan/package.hpp"
#include "kiln/scan/secrets.hpp"

namespace kiln::scan {

struct CatalogOptions {
  // A database file larger than this is skipped with a warning (a status file of a large
  // Debian system is about 3 MB).
  int64_t max_db_bytes = 64 << 20;
  // Where each entry of the config's history came from ("Dockerfile:12"), by history index,
  // for images kiln built (the store keeps it); empty otherwise.
  std::vector<std::string> history_locations;
  // When set, every file of every layer (and the config) is also searched for secrets.
  SecretScanner* secrets = nullptr;
  // Called before each layer is read (index, count), for progress.
  std::function<void(size_t, size_t)> on_layer;
};

// Errors: the layer blobs cannot be read or are not what the manifest says (digest, tar).
// A database that cannot be parsed is a warning in the catalog, not an error.
Result<Catalog> catalog_image(image::Source& src, const image::Loaded& img,
                              const CatalogOptions& opts = {});

}  // namespace kiln::scan
