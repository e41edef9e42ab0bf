// CVSS base scores computed from the vector (FIRST's CVSS v3.0 and v3.1 specifications,
// section 7): advisories often carry only the vector, and a score copied from elsewhere
// cannot be checked.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::scan {

struct CvssScore {
  double score = 0;    // 0.0 .. 10.0, one decimal
  std::string rating;  // NONE, LOW, MEDIUM, HIGH, CRITICAL
};

// "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" -> 9.8 CRITICAL. nullopt for a vector that
// is not CVSS 3.x or lacks a base metric or has an unknown value (temporal and environmental
// metrics are allowed and do not change the base score).
std::optional<CvssScore> cvss3_base(std::string_view vector);

// The qualitative rating of a score (the same bands in v3 and v4).
std::string cvss_rating(double score);

}  // namespace kiln::scan
