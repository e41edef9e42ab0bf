#include "kiln/archive/path.hpp"

#include "kiln/base/strings.hpp"

namespace kiln::archive {

std::vector<std::string> clean_components(std::string_view name) {
  std::vector<std::string> out;
  for (auto& c : split(name, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string clean_path(std::string_view name) {
  return join(clean_components(name), "/");
}

bool escapes_root(std::string_view name) {
  if (name.starts_with('/')) return true;
  int depth = 0;
  for (auto& c : split(name, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (--depth < 0) return true;
    } else {
      ++depth;
    }
  }
  return false;
}

}  // namespace kiln::archive
