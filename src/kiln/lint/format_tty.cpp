#include <fmt/format.h>

#include "kiln/lint/lint.hpp"

namespace kiln::lint {

std::string format_tty(const Report& r, const dockerfile::Source& src, bool color) {
  auto paint = [&](std::string_view code, std::string_view text) {
    return color ? fmt::format("\033[{}m{}\033[0m", code, text) : std::string(text);
  };
  std::string out;
  int counts[3] = {0, 0, 0};
  for (const auto& f : r.findings) {
    counts[static_cast<int>(f.severity)]++;
    std::string_view sev = severity_name(f.severity);
    std::string_view code = f.severity == Severity::error     ? "1;31"
                            : f.severity == Severity::warning ? "1;33"
                                                              : "1;36";
    out += fmt::format("{}:{}:{}: {}: {} [{}]\n", src.filename, f.line, f.column, paint(code, sev),
                       f.message, f.rule);
    std::string text(src.line(f.line));
    for (auto& ch : text)
      if (ch == '\t') ch = ' ';
    std::string num = std::to_string(f.line), pad(num.size(), ' ');
    out += fmt::format(" {} | {}\n {} | {}{}\n", num, text, pad,
                       std::string(static_cast<size_t>(std::max(f.column, 1) - 1), ' '),
                       paint("1;32", "^"));
    if (!f.fix.empty()) out += fmt::format(" {} = fix: {}\n", pad, f.fix);
    if (!f.replacement.empty()) out += fmt::format(" {} + {}\n", pad, paint("32", f.replacement));
  }
  for (const auto& n : r.notes) out += fmt::format("note: {}\n", n);
  size_t total = r.findings.size();
  out += fmt::format("{}: {} finding{} ({} error{}, {} warning{}, {} info)\n", src.filename, total,
                     total == 1 ? "" : "s", counts[2], counts[2] == 1 ? "" : "s", counts[1],
                     counts[1] == 1 ? "" : "s", counts[0]);
  return out;
}

}  // namespace kiln::lint
