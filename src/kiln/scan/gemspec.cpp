// Installed gems' specifications (databases.hpp).
#include <fmt/format.h>

#include <cctype>

#include "kiln/base/strings.hpp"
#include "kiln/scan/databases.hpp"

namespace kiln::scan {

namespace {

// The string literals ("..." or '...') in a line of Ruby, in order.
std::vector<std::string> literals(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size(); ++i) {
    char q = s[i];
    if (q == '#') break;  // a comment
    if (q != '"' && q != '\'') continue;
    std::string lit;
    size_t j = i + 1;
    for (; j < s.size() && s[j] != q; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) ++j;
      lit += s[j];
    }
    if (j >= s.size()) break;  // unterminated
    out.push_back(std::move(lit));
    i = j;
  }
  return out;
}

// "s.name = ..." -> {"name", "..."}; {"", ""} for any other line.
std::pair<std::string_view, std::string_view> attribute(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_'))
    ++i;
  if (i == 0 || i >= line.size() || line[i] != '.') return {};
  size_t start = ++i;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_'))
    ++i;
  std::string_view name = line.substr(start, i - start);
  std::string_view rest = trim(line.substr(i));
  if (!rest.starts_with('=') || rest.starts_with("==")) return {};
  return {name, trim(rest.substr(1))};
}

}  // namespace

std::vector<Package> parse_gemspec(std::string_view text, const std::string& path,
                                   std::vector<std::string>& warnings) {
  Package p;
  p.type = "gem";
  p.db = path;
  for (const auto& raw : split(text, '\n')) {
    auto [attr, value] = attribute(trim(raw));
    if (attr.empty()) continue;
    auto lits = literals(value);
    if (lits.empty()) continue;
    if (attr == "name" && p.name.empty()) {
      p.name = lits.front();
    } else if (attr == "version" && p.version.empty()) {
      p.version = lits.front();
    } else if ((attr == "licenses" || attr == "license") && p.license.empty()) {
      // Several licences: the gem may be used under any of them.
      for (size_t i = 0; i < lits.size(); ++i) p.license += (i ? " OR " : "") + lits[i];
    }
  }
  if (p.name.empty() || p.version.empty()) {
    warnings.push_back(fmt::format("{}: no name or version assignment", path));
    return {};
  }
  p.source_name = p.name;
  p.source_version = p.version;
  return {std::move(p)};
}

}  // namespace kiln::scan
