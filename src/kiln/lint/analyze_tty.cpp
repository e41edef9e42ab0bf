#include <fmt/format.h>

#include "kiln/base/strings.hpp"
#include "kiln/lint/analyze.hpp"

namespace kiln::lint {

std::string analysis_tty(const Analysis& a, std::string_view image, bool color) {
  auto bold = [&](std::string_view t) {
    return color ? fmt::format("\033[1m{}\033[0m", t) : std::string(t);
  };
  std::string out = fmt::format(
      "{}  {} layers, {} of content, {} files in the image\n"
      "efficiency {:.2f} %   wasted {} ({:.2f} % of the layers above the first)   waste found: "
      "{}\n\n",
      bold(image), a.layers.size(), human_size(a.image_size), a.final_files, a.efficiency * 100,
      human_size(a.wasted_bytes), a.user_wasted_percent * 100, human_size(a.waste_total));
  out += fmt::format("{:<6}{:>10}{:>8}{:>8}{:>8}  {}\n", "LAYER", "SIZE", "ADDED", "CHANGED",
                     "REMOVED", "CREATED BY");
  for (const auto& l : a.layers) {
    std::string by = l.instruction.empty() ? l.digest.substr(0, 19) : l.instruction;
    if (by.size() > 70) by = by.substr(0, 67) + "...";
    if (!l.location.empty()) by = l.location + "  " + by;
    out += fmt::format("{:<6}{:>10}{:>8}{:>8}{:>8}  {}\n", l.index, human_size(l.size),
                       l.files_added, l.files_modified, l.files_removed, by);
  }
  if (a.waste.empty()) return out + "\nNo waste found.\n";
  out += fmt::format("\nWaste ({} in {} item{}):\n", human_size(a.waste_total), a.waste.size(),
                     a.waste.size() == 1 ? "" : "s");
  for (const auto& w : a.waste) {
    out += fmt::format("{:>10}  {:<11} {}\n", human_size(w.bytes), w.kind, w.message);
    if (!w.paths.empty()) out += fmt::format("{:>23}{}\n", "", join(w.paths, "  "));
    if (!w.fix.empty()) out += fmt::format("{:>23}fix: {}\n", "", w.fix);
  }
  return out;
}

}  // namespace kiln::lint
