// Internal to oci/: typed access to nlohmann::json members with path-named errors.
#pragma once

#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::oci::detail {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

Result<json> parse_json(std::string_view text, std::string_view what);
std::string member_path(std::string_view path, std::string_view key);

Result<std::string> get_string(const json& obj, std::string_view path, const char* key,
                               bool required);
Result<int64_t> get_int(const json& obj, std::string_view path, const char* key, bool required,
                        int64_t fallback = 0);
Result<bool> get_bool(const json& obj, std::string_view path, const char* key);
Result<std::vector<std::string>> get_strings(const json& obj, std::string_view path,
                                             const char* key);
Result<std::optional<std::vector<std::string>>> get_opt_strings(const json& obj,
                                                                std::string_view path,
                                                                const char* key);
Result<StringMap> get_string_map(const json& obj, std::string_view path, const char* key);
// Keys of an object-valued member ({"80/tcp": {}}), sorted.
Result<std::vector<std::string>> get_key_set(const json& obj, std::string_view path,
                                             const char* key);
Result<Digest> get_digest(const json& obj, std::string_view path, const char* key);
Status require_object(const json& v, std::string_view path);

// Members of obj not in `known`, as raw JSON text.
Extra collect_extra(const json& obj, std::initializer_list<const char*> known);
void put_extra(ojson& out, const Extra& extra);

Result<Platform> parse_platform(const json& obj, std::string_view path);
ojson platform_json(const Platform& p);
Result<Descriptor> parse_descriptor_json(const json& obj, std::string_view path);
ojson descriptor_json(const Descriptor& d);

}  // namespace kiln::oci::detail
