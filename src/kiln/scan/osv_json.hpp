// Reads one OSV JSON document. The one place the scanner parses advisories: the index the
// scans use (scan/vulndb) holds plain columns, so a scan never parses JSON.
#pragma once

#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/scan/osv.hpp"

namespace kiln::scan {

// Errc::corrupt naming what is wrong (not JSON, no id, an affected entry without a package,
// an event with no version) for a document that is not an OSV advisory. Fields the
// scanner does not use are ignored; unknown range types are kept (they never match).
Result<Advisory> parse_osv(std::string_view text);

}  // namespace kiln::scan
