// CVSS scores computed from the vector (FIRST's CVSS v3.0 and v3.1 specifications, section 7;
// CVSS v4.0, section 8): advisories often carry only the vector, and a score copied from elsewhere
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

// "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" -> 9.3 CRITICAL
// (cvss4.cpp): the CVSS-B score, or CVSS-BT / CVSS-BTE when the vector has threat or
// environmental metrics. nullopt for a vector that is not CVSS 4.0, lacks a base metric, has an
// unknown metric or value, or gives a metric twice.
std::optional<CvssScore> cvss4_score(std::string_view vector);

// The qualitative rating of a score (the same bands in v3 and v4).
std::string cvss_rating(double score);

}  // namespace kiln::scan
