// Resolving a USER string against a root filesystem's /etc/passwd and /etc/group, as runc and
// Docker do: "name", "uid", "name:group", "uid:gid", "name:gid", "uid:group". A numeric user
// that passwd does not list is fine (gid 0); a name that it does not list is an error.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::sandbox {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (from /etc/group membership)
  std::string home = "/";
};

// passwd / group: the files' contents ("" when missing).
Result<ResolvedUser> resolve_user(std::string_view spec, std::string_view passwd,
                                  std::string_view group);

}  // namespace kiln::sandbox
