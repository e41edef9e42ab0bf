// A bound on the nesting depth of JSON documents from outside (image configs, manifests,
// indexes, registry and token answers, credential helpers, archives' manifest.json, request
// bodies of the registry server). A document nested deeper is refused before it is parsed,
// so no recursive walk over it (a copy, a comparison, a dump) can exhaust the stack: a
// config nested 500,000 arrays deep is an error, not a SIGSEGV. No real document comes near
// the limit (an OCI manifest is 4 levels deep).
#pragma once

#include <cstddef>
#include <string_view>

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

}  // namespace kiln
