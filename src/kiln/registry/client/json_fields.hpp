// Non-throwing reads of members of untrusted JSON (registry answers, token answers,
// credential helpers): a wrong type is an error naming the document and the member, never
// an nlohmann exception. Internal to registry/.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/base/error.hpp"

namespace kiln::registry::client::detail {

// The string member `key` of object `j`; "" when absent or null.
inline Result<std::string> opt_string(const nlohmann::json& j, const char* key,
                                      std::string_view doc) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return failf(Errc::corrupt, "{}: \"{}\" is not a string", doc, key);
  return it->get<std::string>();
}

// The integer member `key` of object `j`; `fallback` when absent or null.
inline Result<int64_t> opt_int(const nlohmann::json& j, const char* key, std::string_view doc,
                               int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() && !it->is_number_unsigned())
    return failf(Errc::corrupt, "{}: \"{}\" is not an integer", doc, key);
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return failf(Errc::corrupt, "{}: \"{}\" is out of range", doc, key);
  return it->get<int64_t>();
}

}  // namespace kiln::registry::client::detail
