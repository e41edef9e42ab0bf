#include "kiln/cli/json_output.hpp"

#include <nlohmann/json.hpp>

namespace kiln::cli {

JsonObject& JsonObject::add(std::string key, std::string value) {
  m_members.emplace_back(std::move(key), std::move(value));
  return *this;
}

JsonObject& JsonObject::add(std::string key, int64_t value) {
  m_members.emplace_back(std::move(key), value);
  return *this;
}

JsonObject& JsonObject::add(std::string key, bool value) {
  m_members.emplace_back(std::move(key), value);
  return *this;
}

JsonObject& JsonObject::add(std::string key, std::vector<std::string> value) {
  m_members.emplace_back(std::move(key), std::move(value));
  return *this;
}

std::string JsonObject::dump(int indent) const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : m_members) std::visit([&](const auto& x) { j[k] = x; }, v);
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace kiln::cli
