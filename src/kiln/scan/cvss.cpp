#include "kiln/scan/cvss.hpp"

#include <cmath>
#include <map>

namespace kiln::scan {

namespace {

// Roundup of CVSS v3.1 appendix A: the smallest one-decimal number >= x, computed on
// integers so that 4.000000001 does not become 4.1.
double roundup31(double x) {
  auto i = static_cast<long long>(std::llround(x * 100000));
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return static_cast<double>(i / 10000 + 1) / 10.0;
}

double roundup30(double x) {
  return std::ceil(x * 10 - 1e-9) / 10.0;
}

std::optional<double> weight(const std::map<std::string, std::string, std::less<>>& m,
                             std::string_view metric, bool changed) {
  auto it = m.find(metric);
  if (it == m.end()) return std::nullopt;
  const std::string& v = it->second;
  if (metric == "AV") {
    if (v == "N") return 0.85;
    if (v == "A") return 0.62;
    if (v == "L") return 0.55;
    if (v == "P") return 0.2;
  } else if (metric == "AC") {
    if (v == "L") return 0.77;
    if (v == "H") return 0.44;
  } else if (metric == "PR") {
    if (v == "N") return 0.85;
    if (v == "L") return changed ? 0.68 : 0.62;
    if (v == "H") return changed ? 0.5 : 0.27;
  } else if (metric == "UI") {
    if (v == "N") return 0.85;
    if (v == "R") return 0.62;
  } else {  // C, I, A
    if (v == "H") return 0.56;
    if (v == "L") return 0.22;
    if (v == "N") return 0.0;
  }
  return std::nullopt;
}

}  // namespace

std::string cvss_rating(double score) {
  if (score <= 0) return "NONE";
  if (score < 4.0) return "LOW";
  if (score < 7.0) return "MEDIUM";
  if (score < 9.0) return "HIGH";
  return "CRITICAL";
}

std::optional<CvssScore> cvss3_base(std::string_view vector) {
  bool v30 = vector.starts_with("CVSS:3.0/");
  if (!v30 && !vector.starts_with("CVSS:3.1/")) return std::nullopt;
  std::map<std::string, std::string, std::less<>> m;
  std::string_view rest = vector.substr(9);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    auto colon = part.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    // A metric given twice makes the vector invalid (the specification's rule).
    if (!m.emplace(std::string(part.substr(0, colon)), std::string(part.substr(colon + 1))).second)
      return std::nullopt;
  }
  auto s = m.find("S");
  if (s == m.end() || (s->second != "U" && s->second != "C")) return std::nullopt;
  bool changed = s->second == "C";
  auto av = weight(m, "AV", changed), ac = weight(m, "AC", changed), pr = weight(m, "PR", changed),
       ui = weight(m, "UI", changed);
  auto c = weight(m, "C", changed), i = weight(m, "I", changed), a = weight(m, "A", changed);
  if (!av || !ac || !pr || !ui || !c || !i || !a) return std::nullopt;
  double iss = 1 - (1 - *c) * (1 - *i) * (1 - *a);
  double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  double exploitability = 8.22 * *av * *ac * *pr * *ui;
  double score = 0;
  if (impact > 0) {
    double raw = changed ? std::min(1.08 * (impact + exploitability), 10.0)
                         : std::min(impact + exploitability, 10.0);
    score = v30 ? roundup30(raw) : roundup31(raw);
  }
  return CvssScore{score, cvss_rating(score)};
}

}  // namespace kiln::scan
