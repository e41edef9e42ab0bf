// The registry client's JSON codec: the one file of registry/client that knows nlohmann::json.
// Registry and token-server answers, credential helpers' answers and the files docker and kiln
// keep (config.json, kiln's settings) are read here with non-throwing getters: a wrong type is
// an error naming the document and the member, never an exception.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/registry/client/credentials.hpp"

namespace kiln::registry::client::codec {

// The first error of a registry's JSON error body: {code, message}. nullopt when the body is
// not one; an error when its members have the wrong types.
struct RegistryError {
  std::string code, message;
};
Result<std::optional<RegistryError>> parse_error_body(std::string_view body);

// A token server's answer ("token" or "access_token", "refresh_token", "expires_in" defaulting
// to 60). nullopt when it is not a JSON object.
struct TokenAnswer {
  std::string token, refresh_token;
  int64_t expires_in = 60;
};
Result<std::optional<TokenAnswer>> parse_token_answer(std::string_view body, std::string_view doc);

// The string members of a tag list's "tags" (others skipped); an error when not an object.
Result<std::vector<std::string>> parse_tag_list(std::string_view body, std::string_view doc);

// kiln registry's tag history (GET /v2/<name>/_kiln/tags/<tag>/history), newest first.
struct TagHistoryEntry {
  std::string action;  // "push" or "delete"
  std::string digest;  // "" for a delete
  std::string time;    // RFC 3339
  std::string user;
};
Result<std::vector<TagHistoryEntry>> parse_tag_history(std::string_view body, std::string_view doc);

// kiln's settings file: its "insecure-registries".
Result<std::vector<std::string>> parse_insecure_registries(std::string_view text,
                                                           std::string_view path);

// ---- docker's config.json (text in, text out; members kiln does not know are kept) ----

// An error unless text is a JSON object.
Status check_docker_config(std::string_view text, std::string_view file);
// The credential helper for registry key `key`: credHelpers[key], else credsStore, else "".
std::string helper_for(std::string_view config, const std::string& key);
// The credentials `auths` holds for key (an identity token as user "<token>").
Result<std::optional<Credentials>> auth_entry(std::string_view config, std::string_view file,
                                              const std::string& key);
// The config with auths[key] set to {auth, identitytoken when not empty}.
std::string with_auth(std::string_view config, const std::string& key, const std::string& auth,
                      const std::string& identity_token);
// The config with auths[key].identitytoken replaced.
std::string with_identity_token(std::string_view config, const std::string& key,
                                const std::string& token);
// The config without auths[key]; nullopt when it had none.
std::optional<std::string> without_auth(std::string_view config, const std::string& key);

// docker-credential-* protocol: the "store" input, and a "get" answer.
std::string helper_store_input(const std::string& key, const std::string& user,
                               const std::string& secret);
Result<Credentials> parse_helper_answer(std::string_view out, const std::string& helper);

}  // namespace kiln::registry::client::codec
