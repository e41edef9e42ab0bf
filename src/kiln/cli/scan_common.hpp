// Shared by `kiln db`, `kiln scan` and `kiln sbom`.
#pragma once

#include <string>
#include <vector>

#include "kiln/cli/context.hpp"
#include "kiln/cli/transfer.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/image/load.hpp"
#include "kiln/scan/catalog.hpp"
#include "kiln/scan/sbom_json.hpp"

namespace kiln::cli {

// The advisory database's place: --db, else $KILN_VULN_DB, else <root>/vulndb/advisories.db.
std::string vulndb_location(const Context& ctx, const std::string& flag);

// An image opened for reading from any place kiln reads (store, docker://, oci:, archives),
// with the Dockerfile location of each history entry when kiln built it and stored it.
struct OpenedImage {
  std::unique_ptr<image::Source> source;
  image::Loaded image;
  std::vector<std::string> history_locations;
};
Result<OpenedImage> open_image(Context& ctx, const std::string& image, const std::string& platform,
                               const RegistryFlags& reg, std::string_view command);

// An image opened and cataloged for `kiln sbom` and `kiln scan`: layers streamed with progress
// on a terminal; for an image kiln built and stored, the Dockerfile line of each layer.
struct CatalogedImage {
  scan::SbomSubject subject;
  scan::Catalog catalog;
  image::Loaded image;
  std::vector<std::string> history_locations;
};
Result<CatalogedImage> catalog_image(Context& ctx, const std::string& image,
                                     const std::string& platform, const RegistryFlags& reg,
                                     std::string_view command,
                                     scan::SecretScanner* secrets = nullptr);

// `s` cut to `n` bytes with an ellipsis, for table cells.
std::string short_text(std::string s, size_t n);

// For SPDX and CycloneDX documents: kiln's version, the time ($SOURCE_DATE_EPOCH when it is
// set, so that a rebuilt document differs only in its UUID) and a random UUID.
Result<scan::DocumentInfo> document_info();

}  // namespace kiln::cli
