#include "kiln/oci/env.hpp"

namespace kiln::oci {

std::map<std::string, std::string> env_map(const std::vector<std::string>& env) {
  std::map<std::string, std::string> out;
  for (const auto& e : env) {
    auto eq = e.find('=');
    out[e.substr(0, eq)] = eq == std::string::npos ? "" : e.substr(eq + 1);
  }
  return out;
}

void set_env(ContainerConfig& c, const std::string& key, const std::string& value) {
  std::string kv = key + "=" + value;
  for (auto& e : c.env)
    if (e.substr(0, e.find('=')) == key) {
      e = kv;
      return;
    }
  c.env.push_back(kv);
}

}  // namespace kiln::oci
