#include "kiln/registry/client/json_codec.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"
#include "kiln/net/http.hpp"

namespace kiln::registry::client::codec {
namespace {

using nlohmann::json;

// The string member `key` of object `j`; "" when absent or null.
Result<std::string> opt_string(const json& j, const char* key, std::string_view doc) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::string();
  if (!it->is_string()) return failf(Errc::corrupt, "{}: \"{}\" is not a string", doc, key);
  return it->get<std::string>();
}

// The integer member `key` of object `j`; `fallback` when absent or null.
Result<int64_t> opt_int(const json& j, const char* key, std::string_view doc, int64_t fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() && !it->is_number_unsigned())
    return failf(Errc::corrupt, "{}: \"{}\" is not an integer", doc, key);
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return failf(Errc::corrupt, "{}: \"{}\" is out of range", doc, key);
  return it->get<int64_t>();
}

// config.json as an object; anything else (checked by check_docker_config before an edit)
// reads as an empty one.
json config_object(std::string_view text) {
  json j = parse_json_or_discarded<json>(text);
  return j.is_object() ? j : json::object();
}

json& auths_of(json& cfg) {
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) cfg["auths"] = json::object();
  return cfg["auths"];
}

std::string config_text(const json& cfg) {
  return cfg.dump(1, '\t', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

Result<std::optional<RegistryError>> parse_error_body(std::string_view body) {
  json j = parse_json_or_discarded<json>(body);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array() || j["errors"].empty() ||
      !j["errors"][0].is_object())
    return std::optional<RegistryError>();
  const auto& e = j["errors"][0];
  auto code = KILN_TRY(opt_string(e, "code", "error body"));
  auto message = KILN_TRY(opt_string(e, "message", "error body"));
  // A string detail says what the message does not (which rule refused, which blob is missing).
  if (e.contains("detail") && e["detail"].is_string()) {
    auto detail = e["detail"].get<std::string>();
    if (!detail.empty() && detail != message) message += ": " + detail.substr(0, 400);
  }
  return std::optional<RegistryError>(RegistryError{std::move(code), std::move(message)});
}

Result<std::optional<TokenAnswer>> parse_token_answer(std::string_view body, std::string_view doc) {
  json j = parse_json_or_discarded<json>(body);
  if (!j.is_object()) return std::optional<TokenAnswer>();
  TokenAnswer a;
  a.token = KILN_TRY(opt_string(j, "token", doc));
  if (a.token.empty()) a.token = KILN_TRY(opt_string(j, "access_token", doc));
  a.refresh_token = KILN_TRY(opt_string(j, "refresh_token", doc));
  a.expires_in = KILN_TRY(opt_int(j, "expires_in", doc, 60));
  return std::optional<TokenAnswer>(std::move(a));
}

Result<std::vector<std::string>> parse_tag_list(std::string_view body, std::string_view doc) {
  json j = parse_json_or_discarded<json>(body);
  if (!j.is_object()) return failf(Errc::corrupt, "{}: not a JSON object", doc);
  std::vector<std::string> out;
  if (j.contains("tags") && j["tags"].is_array())
    for (const auto& t : j["tags"])
      if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

Result<std::vector<TagHistoryEntry>> parse_tag_history(std::string_view body,
                                                       std::string_view doc) {
  json j = parse_json_or_discarded<json>(body);
  if (!j.is_object() || !j.contains("history") || !j["history"].is_array())
    return failf(Errc::corrupt, "{}: not a tag history (no \"history\" array)", doc);
  std::vector<TagHistoryEntry> out;
  for (const auto& e : j["history"]) {
    TagHistoryEntry h;
    h.action = json_string_or(e, "action");
    h.digest = json_string_or(e, "digest");
    h.time = json_string_or(e, "time");
    h.user = json_string_or(e, "user");
    if (h.action.empty() || h.time.empty())
      return failf(Errc::corrupt, "{}: a history entry without action or time", doc);
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::vector<std::string>> parse_insecure_registries(std::string_view text,
                                                           std::string_view path) {
  auto j = parse_json_or_discarded<json>(text);
  if (!j.is_object()) return failf(Errc::invalid_argument, "{}: not a JSON object", path);
  std::vector<std::string> out;
  if (!j.contains("insecure-registries")) return out;
  const auto& list = j["insecure-registries"];
  if (!list.is_array())
    return failf(Errc::invalid_argument, "{}: insecure-registries must be a list", path);
  for (const auto& e : list) {
    if (!e.is_string())
      return failf(Errc::invalid_argument, "{}: insecure-registries holds a non-string", path);
    out.push_back(e.get<std::string>());
  }
  return out;
}

Status check_docker_config(std::string_view text, std::string_view file) {
  if (!parse_json_or_discarded<json>(text).is_object())
    return failf(Errc::corrupt, "{}: not a JSON object", file);
  return {};
}

std::string helper_for(std::string_view config, const std::string& key) {
  json cfg = config_object(config);
  if (cfg.contains("credHelpers") && cfg["credHelpers"].is_object() &&
      cfg["credHelpers"].contains(key) && cfg["credHelpers"][key].is_string())
    return cfg["credHelpers"][key].get<std::string>();
  return json_string_or(cfg, "credsStore");
}

Result<std::optional<Credentials>> auth_entry(std::string_view config, std::string_view file,
                                              const std::string& key) {
  json cfg = config_object(config);
  if (!cfg.contains("auths") || !cfg["auths"].is_object()) return std::optional<Credentials>{};
  for (const auto& [k, v] : cfg["auths"].items()) {
    std::string norm = k;
    if (norm.starts_with("https://") || norm.starts_with("http://"))
      norm = norm.substr(norm.find("://") + 3);
    if (auto s = norm.find('/'); s != std::string::npos && k != "https://index.docker.io/v1/")
      norm = norm.substr(0, s);
    if (k != key && norm != key) continue;
    if (!v.is_object()) continue;
    if (v.contains("identitytoken") && v["identitytoken"].is_string())
      return std::optional<Credentials>(
          Credentials{"<token>", v["identitytoken"].get<std::string>()});
    if (!v.contains("auth") || !v["auth"].is_string()) continue;
    auto raw = KILN_TRY_CTX(net::base64_decode(v["auth"].get<std::string>()),
                            fmt::format("{}: auths.{}", file, k));
    auto colon = raw.find(':');
    if (colon == std::string::npos)
      return failf(Errc::corrupt, "{}: auths.{}: auth is not \"user:password\"", file, k);
    return std::optional<Credentials>(Credentials{raw.substr(0, colon), raw.substr(colon + 1)});
  }
  return std::optional<Credentials>{};
}

std::string with_auth(std::string_view config, const std::string& key, const std::string& auth,
                      const std::string& identity_token) {
  json cfg = config_object(config);
  json& entry = auths_of(cfg)[key] = {{"auth", auth}};
  if (!identity_token.empty()) entry["identitytoken"] = identity_token;
  return config_text(cfg);
}

std::string with_identity_token(std::string_view config, const std::string& key,
                                const std::string& token) {
  json cfg = config_object(config);
  json& entry = auths_of(cfg)[key];
  if (!entry.is_object()) entry = json::object();
  entry["identitytoken"] = token;
  return config_text(cfg);
}

std::optional<std::string> without_auth(std::string_view config, const std::string& key) {
  json cfg = config_object(config);
  if (!cfg.contains("auths") || !cfg["auths"].is_object() || !cfg["auths"].contains(key))
    return std::nullopt;
  cfg["auths"].erase(key);
  return config_text(cfg);
}

std::string helper_store_input(const std::string& key, const std::string& user,
                               const std::string& secret) {
  return json{{"ServerURL", key}, {"Username", user}, {"Secret", secret}}.dump();
}

Result<Credentials> parse_helper_answer(std::string_view out, const std::string& helper) {
  json j = parse_json_or_discarded<json>(out);
  if (!j.is_object())
    return failf(Errc::corrupt, "credential helper {}: unreadable answer", helper);
  auto doc = fmt::format("credential helper {}: answer", helper);
  auto user = KILN_TRY(opt_string(j, "Username", doc));
  auto secret = KILN_TRY(opt_string(j, "Secret", doc));
  return Credentials{std::move(user), std::move(secret)};
}

}  // namespace kiln::registry::client::codec
