// CVSS v4.0 scores (FIRST's specification, section 8: the MacroVector lookup and the
// interpolation by severity distance within it). The MacroVector scores and the highest
// vectors of each equivalence class are data of the specification (its reference
// calculator's tables); the code is ours.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <vector>

#include "kiln/base/strings.hpp"
#include "kiln/scan/cvss.hpp"

namespace kiln::scan {

namespace {

using Metrics = std::map<std::string, std::string, std::less<>>;

// Allowed values, by metric (base, threat, environmental, supplemental).
const std::map<std::string_view, std::string_view>& allowed() {
  static const std::map<std::string_view, std::string_view> m = {
      {"AV", "NALP"},   {"AC", "LH"},    {"AT", "NP"},    {"PR", "NLH"},   {"UI", "NPA"},
      {"VC", "HLN"},    {"VI", "HLN"},   {"VA", "HLN"},   {"SC", "HLN"},   {"SI", "HLN"},
      {"SA", "HLN"},    {"E", "XAPU"},   {"CR", "XHML"},  {"IR", "XHML"},  {"AR", "XHML"},
      {"MAV", "XNALP"}, {"MAC", "XLH"},  {"MAT", "XNP"},  {"MPR", "XNLH"}, {"MUI", "XNPA"},
      {"MVC", "XHLN"},  {"MVI", "XHLN"}, {"MVA", "XHLN"}, {"MSC", "XHLN"}, {"MSI", "XSHLN"},
      {"MSA", "XSHLN"}, {"S", "XNP"},    {"AU", "XNY"},   {"R", "XAUI"},   {"V", "XDC"},
      {"RE", "XLMH"}};
  return m;
}

constexpr std::array<std::string_view, 11> k_base = {"AV", "AC", "AT", "PR", "UI", "VC",
                                                     "VI", "VA", "SC", "SI", "SA"};

// The value that counts for a metric: the modified one when given, the worst case for an
// unset threat or requirement metric.
char value(const Metrics& m, std::string_view metric) {
  auto get = [&](std::string_view k) -> char {
    auto it = m.find(k);
    return it == m.end() ? 'X' : it->second[0];
  };
  if (metric == "E") return get("E") == 'X' ? 'A' : get("E");
  if (metric == "CR" || metric == "IR" || metric == "AR")
    return get(metric) == 'X' ? 'H' : get(metric);
  char mod = get("M" + std::string(metric));
  return mod != 'X' ? mod : get(metric);
}

// The MacroVector scores, in the order eq1 (0-2), eq2 (0-1), eq3 (0-2), eq4 (0-2), eq5 (0-2),
// eq6 (0-1), where eq3 = 2 has only eq6 = 1: 45 per (eq1, eq2).
constexpr std::array<double, 270> k_lookup = {
    // eq1 0, eq2 0
    10, 9.9, 9.8, 9.5, 9.5, 9.2, 10, 9.6, 9.3, 8.7, 9.1, 8.1, 9.3, 9, 8.9, 8, 8.1, 6.8,  //
    9.8, 9.5, 9.5, 9.2, 9, 8.4, 9.3, 9.2, 8.9, 8.1, 8.1, 6.5, 8.8, 8, 7.8, 7, 6.9, 4.8,  //
    9.2, 8.2, 7.2, 7.9, 6.9, 5, 6.9, 5.5, 2.7,                                           //
    // eq1 0, eq2 1
    9.9, 9.7, 9.5, 9.2, 9.2, 8.5, 9.5, 9.1, 9, 8.3, 8.4, 7.1, 9.2, 8.1, 8.2, 7.1, 7.2, 5.3,  //
    9.5, 9.3, 9.2, 8.5, 8.5, 7.3, 9.2, 8.2, 8, 7.2, 7, 5.9, 8.4, 7, 7.1, 5.2, 5, 3,          //
    8.6, 7.5, 5.2, 7.1, 5.2, 2.9, 6.3, 2.9, 1.7,                                             //
    // eq1 1, eq2 0
    9.8, 9.5, 9.4, 8.7, 9.1, 8.1, 9.4, 8.9, 8.6, 7.4, 7.7, 6.4, 8.7, 7.5, 7.4, 6.3, 6.3, 4.9,  //
    9.4, 8.9, 8.8, 7.7, 7.6, 6.7, 8.6, 7.6, 7.4, 5.8, 5.9, 5, 7.2, 5.7, 5.7, 5.2, 5.2, 2.5,    //
    8.3, 7, 5.4, 6.5, 5.8, 2.6, 5.3, 2.1, 1.3,                                                 //
    // eq1 1, eq2 1
    9.5, 9, 8.8, 7.6, 7.6, 7, 9, 7.7, 7.5, 6.2, 6.1, 5.3, 7.7, 6.6, 6.8, 5.9, 5.2, 3,          //
    8.9, 7.8, 7.6, 6.7, 6.2, 5.8, 7.4, 5.9, 5.7, 5.7, 4.7, 2.3, 6.1, 5.2, 5.7, 2.9, 2.4, 1.6,  //
    7.1, 5.9, 3, 5.8, 2.6, 1.5, 2.3, 1.3, 0.6,                                                 //
    // eq1 2, eq2 0
    9.3, 8.7, 8.6, 7.2, 7.5, 5.8, 8.6, 7.4, 7.4, 6.1, 5.6, 3.4, 7, 5.4, 5.2, 4, 4, 2.2,        //
    8.5, 7.5, 7.4, 5.5, 6.2, 5.1, 7.2, 5.7, 5.5, 4.1, 4.6, 1.9, 5.3, 3.6, 3.4, 1.9, 1.9, 0.8,  //
    6.4, 5.1, 2, 4.7, 2.1, 1.1, 2.4, 0.9, 0.4,                                                 //
    // eq1 2, eq2 1
    8.8, 7.5, 7.3, 5.3, 6, 5, 7.3, 5.5, 5.9, 4, 4.1, 2, 5.4, 4.3, 4.5, 2.2, 2, 1.1,        //
    7.5, 5.5, 5.8, 4.5, 4, 2.1, 6.1, 5.1, 4.8, 1.8, 2, 0.9, 4.6, 1.8, 1.7, 0.7, 0.8, 0.2,  //
    5.3, 2.4, 1.4, 2.4, 1.2, 0.5, 1, 0.3, 0.1};

using Macro = std::array<int, 6>;

// The score of a MacroVector; NaN when there is none (a lower one that does not exist).
double lookup(const Macro& e) {
  if (e[0] < 0 || e[0] > 2 || e[1] < 0 || e[1] > 1 || e[2] < 0 || e[2] > 2 || e[3] < 0 ||
      e[3] > 2 || e[4] < 0 || e[4] > 2 || e[5] < 0 || e[5] > 1)
    return NAN;
  size_t at = static_cast<size_t>(e[0] * 90 + e[1] * 45);
  if (e[2] < 2) {
    at += static_cast<size_t>(e[2] * 18 + e[3] * 6 + e[4] * 2 + e[5]);
  } else {
    if (e[5] != 1) return NAN;
    at += static_cast<size_t>(36 + e[3] * 3 + e[4]);
  }
  return k_lookup[at];
}

Macro macro_vector(const Metrics& m) {
  auto v = [&](std::string_view k) { return value(m, k); };
  Macro e{};
  if (v("AV") == 'N' && v("PR") == 'N' && v("UI") == 'N')
    e[0] = 0;
  else if ((v("AV") == 'N' || v("PR") == 'N' || v("UI") == 'N') && v("AV") != 'P')
    e[0] = 1;
  else
    e[0] = 2;
  e[1] = v("AC") == 'L' && v("AT") == 'N' ? 0 : 1;
  if (v("VC") == 'H' && v("VI") == 'H')
    e[2] = 0;
  else if (v("VC") == 'H' || v("VI") == 'H' || v("VA") == 'H')
    e[2] = 1;
  else
    e[2] = 2;
  // Safety is only in the modified subsequent-system metrics.
  auto ms = [&](std::string_view k) {
    auto it = m.find(k);
    return it != m.end() && it->second == "S";
  };
  if (ms("MSI") || ms("MSA"))
    e[3] = 0;
  else if (v("SC") == 'H' || v("SI") == 'H' || v("SA") == 'H')
    e[3] = 1;
  else
    e[3] = 2;
  e[4] = v("E") == 'A' ? 0 : v("E") == 'P' ? 1 : 2;
  e[5] = (v("CR") == 'H' && v("VC") == 'H') || (v("IR") == 'H' && v("VI") == 'H') ||
                 (v("AR") == 'H' && v("VA") == 'H')
             ? 0
             : 1;
  return e;
}

// The severity level of a value within its metric, in tenths (lower is more severe).
double level(std::string_view metric, char v) {
  static const std::map<std::string_view, std::map<char, double>> levels = {
      {"AV", {{'N', 0}, {'A', 0.1}, {'L', 0.2}, {'P', 0.3}}},
      {"PR", {{'N', 0}, {'L', 0.1}, {'H', 0.2}}},
      {"UI", {{'N', 0}, {'P', 0.1}, {'A', 0.2}}},
      {"AC", {{'L', 0}, {'H', 0.1}}},
      {"AT", {{'N', 0}, {'P', 0.1}}},
      {"VC", {{'H', 0}, {'L', 0.1}, {'N', 0.2}}},
      {"VI", {{'H', 0}, {'L', 0.1}, {'N', 0.2}}},
      {"VA", {{'H', 0}, {'L', 0.1}, {'N', 0.2}}},
      {"SC", {{'H', 0.1}, {'L', 0.2}, {'N', 0.3}}},
      {"SI", {{'S', 0}, {'H', 0.1}, {'L', 0.2}, {'N', 0.3}}},
      {"SA", {{'S', 0}, {'H', 0.1}, {'L', 0.2}, {'N', 0.3}}},
      {"CR", {{'H', 0}, {'M', 0.1}, {'L', 0.2}}},
      {"IR", {{'H', 0}, {'M', 0.1}, {'L', 0.2}}},
      {"AR", {{'H', 0}, {'M', 0.1}, {'L', 0.2}}}};
  const auto& l = levels.at(metric);
  auto it = l.find(v);
  return it == l.end() ? 0 : it->second;
}

// The highest-severity vectors of each equivalence class ("AV:N/PR:N/UI:N").
std::vector<std::string_view> maxes(int eq, int value, int eq6 = 0) {
  switch (eq) {
    case 1:
      if (value == 0) return {"AV:N/PR:N/UI:N"};
      if (value == 1) return {"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"};
      return {"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"};
    case 2:
      if (value == 0) return {"AC:L/AT:N"};
      return {"AC:H/AT:N", "AC:L/AT:P"};
    case 3:  // with eq6
      if (value == 0 && eq6 == 0) return {"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"};
      if (value == 0) return {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"};
      if (value == 1 && eq6 == 0)
        return {"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"};
      if (value == 1)
        return {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
                "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
                "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"};
      return {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"};
    default:  // 4
      if (value == 0) return {"SC:H/SI:S/SA:S"};
      if (value == 1) return {"SC:H/SI:H/SA:H"};
      return {"SC:L/SI:L/SA:L"};
  }
}

void add_parts(Metrics& into, std::string_view parts) {
  for (std::string_view part : split(parts, '/')) {
    auto colon = part.find(':');
    into[std::string(part.substr(0, colon))] = std::string(part.substr(colon + 1));
  }
}

// The depth of each equivalence class (its number of severity steps), in tenths.
double depth(int eq, const Macro& e) {
  switch (eq) {
    case 1:
      return std::array{1, 4, 5}[static_cast<size_t>(e[0])] * 0.1;
    case 2:
      return std::array{1, 2}[static_cast<size_t>(e[1])] * 0.1;
    case 3: {
      if (e[2] == 0) return (e[5] == 0 ? 7 : 6) * 0.1;
      if (e[2] == 1) return 8 * 0.1;
      return 10 * 0.1;
    }
    default:
      return std::array{6, 5, 4}[static_cast<size_t>(e[3])] * 0.1;
  }
}

double score_of(const Metrics& m) {
  bool no_impact = true;
  for (auto k : {"VC", "VI", "VA", "SC", "SI", "SA"}) no_impact &= value(m, k) == 'N';
  if (no_impact) return 0;
  Macro e = macro_vector(m);
  double score = lookup(e);

  auto lower = [&](int i, int by = 1) {
    Macro l = e;
    l[static_cast<size_t>(i)] += by;
    return l;
  };
  double next_eq1 = lookup(lower(0)), next_eq2 = lookup(lower(1));
  double next_eq3eq6;
  if (e[2] == 0 && e[5] == 0) {  // two ways down: the higher one
    double left = lookup(lower(5)), right = lookup(lower(2));
    next_eq3eq6 = left > right ? left : right;
  } else if (e[2] == 1 && e[5] == 0) {
    next_eq3eq6 = lookup(lower(5));
  } else if (e[2] < 2 && e[5] == 1) {
    next_eq3eq6 = lookup(lower(2));
  } else {  // 2,1: none below
    next_eq3eq6 = NAN;
  }
  double next_eq4 = lookup(lower(3)), next_eq5 = lookup(lower(4));

  // The first of the class's highest vectors that this one is not more severe than, and the
  // distance to it per metric.
  static constexpr std::array<std::string_view, 14> dist_metrics = {
      "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"};
  // (When none qualifies, the distances to the last one are used, as the reference does.)
  std::map<std::string_view, double> dist;
  auto not_above = [&](std::initializer_list<std::string_view> parts) {
    Metrics max;
    for (auto p : parts) add_parts(max, p);
    bool below = false;
    for (auto k : dist_metrics) {
      dist[k] = level(k, value(m, k)) - level(k, max[std::string(k)][0]);
      below |= dist[k] < 0;
    }
    return !below;
  };
  [&] {
    for (auto m1 : maxes(1, e[0]))
      for (auto m2 : maxes(2, e[1]))
        for (auto m3 : maxes(3, e[2], e[5]))
          for (auto m4 : maxes(4, e[3]))
            if (not_above({m1, m2, m3, m4})) return;
  }();
  double current[4] = {dist["AV"] + dist["PR"] + dist["UI"], dist["AC"] + dist["AT"],
                       dist["VC"] + dist["VI"] + dist["VA"] + dist["CR"] + dist["IR"] + dist["AR"],
                       dist["SC"] + dist["SI"] + dist["SA"]};
  double next[4] = {next_eq1, next_eq2, next_eq3eq6, next_eq4};
  int existing = 0;
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double available = score - next[i];
    if (std::isnan(available)) continue;
    ++existing;
    sum += available * (current[i] / depth(i + 1, e));
  }
  if (!std::isnan(score - next_eq5)) ++existing;  // its proportion is always 0
  if (existing > 0) score -= sum / existing;
  score = std::clamp(score, 0.0, 10.0);
  // Half up at one decimal, lifted by an epsilon so that 5.6499999999999995 is 5.7.
  return std::floor((score + 1e-6) * 10 + 0.5) / 10;
}

}  // namespace

std::optional<CvssScore> cvss4_score(std::string_view vector) {
  if (!vector.starts_with("CVSS:4.0/")) return std::nullopt;
  Metrics m;
  for (std::string_view part : split(vector.substr(9), '/')) {
    auto colon = part.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view key = part.substr(0, colon), val = part.substr(colon + 1);
    if (key == "U") {  // Provider Urgency, the one metric with words for values
      if (val != "X" && val != "Clear" && val != "Green" && val != "Amber" && val != "Red")
        return std::nullopt;
    } else {
      auto spec = allowed().find(key);
      if (spec == allowed().end() || val.size() != 1 ||
          spec->second.find(val[0]) == std::string_view::npos)
        return std::nullopt;
    }
    if (!m.emplace(std::string(key), std::string(val)).second) return std::nullopt;  // twice
  }
  for (auto k : k_base)
    if (!m.contains(k)) return std::nullopt;
  double s = score_of(m);
  return CvssScore{s, cvss_rating(s)};
}

}  // namespace kiln::scan
