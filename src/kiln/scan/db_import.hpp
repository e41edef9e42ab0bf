// Reads OSV documents from what `kiln db import` is given and adds them to a VulnDbWriter:
// a single .json file, a directory (searched for *.json, at most 32 levels deep), or an
// archive (.zip as osv.dev exports one per ecosystem, .tar and .tar.gz/.xz/.zst...).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kiln/scan/vulndb.hpp"

namespace kiln::scan {

struct ImportStats {
  int64_t advisories = 0;
  // Documents that were skipped, each "WHERE: WHY" (a malformed or oversized document does
  // not stop the import).
  std::vector<std::string> warnings;
};

struct ImportOptions {
  int64_t max_document_bytes = 16 << 20;
  // Called after every 500 documents, for progress.
  std::function<void(int64_t)> on_progress;
};

// `source` is what the advisories are recorded as coming from. Errors: the path cannot be
// read, an archive is damaged, the database cannot be written. A file that is neither JSON
// nor an archive is an error too (nothing in it could be imported).
Result<ImportStats> import_osv(VulnDbWriter& db, const std::string& path, std::string_view source,
                               const ImportOptions& opts = {});

}  // namespace kiln::scan
