// The CLI's JSON writer for --format json output: one object, members in the order added
// (docker's field order), strings with invalid UTF-8 replaced. The one place, with
// inspect_json.cpp, where cli/ meets nlohmann::json.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kiln::cli {

class JsonObject {
 public:
  JsonObject& add(std::string key, std::string value);
  JsonObject& add(std::string key, const char* value) {
    return add(std::move(key), std::string(value));
  }
  JsonObject& add(std::string key, int64_t value);
  JsonObject& add(std::string key, int value) { return add(std::move(key), int64_t{value}); }
  JsonObject& add(std::string key, bool value);
  JsonObject& add(std::string key, std::vector<std::string> value);
  // Compact with indent < 0, else pretty-printed with that many spaces.
  std::string dump(int indent = -1) const;

 private:
  using Value = std::variant<std::string, int64_t, bool, std::vector<std::string>>;
  std::vector<std::pair<std::string, Value>> m_members;
};

}  // namespace kiln::cli
