// A bound on the nesting depth of JSON documents from outside (image configs, manifests,
// indexes, registry and token answers, credential helpers, archives' manifest.json, request
// bodies of the registry server). A document nested deeper is refused before it is parsed,
// so no recursive walk over it (a copy, a comparison, a dump) can exhaust the stack: a
// config nested 500,000 arrays deep is an error, not a SIGSEGV. No real document comes near
// the limit (an OCI manifest is 4 levels deep).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln {

inline constexpr size_t k_max_json_depth = 200;

// True when no array or object in `text` is nested more than `max` levels deep. Looks only
// at brackets outside strings; says nothing of the text's validity otherwise.
bool json_depth_ok(std::string_view text, size_t max = k_max_json_depth);
// Errc::corrupt "WHAT: JSON nested more than 200 levels deep" when json_depth_ok fails.
Status check_json_depth(std::string_view text, std::string_view what);

// nlohmann::json::parse(text, nullptr, false) that also returns a discarded value for a
// document nested too deep. Json is nlohmann::json or ordered_json (the caller includes it).
template <class Json>
Json parse_json_or_discarded(std::string_view text) {
  if (!json_depth_ok(text)) return Json(Json::value_t::discarded);
  return Json::parse(text.begin(), text.end(), nullptr, false);
}

// The string member `key` of `j`, or `fallback` when j is not an object or the member is
// absent or not a string: nlohmann's value() throws on a wrongly typed member.
template <class Json>
std::string json_string_or(const Json& j, const char* key, std::string fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return fallback;
  return it->template get<std::string>();
}

// The member `key` of `j` as a T (std::string, bool, an integer type, or a vector of strings),
// or nullopt when j is not an object, the member is absent, of another type, or an integer out
// of T's range. Never throws, unlike nlohmann's at() and get().
template <class T, class Json>
std::optional<T> json_member(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  const Json& v = *it;
  if constexpr (std::is_same_v<T, std::string>) {
    if (v.is_string()) return v.template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (v.is_boolean()) return v.template get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned()) {
      auto u = v.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
    } else if (v.is_number_integer()) {
      auto i = v.template get<int64_t>();
      if (std::in_range<T>(i)) return static_cast<T>(i);
    }
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!v.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (!e.is_string()) return std::nullopt;
      out.push_back(e.template get<std::string>());
    }
    return out;
  } else {
    static_assert(sizeof(T) == 0, "json_member: unsupported type");
  }
  return std::nullopt;
}

}  // namespace kiln
