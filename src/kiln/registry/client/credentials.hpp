// Registry credentials in docker's config.json, read and written as the docker CLI does, so
// `docker login` and `kiln login` share them: `auths` (base64 "user:password" per registry),
// `credHelpers` (a docker-credential-<name> helper per registry) and `credsStore` (a default
// helper). Docker Hub's key is "https://index.docker.io/v1/".
#pragma once

#include <optional>
#include <string>

#include "kiln/base/error.hpp"

namespace kiln::registry::client {

struct Credentials {
  std::string username;
  std::string password;  // or an identity token when username is "<token>"
};

// --authfile, else $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else
// ~/.docker/config.json.
std::string auth_file_path(const std::string& flag);

// The key docker uses for a registry host in config.json.
std::string config_key(const std::string& host);

Result<std::optional<Credentials>> lookup_credentials(const std::string& file,
                                                      const std::string& host);
// Writes through the registry's helper when one is configured, else into `auths` (the file is
// replaced atomically, mode 0600; other members are kept).
// With an identity token, that is stored instead of the password, as the docker CLI does
// ("identitytoken" beside an "auth" of "user:"; a helper gets Username "<token>").
Status store_credentials(const std::string& file, const std::string& host, const Credentials& c,
                         const std::string& identity_token = "");
// Replaces a stored identity token by the one a token server rotated it to (the entry's
// user name is kept).
Status update_identity_token(const std::string& file, const std::string& host,
                             const std::string& token);
// Returns false when there was nothing to remove.
Result<bool> erase_credentials(const std::string& file, const std::string& host);

}  // namespace kiln::registry::client
