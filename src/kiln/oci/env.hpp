// An image config's Env ("KEY=value" strings): read as a map, and set one variable in place
// (a variable already there keeps its position, as BuildKit's ENV and docker's --change do).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kiln/oci/types.hpp"

namespace kiln::oci {

// "KEY" without "=" reads as KEY="". A later entry for a key wins.
std::map<std::string, std::string> env_map(const std::vector<std::string>& env);
void set_env(ContainerConfig& c, const std::string& key, const std::string& value);

}  // namespace kiln::oci
