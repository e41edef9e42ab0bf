#include "kiln/scan/os_release.hpp"

#include <map>
#include <string>

namespace kiln::scan {

namespace {

// A value as os-release(5) writes it: bare, or in single or double quotes, where a backslash
// escapes the next character.
std::string unquote(std::string_view v) {
  if (v.size() < 2 || (v.front() != '"' && v.front() != '\'')) return std::string(v);
  char q = v.front();
  std::string out;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] == q) break;
    if (v[i] == '\\' && q == '"' && i + 1 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

}  // namespace

std::optional<Distro> parse_os_release(std::string_view text) {
  std::map<std::string, std::string, std::less<>> kv;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    size_t eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos) continue;
    kv[std::string(line.substr(0, eq))] = unquote(line.substr(eq + 1));
  }
  auto get = [&](std::string_view k) {
    auto it = kv.find(k);
    return it == kv.end() ? std::string() : it->second;
  };
  if (get("ID").empty()) return std::nullopt;
  return Distro{get("ID"), get("VERSION_ID"), get("PRETTY_NAME"), get("VERSION")};
}

}  // namespace kiln::scan
