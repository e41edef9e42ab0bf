#include "kiln/cli/scan_misconfig.hpp"

#include <fmt/format.h>

#include "kiln/cli/context.hpp"
#include "kiln/cli/scan_common.hpp"
#include "kiln/lint/image_check.hpp"

namespace kiln::cli {

namespace {

std::string scan_severity(lint::Severity s) {
  switch (s) {
    case lint::Severity::error:
      return "HIGH";
    case lint::Severity::warning:
      return "MEDIUM";
    case lint::Severity::info:
      return "LOW";
  }
  return "MEDIUM";
}

}  // namespace

Result<std::vector<scan::Misconfiguration>> image_misconfigurations(
    const image::Loaded& img, const std::vector<std::string>& locations) {
  const auto& config = img.config;
  auto found = KILN_TRY(lint::check_image(config));
  // history entry -> the layer it made
  std::vector<int> layer_of(config.history.size(), -1);
  auto made = image::layer_history(img);
  for (size_t l = 0; l < made.size(); ++l)
    if (made[l] < layer_of.size()) layer_of[made[l]] = static_cast<int>(l);
  std::vector<scan::Misconfiguration> out;
  for (auto& f : found) {
    scan::Misconfiguration m;
    m.rule = f.finding.rule;
    const auto* info = lint::find_rule(m.rule);
    m.title = info ? std::string(info->description) : m.rule;
    m.url = info ? std::string(info->url) : "";
    m.severity = scan_severity(f.finding.severity);
    m.message = f.finding.message;
    m.fix = f.finding.fix;
    m.instruction = f.instruction;
    m.history = f.history;
    if (f.history >= 0) {
      auto h = static_cast<size_t>(f.history);
      m.created_by = config.history[h].created_by;
      if (h < locations.size()) m.location = locations[h];
      m.layer = layer_of[h];
      if (m.layer >= 0)
        m.layer_digest = img.parsed.layers[static_cast<size_t>(m.layer)].digest.str();
    }
    out.push_back(std::move(m));
  }
  return out;
}

void print_misconfigurations(const std::vector<scan::Misconfiguration>& found) {
  fmt::print("\nMISCONFIGURATIONS ({})\n", found.size());
  std::vector<std::vector<std::string>> rows{{"SEVERITY", "RULE", "WHERE", "MESSAGE", "FIX"}};
  for (const auto& m : found) {
    std::string where = !m.location.empty() ? m.location
                        : m.history >= 0    ? fmt::format("history {}", m.history)
                                            : "image config";
    if (m.layer >= 0) where += fmt::format(" (layer {})", m.layer);
    rows.push_back({m.severity, m.rule, where, short_text(m.message, 60), short_text(m.fix, 50)});
  }
  print_table(rows);
}

}  // namespace kiln::cli
