#include "kiln/registry/server/layout.hpp"

#include <algorithm>

namespace kiln::registry::server::layout {

Result<std::vector<std::string>> list_repositories(const Driver& d) {
  std::vector<std::string> names;
  std::vector<std::string> pending{""};
  while (!pending.empty()) {
    std::string prefix = std::move(pending.back());
    pending.pop_back();
    auto children = d.list(prefix.empty() ? repos() : repo(prefix));
    if (!children) return std::unexpected(children.error());
    bool is_repo = false;
    for (const auto& c : *children) {
      if (is_repo_entry(c))
        is_repo = true;
      else if (!c.starts_with("_"))
        pending.push_back(prefix.empty() ? c : prefix + "/" + c);
    }
    if (is_repo) names.push_back(prefix);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace kiln::registry::server::layout
